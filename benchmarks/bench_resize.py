"""Random resized crop 224 + horizontal flip on a batch of mixed-size uint8 photos: jaxaug against peers.

Every system turns the same 64 uint8 RGB images of 200-500 px per side into 224x224 crops
(torchvision's `RandomResizedCrop` sampling, flip with probability 1/2), timed in
interleaved rounds (median img/s):

* `jaxaug ragged antialias`: the images padded once into one (64, Hmax, Wmax, 3) batch on
  the device, with their (64, 2) sizes; `jax.jit(Augmenter(chain(random_resized_crop(224),
  flip()), antialias=True))(key, batch, sizes=sizes)`, one call per batch, waited for with
  `block_until_ready`; compilation excluded (the first call is reported as compile_s);
* `jaxaug ragged antialias +host pad`: the same, but each call also pads the list of numpy
  images on the host and moves the batch to the device (what an input pipeline pays);
* `jaxaug ragged no antialias`: as the first, `antialias=False` (plain bilinear);
* `albumentations`: `A.Compose([A.RandomResizedCrop(size=(224, 224)), A.HorizontalFlip()])`,
  one image at a time in a Python loop (OpenCV `INTER_LINEAR`: no antialiasing);
  `albumentations area`: the same with `area_for_downscale="image"` (`INTER_AREA` downscales);
* `torchvision v2`: `v2.Compose([v2.RandomResizedCrop(224, antialias=True),
  v2.RandomHorizontalFlip()])` per image on uint8 (3, H, W) tensors;
* `PIL`: per image, the box drawn in Python as torchvision does, then
  `Image.resize((224, 224), BILINEAR, box=...)` (antialiased) and a flip, to a numpy array.

Correctness, once: each image resized whole to 224x224 by jaxaug (ragged, antialiased) against
PIL's `Image.resize((224, 224), BILINEAR)`: mean and max absolute error in levels (and, for
context, jaxaug without antialias, torchvision's antialiased resize and OpenCV's INTER_LINEAR).

    python benchmarks/bench_resize.py                       # writes benchmarks/results/resize-cpu-zen4.json
    XLA_FLAGS=--xla_cpu_max_isa=AVX2 python benchmarks/bench_resize.py --out benchmarks/results/resize-avx2.json
    python benchmarks/bench_resize.py --quick               # smoke run, a few seconds of timing
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys

import jax
import numpy as np
from common import Call, commit, cpu, machine, table, time_calls, write_report
from PIL import Image

import jaxaug
from jaxaug import pipeline as jp

SIZE = 224
SCALE, RATIO = (0.08, 1.0), (3 / 4, 4 / 3)
BUCKET = 64  # padded extents are rounded up to a multiple of this (as examples/resized_crops.py)


def photos(n: int, seed: int = 0):
    """`n` distinct uint8 RGB photos-like images of 200-500 px per side: views of `jaxaug.example_image()`, noisy."""
    rng = np.random.default_rng(seed)
    base = Image.fromarray(jaxaug.example_image())
    out = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(200, 501, 2))
        image = np.asarray(base.resize((w, h), Image.BICUBIC), np.int16)
        image = image + rng.integers(-12, 13, image.shape)  # texture, so that a missing low-pass filter shows
        out.append(np.clip(image, 0, 255).astype(np.uint8))
    return out


def pad(images):
    """(N, Hmax, Wmax, 3) uint8 batch (extents bucketed) and (N, 2) int32 sizes."""
    sizes = np.array([im.shape[:2] for im in images], np.int32)
    hmax, wmax = (-(-int(v) // BUCKET) * BUCKET for v in sizes.max(0))
    batch = np.zeros((len(images), hmax, wmax, 3), np.uint8)
    for i, im in enumerate(images):
        batch[i, : im.shape[0], : im.shape[1]] = im
    return batch, sizes


# --- systems --------------------------------------------------------------------------------


def jaxaug_calls(images):
    seed = lambda r: jax.random.key(100 + r)  # noqa: E731
    batch, sizes = pad(images)
    on_device = jax.device_put(batch), jax.device_put(sizes)
    calls = {}
    for name, antialias in (("jaxaug ragged antialias", True), ("jaxaug ragged no antialias", False)):
        f = jax.jit(jaxaug.Augmenter(jp.chain(jp.random_resized_crop(SIZE), jp.flip()), antialias=antialias))
        calls[name] = Call(lambda key, f=f: f(key, on_device[0], sizes=on_device[1]), jax.block_until_ready, seed)
        if antialias:
            padded = lambda key, f=f: _padded_call(f, key, images)  # noqa: E731
            calls[name + " +host pad"] = Call(padded, jax.block_until_ready, seed)
    return calls, (batch, sizes)


def _padded_call(f, key, images):
    batch, sizes = pad(images)
    return f(key, jax.device_put(batch), sizes=jax.device_put(sizes))


def albumentations_calls(images):
    try:
        import albumentations as A
    except ImportError as err:
        return {}, {"albumentations": f"absent: {err}"}
    calls = {}
    for name, options in (("albumentations", {}), ("albumentations area", {"area_for_downscale": "image"})):
        t = A.Compose([A.RandomResizedCrop(size=(SIZE, SIZE), **options), A.HorizontalFlip()], seed=0)
        calls[name] = Call(lambda _, t=t: [t(image=im)["image"] for im in images])
    import cv2
    return calls, {"albumentations": A.__version__, "opencv": cv2.__version__, "opencv_threads": cv2.getNumThreads()}


_SHIMS = []


def import_torchvision():
    """torchvision's v2 transforms, or (None, why not).

    The CPU wheel index (download.pytorch.org) may be unreachable; the torchvision wheel that
    plain pip then finds is built for CUDA torch, and with a CPU torch its C++ extension
    (`_C.so`, needs libc10_cuda.so) does not load. Its v2 resize and flip do not use that
    extension, but `import torchvision` registers fake kernels for `torchvision::nms` and
    `::qnms` (0.28) and fails when those operators are undefined: the two schemas are defined
    here first, so the import succeeds. Nothing timed here calls them.
    """
    try:
        import torch
    except ImportError as err:
        return None, f"absent: torch not installed ({err})"
    try:
        import torchvision  # noqa: F401
    except ImportError as err:
        return None, f"absent: torchvision not installed ({err})"
    except RuntimeError as err:
        if "torchvision::nms" not in str(err):
            return None, f"absent: import torchvision failed: {err}"
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        lib = torch.library.Library("torchvision", "DEF")
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _SHIMS.append(lib)  # the definitions last as long as the Library object
        import torchvision
    from torchvision.transforms import v2
    note = "" if torchvision.extension._has_ops() else " (C++ extension not loaded; nms/qnms schemas shimmed)"
    return v2, f"torch {torch.__version__}, torchvision {torchvision.__version__}{note}"


def torchvision_calls(images):
    v2, version = import_torchvision()
    if v2 is None:
        return {}, {"torchvision": version}, None
    import torch
    # One intra-op thread, as in DataLoader workers: with two OpenMP threads on a busy 2-core VM the
    # per-image loop ran 5-10x slower (threads waiting on each other for a 1 ms resize).
    torch.set_num_threads(1)
    tensors = [torch.from_numpy(im).permute(2, 0, 1).contiguous() for im in images]  # (3, H, W) uint8
    t = v2.Compose([v2.RandomResizedCrop(SIZE, antialias=True), v2.RandomHorizontalFlip()])
    seed = lambda r: torch.manual_seed(100 + r) and r  # noqa: E731
    versions = {"torchvision": version, "torch_threads": torch.get_num_threads()}
    resize = lambda im: v2.functional.resize(  # noqa: E731
        torch.from_numpy(im).permute(2, 0, 1).contiguous(), [SIZE, SIZE], antialias=True).permute(1, 2, 0).numpy()
    return {"torchvision v2": Call(lambda _: [t(x) for x in tensors], seed=seed)}, versions, resize


def sample_box(rng: random.Random, h: int, w: int):
    """torchvision's `RandomResizedCrop.get_params` in plain Python: (top, left, height, width)."""
    area = h * w
    log_ratio = (math.log(RATIO[0]), math.log(RATIO[1]))
    for _ in range(10):
        target = area * rng.uniform(*SCALE)
        aspect = math.exp(rng.uniform(*log_ratio))
        bw, bh = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < bw <= w and 0 < bh <= h:
            return rng.randint(0, h - bh), rng.randint(0, w - bw), bh, bw
    in_ratio = w / h
    bw, bh = (w, h) if RATIO[0] <= in_ratio <= RATIO[1] else (
        (round(h * RATIO[1]), h) if in_ratio > RATIO[1] else (w, round(w / RATIO[0])))
    return (h - bh) // 2, (w - bw) // 2, bh, bw


