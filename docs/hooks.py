"""mkdocs hook: draws the gallery of operations from the table of operations before each build.

Every op of `jaxaug.ops.OPS` that is an image op gets a row: the built-in sample picture and
four draws of the op's pipeline piece (or its batch function), with the option values in
`DEMOS`. An op without a demo fails the build, so the gallery cannot fall behind the table.
The page and its pictures go to docs/generated/ (not committed).
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

import jaxaug
from jaxaug import ops
from jaxaug import pipeline as jp

OUT = pathlib.Path(__file__).parent / "generated"
SIZE, DRAWS = 64, 4

# The piece each op is shown with (values chosen to be visible at 64x64).
DEMOS = {
    "random_resized_crop": (lambda: jp.random_resized_crop(SIZE, scale=(0.2, 1.0)),
                            "random_resized_crop(64, scale=(0.2, 1))"),
    "resize": (lambda: jp.resize((SIZE, SIZE // 2)), "resize((64, 32))"),
    "center_crop": (lambda: jp.center_crop((40, 56)), "center_crop((40, 56))"),
    "affine": (lambda: jp.affine(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2, zoom_range=0.2,
                                 horizontal_flip=True), "the tutorial's IDG options"),
    "rotation": (lambda: jp.rotation(30), "rotation(30)"),
    "shift": (lambda: jp.shift(height_shift_range=0.2, width_shift_range=0.2), "shift(0.2, 0.2)"),
    "shear": (lambda: jp.shear(20), "shear(20)"),
    "zoom": (lambda: jp.zoom(0.3), "zoom(0.3)"),
    "flip": (lambda: jp.flip(True, True), "flip(horizontal, vertical)"),
    "crop": (lambda: jp.crop(8), "crop(8), constant fill"),
    "policy": (lambda: jp.rand_augment(2, 9), "rand_augment(2, 9)"),
    "channel_shift": (lambda: jp.channel_shift(60.0), "channel_shift(60)"),
    "brightness": (lambda: jp.brightness((0.5, 1.5)), "brightness((0.5, 1.5))"),
    "contrast": (lambda: jp.contrast((0.4, 1.6)), "contrast((0.4, 1.6))"),
    "saturation": (lambda: jp.saturation((0.0, 2.0)), "saturation((0, 2))"),
    "hue": (lambda: jp.hue(0.3), "hue(0.3)"),
    "hsv_contrast": (lambda: jp.hsv_contrast(), "hsv_contrast((0.25, 4))"),
    "grayscale": (lambda: jp.grayscale(0.5), "grayscale(0.5)"),
    "invert": (lambda: jp.invert(0.5), "invert(0.5)"),
    "blur": (lambda: jp.blur((0.5, 2.0)), "blur((0.5, 2))"),
    "gaussian_noise": (lambda: jp.gaussian_noise(0.08), "gaussian_noise(0.08)"),
    "salt_and_pepper": (lambda: jp.salt_and_pepper(0.05), "salt_and_pepper(0.05)"),
    "cutout": (lambda: jp.cutout(20), "cutout(20)"),
    "random_erasing": (lambda: jp.random_erasing(probability=1.0), "random_erasing(probability=1)"),
    "standardize": (lambda: jp.standardize(samplewise_center=True, samplewise_std_normalization=True),
                    "samplewise centre and std (shown rescaled)"),
    "mixup": (None, "mixup(alpha=0.4) with a partner image"),
    "cutmix": (None, "cutmix(alpha=1) with a partner image"),
}


def _views(op, image, partner) -> np.ndarray:
    """DRAWS augmented views of `image` (uint8, (DRAWS, h, w, 3)) by `op`."""
    key = jax.random.key(0)
    if op.kind == "batch":
        batch = jnp.stack([image, partner] * DRAWS).astype(jnp.float32)
        labels = jnp.arange(2 * DRAWS) % 2
        fn = jaxaug.mixup if op.name == "mixup" else jaxaug.cutmix
        mixed, _ = fn(key, batch, labels, alpha=0.4 if op.name == "mixup" else 1.0, num_classes=2)
        out = np.asarray(mixed)[0::2]
    else:
        piece = DEMOS[op.name][0]()
        fill = "constant" if op.name in ("crop", "policy", "center_crop") else "nearest"
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
    image = jnp.asarray(jaxaug.example_image(SIZE))
    partner = jnp.asarray(np.asarray(jaxaug.example_image(SIZE))[::-1, ::-1])
    lines = ["# Gallery of operations", "",
             f"Each row is the built-in sample picture ({SIZE}×{SIZE}), then {DRAWS} draws of the operation, one per "
             "image of a batch, in one compiled call. The rows follow the table of operations "
             "([operations](../operations.md)) and are drawn when the site is built (`docs/hooks.py`).", "",
             "| op | shown with | original, then four draws |", "|---|---|---|"]
    missing = [op.name for op in ops.OPS if op.name not in DEMOS]
    if missing:
        raise ValueError(f"docs/hooks.py has no demo for the operations {missing}: add them to DEMOS")
    for op in ops.OPS:
        _strip(np.asarray(image), _views(op, image, partner)).save(OUT / f"{op.name}.png")
        lines.append(f"| {op.title} | `{DEMOS[op.name][1]}` | ![{op.name}]({op.name}.png) |")
    (OUT / "gallery.md").write_text("\n".join(lines) + "\n")


def on_pre_build(config, **kwargs):
    build_gallery()


README = pathlib.Path(__file__).parents[1] / "README.md"


def on_page_markdown(markdown, page, **kwargs):
    """The site's start page is the README (one text, not two), its links made site-relative."""
    if page.file.src_uri != "index.md":
        return markdown
    text = README.read_text().replace("](docs/", "](")
    # The README's own title becomes the page's; its repository-relative links to code stay as text.
    text = text.replace("](examples/", "](https://github.com/jaxaug/jaxaug/tree/main/examples/")
    return text
