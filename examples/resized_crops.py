"""ImageNet-style input on a folder of photos of mixed sizes: random resized crops, flips and colour, by jaxaug.

Photos come in every size, but a compiled function wants one shape. Here the host decodes each
file with PIL, pads a batch into one (N, Hmax, Wmax, 3) uint8 array and passes the true size of
every image beside it (`sizes`, (N, 2) ints). One jitted `jaxaug.Augmenter` call then draws,
crops and resizes each image from its own extent (torchvision's `RandomResizedCrop` sampling,
PIL's antialiased bilinear filter) to a (N, 224, 224, 3) batch; the padding is never read.

    python examples/resized_crops.py --make-demo-folder /tmp/photos 64          # writes 64 JPEGs, then runs on them
    python examples/resized_crops.py --images ~/imagenet/val --limit 512 --preview preview.png

Image i of the folder (sorted paths) draws from `fold_in(key, i)` (jaxaug's convention), so its
augmentation depends on the seed and i only, not on the batch it lands in.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax
import numpy as np
from PIL import Image, ImageEnhance

import jaxaug
from jaxaug import pipeline as jp

EXTENSIONS = (".jpg", ".jpeg", ".png")
# Padded batches are rounded up to a multiple of this many pixels per side. Each new (N, Hmax, Wmax)
# is one more compilation (seconds), so the padding is bucketed: photos of 180-520 px give one or
# two shapes (576x576, 512x576, ...) instead of one per batch. The padding is never read into a
# result, but it is not free: it is copied, and the antialiased filter's first pass (rows) runs over
# the whole padded width (jaxaug 0f63655: padding 512 -> 1024 px wide halved the img/s). So buckets
# trade compilations against padding; for large photos, cap the side when decoding (PIL's
# `Image.draft` decodes JPEGs at 1/2, 1/4 or 1/8 size for free).
BUCKET = 64


# --- data -------------------------------------------------------------------------------------


def list_images(folder) -> list[Path]:
    """Every .jpg/.jpeg/.png under `folder` (recursive), sorted: position i is image i's index."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"images must be an existing folder. Received: images={str(folder)!r}")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
    if not paths:
        raise ValueError(f"images must hold .jpg, .jpeg or .png files (searched recursively); found none. "
                         f"Received: images={str(folder)!r}")
    return paths


def decode(path) -> np.ndarray:
    """One file as an (H, W, 3) uint8 RGB array (greyscale, palette and RGBA files are converted)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def bucketed(extent: int, multiple: int = BUCKET) -> int:
    return -(-extent // multiple) * multiple


def pad_batch(images, batch_size: int | None = None):
    """(N, Hmax, Wmax, 3) uint8 of `images` at the top left, zeros elsewhere, and their (N, 2) int32 sizes.

    Hmax and Wmax are the largest height and width rounded up to a multiple of `BUCKET`. With
    `batch_size`, a short (last) batch gets 1x1 blank images up to that size, so it reuses the
    compiled shape; the caller drops their outputs.
    """
    n = len(images) if batch_size is None else batch_size
    sizes = np.ones((n, 2), np.int32)
    sizes[: len(images)] = [image.shape[:2] for image in images]
    batch = np.zeros((n, bucketed(sizes[:, 0].max()), bucketed(sizes[:, 1].max()), 3), np.uint8)
    for i, image in enumerate(images):
        batch[i, : image.shape[0], : image.shape[1]] = image
    return batch, sizes


def batches(paths, batch_size: int):
    """(global indices, padded batch, sizes, count) per batch of `paths`, decoded on the host as it goes."""
    for start in range(0, len(paths), batch_size):
        chunk = paths[start : start + batch_size]
        batch, sizes = pad_batch([decode(p) for p in chunk], batch_size)
        yield np.arange(start, start + batch_size, dtype=np.uint32), batch, sizes, len(chunk)


def make_demo_folder(folder, n: int, *, seed: int = 0, sides=(180, 520)) -> list[Path]:
    """Writes `n` JPEGs of `sides` (min, max) px per side, each a different view of `jaxaug.example_image()`."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n (the number of demo images) must be an int >= 1. Received: n={n!r}")
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    base = Image.fromarray(jaxaug.example_image())  # 128 x 128
    paths = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(sides[0], sides[1] + 1, 2))
        side = int(max(h, w) * rng.uniform(1.0, 1.4))
        image = base.resize((side, side), Image.BICUBIC)
        image = image.rotate(float(rng.uniform(-15, 15)), Image.BILINEAR, fillcolor=(128, 128, 128))
        top, left = int(rng.integers(0, side - h + 1)), int(rng.integers(0, side - w + 1))
        image = image.crop((left, top, left + w, top + h))
        if rng.random() < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        image = ImageEnhance.Color(image).enhance(float(rng.uniform(0.5, 1.5)))
        shift = rng.integers(-30, 31, 3)  # a colour cast per file
        image = Image.fromarray(np.clip(np.asarray(image, np.int16) + shift, 0, 255).astype(np.uint8))
        paths.append(root / f"photo_{i:04d}.jpg")
        image.save(paths[-1], quality=90)
    return paths