def pil_call(images):
    pils = [Image.fromarray(im) for im in images]

    def run(rng):
        out = []
        for im in pils:
            top, left, bh, bw = sample_box(rng, im.height, im.width)
            crop = im.resize((SIZE, SIZE), Image.BILINEAR, box=(left, top, left + bw, top + bh))
            out.append(np.asarray(crop.transpose(Image.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else crop))
        return out

    return {"PIL": Call(run, seed=lambda r: random.Random(100 + r))}


# --- correctness ------------------------------------------------------------------------------


def errors_vs_pil(images, batch, sizes, torch_resize):
    """Whole-image 224x224 resizes against PIL's BILINEAR (antialiased): {system: {mean, max}} in levels."""
    import cv2
    pil = np.stack([np.asarray(Image.fromarray(im).resize((SIZE, SIZE), Image.BILINEAR)) for im in images])
    key = jax.random.key(0)
    results = {}
    for name, antialias in (("jaxaug antialias", True), ("jaxaug no antialias", False)):
        results[name] = np.asarray(jaxaug.Augmenter(jp.resize(SIZE), antialias=antialias)(key, batch, sizes=sizes))
    results["opencv INTER_LINEAR (albumentations default)"] = np.stack(
        [cv2.resize(im, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR) for im in images])
    if torch_resize is not None:
        results["torchvision v2 antialias"] = np.stack([torch_resize(im) for im in images])
    out = {}
    for name, result in results.items():
        d = np.abs(result.astype(np.int16) - pil)
        out[name] = {"mean_abs_levels": float(d.mean()), "max_abs_levels": int(d.max()),
                     "fraction_over_1": float((d > 1).mean())}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images", type=int, default=64, help="images per batch")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--min-time", type=float, default=0.5, help="seconds per system per round")
    p.add_argument("--quick", action="store_true", help="smoke run: 16 images, 2 rounds, 0.05 s")
    p.add_argument("--notes", default="", help="free text stored in the JSON (machine load, ...)")
    p.add_argument("--out", default="benchmarks/results/resize-cpu-zen4.json")
    args = p.parse_args()
    if args.quick:
        args.images, args.rounds, args.min_time = 16, 2, 0.05
    load_start = os.getloadavg()
    images = photos(args.images)
    calls, (batch, sizes) = jaxaug_calls(images)
    more, versions = albumentations_calls(images)
    calls.update(more)
    more, tv_versions, torch_resize = torchvision_calls(images)
    calls.update(more)
    versions.update(tv_versions)
    calls.update(pil_call(images))
    versions["pillow"] = Image.__version__

    error = errors_vs_pil(images, batch, sizes, torch_resize)
    compile_s, rates = time_calls(calls, len(images), args.rounds, args.min_time)
    reference = "jaxaug ragged antialias"
    med = {k: statistics.median(v) for k, v in rates.items()}
    report = {
        **machine(), "cpu": cpu(), "commit": commit(), "xla_flags": os.environ.get("XLA_FLAGS"),
        "notes": args.notes, "load_average_1_5_15min": {"start": load_start, "end": os.getloadavg()},
        "quick": args.quick,
        "workload": {"images": len(images), "sides_px": [200, 500], "padded_shape": list(batch.shape),
                     "output": [SIZE, SIZE, 3], "dtype": "uint8", "scale": SCALE, "ratio": RATIO},
        "peer_versions": versions, "rounds": args.rounds, "min_time_s": args.min_time,
        "compile_s": compile_s, "img_per_s": rates, "img_per_s_median": med,
        # img/s of each system / img/s of jaxaug ragged antialias: > 1 means faster than jaxaug.
        "img_per_s_vs_jaxaug_antialias": {k: v / med[reference] for k, v in med.items()},
        "resize_error_vs_pil": error,
    }
    print(table(f"{len(images)} images of 200-500 px -> {SIZE}x{SIZE} uint8 (XLA_FLAGS={report['xla_flags']})",
                report, reference))
    print("\nwhole-image resize vs PIL BILINEAR (levels):")
    for name, e in error.items():
        print(f"  {name}: mean {e['mean_abs_levels']:.3f}, max {e['max_abs_levels']}, >1: {e['fraction_over_1']:.2%}")
    write_report(report, args.out)


if __name__ == "__main__":
    main()
