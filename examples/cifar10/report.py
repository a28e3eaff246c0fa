"""What a run prints and writes: its progress lines, and `metrics.json`, `curves.png`, `augmented.png`,
`preview.png` (with augmentation), `results.md`, and the summary it ends with.

Only process 0 prints (`say`) and writes; every file is written whole or not at all.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import json
import os
import platform
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from config import AUGMENT, Config, stream_key
from distributed import is_lead
from input_pipeline import Data, make_augment

import jaxaug
from jaxaug.data import cifar10

GRID_ROWS = 8  # training images shown in augmented.png
# Test accuracy (%) reported by the tutorial (Keras, original CIFAR-10 data), and by reference runs of
# this protocol on the JPEG copy made with an independent script before this example existed.
# `best` is compared with the tutorial's best (augmented) run: the number to beat.
TUTORIAL = {"baseline": dict(accuracy=60.58, epochs=20, augmentation="none", split="9000 / 1000"),
            "article": dict(accuracy=70.57, epochs=80, augmentation="IDG, nearest neighbour (Keras 2017)",
                            split="10000 / 0")}
for _recipe in ("best", "randaugment", "trivialaugment", "autoaugment"):
    TUTORIAL[_recipe] = TUTORIAL["article"]
REFERENCE = {"baseline": 59.5, "article": 67.6, "article-order1": 66.2}


def say(text: str) -> None:
    if is_lead():
        print(text, flush=True)


def epoch_line(row: dict) -> str:
    text = (f"epoch {row['epoch']}: loss {row['train_loss']:.4f} acc {row['train_accuracy']:.4f} "
            f"({row['seconds']:.1f} s, {row['images_per_second']:.0f} img/s)")
    if "val_loss" in row:
        text += f", val loss {row['val_loss']:.4f} acc {row['val_accuracy']:.4f}"
    return text


def throughput(history: list, steps: int) -> dict:
    """Steady-state speed: the median epoch after the first (which includes compilation)."""
    warm = history[1:] or history
    seconds = float(np.median([r["seconds"] for r in warm]))
    return {"images_per_second": float(np.median([r["images_per_second"] for r in warm])),
            "seconds_per_step": seconds / steps}


def environment() -> dict:
    device = jax.devices()[0]
    versions = {name: importlib.metadata.version(name) for name in ("jax", "jaxlib", "flax", "optax", "numpy")}
    return {
        "versions": {"python": platform.python_version(), "jaxaug": jaxaug.__version__, **versions},
        "device": {"platform": device.platform, "kind": device.device_kind, "count": jax.device_count(),
                   "cpu_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                   "machine": platform.platform()},
    }


@functools.cache
def jitted_augment(augment_json: str):
    """The recipe's augmenter, jitted: one compilation instead of op-by-op dispatch (~3x faster on CPU).

    Cached on the recipe like `make_train_step`, so the runs of one process (the tests) share
    its compiled programs instead of compiling them for each report.
    """
    return jax.jit(make_augment(json.loads(augment_json)))


def augmented_grid(cfg: Config, data: Data, rows: int = GRID_ROWS, epochs: int = 6) -> np.ndarray:
    """The first `rows` training images, then their augmented views with the keys of the first epochs."""
    images, _ = data.records.train.read(data.train_rows[:rows])
    views = [images]
    if cfg.augment is not None:
        root, idx = jax.random.key(cfg.seed), jnp.arange(rows)
        augment = jitted_augment(json.dumps(cfg.augment))
        views += [as_uint8(augment(stream_key(root, AUGMENT, epoch), images, indices=idx)) for epoch in range(epochs)]
    return tile(np.stack(views, axis=1))


def preview(cfg: Config, data: Data, rows: int = 3, cols: int = 3, scale: int = 4) -> np.ndarray:
    """The tutorial's preview: the first training photo, augmented rows x cols times, `scale` x enlarged.

    The draws are those of the first epoch's first rows * cols examples (their keys, this photo).
    """
    image, _ = data.records.train.read(data.train_rows[:1])
    augment = jitted_augment(json.dumps(cfg.augment))
    views = as_uint8(augment(stream_key(jax.random.key(cfg.seed), AUGMENT, 0), np.repeat(image, rows * cols, 0)))
    views = views.repeat(scale, axis=1).repeat(scale, axis=2)
    return tile(views.reshape(rows, cols, *views.shape[1:]))


def as_uint8(images) -> np.ndarray:
    return np.clip(np.round(np.asarray(images, np.float32)), 0, 255).astype(np.uint8)


def tile(cells: np.ndarray, pad: int = 2) -> np.ndarray:
    """(rows, cols, H, W, C) images -> one picture, `pad` white pixels between cells."""
    rows, cols, h, w, c = cells.shape
    grid = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, c), 255, np.uint8)
    for r in range(rows):
        for q in range(cols):
            grid[r * (h + pad):r * (h + pad) + h, q * (w + pad):q * (w + pad) + w] = cells[r, q]
    return grid


def save_figures(out: Path, cfg: Config, data: Data, result: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    hist = result["history"]
    epochs = [r["epoch"] for r in hist]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        ax.plot(epochs, [r[f"train_{key}"] for r in hist], label="train")
        if "val_loss" in hist[0]:
            ax.plot(epochs, [r[f"val_{key}"] for r in hist], label="validation")
        ax.plot([epochs[-1]], [result[f"test_{key}"]], "k*", markersize=10, label="test (end)")
        ax.set(xlabel="epoch", title=key)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    ax_acc.axhline(TUTORIAL[cfg.recipe]["accuracy"] / 100, color="gray", ls="--", label="tutorial test")
    ax_acc.legend()
    fig.suptitle(f"CIFAR-10, {len(data.train_rows)} training images: {cfg.name}")
    fig.tight_layout()
    write_atomically(out / "curves.png", lambda path: fig.savefig(path, dpi=100))
    plt.close(fig)

    grid = augmented_grid(cfg, data)
    fig, ax = plt.subplots(figsize=(grid.shape[1] / 30 + 1.5, grid.shape[0] / 30 + 0.8))  # + labels, title
    ax.imshow(grid, interpolation="nearest")
    step = (grid.shape[0] + 2) // GRID_ROWS  # cell plus padding
    ax.set_xticks([])
    ax.set_yticks(np.arange(GRID_ROWS) * step + step / 2 - 1,
                  [cifar10.CLASS_NAMES[y] for y in data.records.train.labels[data.train_rows[:GRID_ROWS]]], fontsize=8)
    title = "original | epochs 1-6 (training keys)" if cfg.augment is not None else "no augmentation"
    ax.set_title(f"{cfg.name}\n{title}", fontsize=9)
    fig.tight_layout()
    write_atomically(out / "augmented.png", lambda path: fig.savefig(path, dpi=100))
    plt.close(fig)
    if cfg.augment is not None:
        from PIL import Image

        picture = Image.fromarray(preview(cfg, data))
        write_atomically(out / "preview.png", lambda path: picture.save(path))


def results_table(cfg: Config, data: Data, result: dict, env: dict) -> str:
    tutorial, ref = TUTORIAL[cfg.recipe], REFERENCE.get(cfg.variant)
    pct = lambda v: "n/a" if v is None else f"{v:.2f} %"  # noqa: E731
    devices = f"{cfg.devices} x " if cfg.devices > 1 else ""
    if cfg.processes > 1:
        devices = f"{cfg.processes} processes x {devices}"
    augmentation = "none" if cfg.augment is None else f"`{json.dumps(cfg.augment)}`"
    if cfg.mix:
        augmentation += f" + {cfg.mix}(alpha={cfg.mix_alpha})"
    lines = [
        f"# CIFAR-10, 20 % of the training set: `{cfg.name}`", "",
        *(["**Quick smoke run** (tiny subset, few epochs): not comparable to the tutorial.", ""] if cfg.quick else []),
        "| | tutorial (Keras, Nov 2017) | reference run (JPEG copy) | this run |",
        "|---|---|---|---|",
        f"| test accuracy | {pct(tutorial['accuracy'])} | {pct(ref)} | **{pct(100 * result['test_accuracy'])}** |",
        f"| epochs | {tutorial['epochs']} | {tutorial['epochs'] if ref else 'n/a'} | {cfg.epochs} |",
        f"| training / validation images | {tutorial['split']} | {tutorial['split'] if ref else 'n/a'} "
        f"| {len(data.train_rows)} / {len(data.val_rows)} |",
        f"| augmentation | {tutorial['augmentation']} | {tutorial['augmentation'] if ref else 'n/a'} "
        f"| {augmentation} |",
        f"| learning rate | 1e-3 constant | 1e-3 constant | {cfg.learning_rate:g} {cfg.schedule} |",
        "",
        f"- data: {data.records.source}; official order: {data.records.official_order}; "
        f"test images: {len(data.test_rows)}",
        f"- device: {devices}{env['device']['kind']} ({env['device']['platform']}, "
        f"{env['device']['cpu_cores']} cores); "
        f"{result['seconds_per_step']:.3f} s/step, {result['images_per_second']:.0f} img/s; "
        f"wall time {result['wall_seconds'] / 60:.1f} min",
        f"- seed {cfg.seed}; jax {env['versions']['jax']}, flax {env['versions']['flax']}, "
        f"optax {env['versions']['optax']}, jaxaug {env['versions']['jaxaug']}",
    ]
    return "\n".join(lines) + "\n"


def write_report(out: Path, cfg: Config, data: Data, result: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    metrics = {"config": dataclasses.asdict(cfg), **env,
               "data": {"source": data.records.source, "official_order": data.records.official_order,
                        "train": len(data.train_rows), "validation": len(data.val_rows),
                        "test": len(data.test_rows)},
               **result}
    write_atomically(out / "metrics.json", lambda path: path.write_text(json.dumps(metrics, indent=2) + "\n"))
    save_figures(out, cfg, data, result)
    write_atomically(out / "results.md", lambda path: path.write_text(results_table(cfg, data, result, env)))


def summary(out: Path, cfg: Config, data: Data, result: dict) -> str:
    """The lines a run ends with: where its pictures and numbers are, and (after --quick) the full run."""
    accuracy = f"test accuracy {100 * result['test_accuracy']:.2f} %"
    if cfg.quick:
        accuracy += (f" after {cfg.epochs} epochs on {len(data.train_rows)} images (a first look; the tutorial's "
                     f"full {cfg.recipe} run: {TUTORIAL[cfg.recipe]['accuracy']:.2f} %)")
    lines = [f"wrote {out}/", f"  results.md     {accuracy}"]
    if cfg.augment is None:
        lines.append("  augmented.png  8 training images, not augmented (this recipe has no augmentation)")
    else:
        lines += ["  augmented.png  8 training images and their augmented views in epochs 1-6",
                  "  preview.png    the tutorial's 3x3 preview: one photo, nine draws"]
    lines.append("  curves.png     loss and accuracy per epoch; metrics.json: every number")
    if cfg.quick:
        source = cfg.data or "PATH"
        lines += ["The full experiment, the tutorial's baseline and augmented runs (10,000 images; about 19 and 85 "
                  "minutes on 2 CPU cores, a minute each on a GPU):",
                  f"  python examples/cifar_flax.py --recipe baseline --data {source}",
                  f"  python examples/cifar_flax.py --recipe article --data {source}"]
    return "\n".join(lines)


def write_atomically(path: Path, write) -> None:
    """`write(temporary path)`, then rename it to `path`: a failure leaves no half-written file."""
    temporary = path.with_name(f".{path.stem}.partial{path.suffix}")  # same suffix: savefig picks the format by it
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