# --- pipeline ---------------------------------------------------------------------------------


def make_augment(size: int = 224):
    """The jitted ImageNet training augmentation: (key, batch, sizes, indices) -> (N, size, size, 3) uint8."""
    piece = jp.chain(jp.random_resized_crop(size), jp.flip(), jp.brightness((0.6, 1.4)), jp.saturation((0.6, 1.4)))
    augment = jax.jit(jaxaug.Augmenter(piece, antialias=True))
    return lambda key, batch, sizes, indices: augment(key, batch, sizes=sizes, indices=indices)


# --- timing -----------------------------------------------------------------------------------


def run(paths, augment, key, batch_size: int):
    """Augments every batch of `paths` twice: a first pass (compiles each padded shape), a timed second one.

    Returns (augmented images of the first batch, {"images", "shapes", "first_pass_s",
    "decode_s", "augment_s"}); the second pass times decoding (with padding) and the
    augmentation (with the wait for its result) separately.
    """
    t0, shapes, first = time.perf_counter(), set(), None
    for indices, batch, sizes, count in batches(paths, batch_size):
        out = jax.block_until_ready(augment(key, batch, sizes, indices))
        shapes.add(batch.shape)
        first = np.asarray(out[:count]) if first is None else first
    stats = {"images": len(paths), "shapes": sorted(shapes), "first_pass_s": time.perf_counter() - t0,
             "decode_s": 0.0, "augment_s": 0.0}
    t_decode = time.perf_counter()
    for indices, batch, sizes, _ in batches(paths, batch_size):
        t_augment = time.perf_counter()
        stats["decode_s"] += t_augment - t_decode
        jax.block_until_ready(augment(key, batch, sizes, indices))
        t_decode = time.perf_counter()
        stats["augment_s"] += t_decode - t_augment
    return first, stats


# --- report -----------------------------------------------------------------------------------


def save_grid(images, path, cols: int = 8, pad: int = 2) -> None:
    """Tiles (N, H, W, 3) uint8 images into one picture, `cols` a row, white between cells."""
    n, h, w, c = images.shape
    cols = min(cols, n)
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, c), 255, np.uint8)
    for i, image in enumerate(images):
        r, q = divmod(i, cols)
        grid[r * (h + pad) : r * (h + pad) + h, q * (w + pad) : q * (w + pad) + w] = image
    Image.fromarray(grid).save(path)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1. Received: {text!r}")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images", help="folder of .jpg/.jpeg/.png files, searched recursively")
    p.add_argument("--make-demo-folder", nargs=2, metavar=("DIR", "N"),
                   help="first write N demo JPEGs of mixed sizes into DIR (and run on DIR unless --images is given)")
    p.add_argument("--batch-size", type=positive, default=32)
    p.add_argument("--size", type=positive, default=224, help="output side in pixels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=positive, help="use only the first LIMIT images")
    p.add_argument("--preview", metavar="PNG", help="save the first batch, augmented, as a grid")
    args = p.parse_args(argv)
    if args.make_demo_folder:
        try:
            args.make_demo_folder[1] = positive(args.make_demo_folder[1])
        except (ValueError, argparse.ArgumentTypeError):
            p.error(f"argument --make-demo-folder: N must be an int >= 1. Received: {args.make_demo_folder[1]!r}")
    elif not args.images:
        p.error("give --images DIR (or --make-demo-folder DIR N)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.make_demo_folder:
        folder, n = args.make_demo_folder
        make_demo_folder(folder, n, seed=args.seed)
        print(f"wrote {n} demo JPEGs to {folder}")
    try:
        paths = list_images(args.images or args.make_demo_folder[0])[: args.limit]
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    augment = make_augment(args.size)
    key = jax.random.key(args.seed)
    first, s = run(paths, augment, key, args.batch_size)
    n = s["images"]
    print(f"{n} images in batches of {args.batch_size}, padded shapes {s['shapes']}, "
          f"{jax.devices()[0].device_kind} ({jax.default_backend()})")
    print(f"first pass (decode + compile + augment): {s['first_pass_s']:.1f} s")
    print(f"augmentation only:        {n / s['augment_s']:8.1f} img/s")
    print(f"decode + pad + augment:   {n / (s['decode_s'] + s['augment_s']):8.1f} img/s "
          f"(decoding alone {n / s['decode_s']:.1f} img/s, one host thread)")
    if args.preview:
        save_grid(first, args.preview)
        print(f"wrote {args.preview} ({len(first)} images of the first batch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
