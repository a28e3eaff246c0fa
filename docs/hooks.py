"""mkdocs hooks: the gallery and the table of operations, made from the op declarations at each build.

Every op of `jaxaug.ops.OPS` gets a gallery row: the built-in sample picture and four draws of
the op's pipeline piece (or its batch function) with its declared `example`, so the gallery
cannot fall behind the ops. The page and its pictures go to docs/generated/ (not committed).
The table of `docs/operations.md` is `jaxaug.ops.operations_table()`, put in at build time.
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

import jaxaug
from jaxaug import ops

OUT = pathlib.Path(__file__).parent / "generated"
SIZE, DRAWS = 64, 4

def _views(op, image, partner) -> np.ndarray:
    """DRAWS augmented views of `image` (uint8, (DRAWS, h, w, 3)) by `op`."""
    key = jax.random.key(0)
    if op.kind == "batch":
        batch = jnp.stack([image, partner] * DRAWS).astype(jnp.float32)
        labels = jnp.arange(2 * DRAWS) % 2
        mixed, _ = op.random(key, batch, labels, **op.example, num_classes=2)
        out = np.asarray(mixed)[0::2]
    else:
        piece = op.demo()
        # A black border shows where the geometry left the picture.
        fill = "constant" if op.kind in ("geometric", "policy") else "nearest"
        augment = jaxaug.Augmenter(piece, fill_mode=fill, dtype=jnp.float32)
        out = np.asarray(jax.jit(augment)(key, jnp.stack([image] * DRAWS)))
        if op.kind == "normalization":  # back to pixels, to be seen
            out = (out - out.min()) / (out.max() - out.min()) * 255
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _strip(image, views) -> Image.Image:
    """The picture, a gap, then the views, top-aligned on white."""
    cells = [image] + list(views)
    h = max(c.shape[0] for c in cells)
    w = sum(c.shape[1] for c in cells) + 4 * len(views) + 8
    strip = np.full((h, w, 3), 255, np.uint8)
    x = 0
    for i, cell in enumerate(cells):
        strip[:cell.shape[0], x:x + cell.shape[1]] = cell
        x += cell.shape[1] + (12 if i == 0 else 4)
    return Image.fromarray(strip)


def build_gallery() -> None:
    OUT.mkdir(exist_ok=True)
    image = jnp.asarray(jaxaug.example_image(size=SIZE))
    partner = jnp.asarray(np.asarray(jaxaug.example_image(size=SIZE))[::-1, ::-1])
    lines = ["# Gallery of operations", "",
             f"Each row is the built-in sample picture ({SIZE}×{SIZE}), then {DRAWS} draws of the operation, one per "
             "image of a batch, in one compiled call. The rows follow the table of operations "
             "([operations](../operations.md)) and are drawn when the site is built (`docs/hooks.py`).", "",
             "| op | shown with | original, then four draws |", "|---|---|---|"]
    for op in ops.OPS:
        _strip(np.asarray(image), _views(op, image, partner)).save(OUT / f"{op.name}.png")
        shown = f"{op.random.__name__}(..., {op.caption().split('(', 1)[1]}" if op.kind == "batch" else op.caption()
        lines.append(f"| {op.title} | `{shown}` | ![{op.name}]({op.name}.png) |")
    (OUT / "gallery.md").write_text("\n".join(lines) + "\n")


def on_pre_build(config, **kwargs):
    build_gallery()


README = pathlib.Path(__file__).parents[1] / "README.md"


TABLE = "<!-- the table of operations: jaxaug.ops.operations_table(), from the declarations -->"


def on_page_markdown(markdown, page, **kwargs):
    """The start page is the README (one text, not two), its links made site-relative; the table of
    operations is made from the op declarations."""
    if TABLE in markdown:
        return markdown.replace(TABLE, ops.operations_table())
    if page.file.src_uri != "index.md":
        return markdown
    text = README.read_text().replace("](docs/", "](")
    # The README's own title becomes the page's; its repository-relative links to code stay as text.
    text = text.replace("](examples/", "](https://github.com/jaxaug/jaxaug/tree/main/examples/")
    return text
