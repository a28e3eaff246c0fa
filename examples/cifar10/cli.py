"""The command line: flags, their checks, and the `Config` they make.

Every flag is checked before any data is read or any step is trained; a bad one is an argparse
error (exit status 2) on one line naming the flag and the value, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from config import CIFAR10_TRAIN, DEFAULT_LR, NUM_CLASSES, RECIPES, Config
from distributed import init_distributed, is_lead
from input_pipeline import augment_batch, make_augment

from jaxaug.data import cifar10

DESCRIPTION = ("CIFAR-10 on 20 % of the training set: the tutorial's experiment in Flax NNX + Optax, "
               "augmented by jaxaug.")


def parse_args(argv) -> argparse.Namespace:
    """The flags, all checked before any data is read: a bad one is an argparse error (exit 2) naming it."""
    p = argparse.ArgumentParser(description=DESCRIPTION)
    p.add_argument("--recipe", choices=tuple(RECIPES),
                   help="default: baseline; with --quick, article (the tutorial's augmentation, to see it at work)")
    p.add_argument("--seed", type=int, default=0, help="0 .. 2**32 - 1")
    p.add_argument("--epochs", type=int, help="default: the recipe's (baseline 20, the others 80)")
    p.add_argument("--order", type=int, choices=(0, 1), help="resampling of the augmentation: 0 nearest, 1 bilinear")
    p.add_argument("--bilinear", action="store_const", const=1, dest="order", help="the same as --order 1")
    p.add_argument("--aug", type=json_object, default={},
                   help="JSON object merged into the recipe's jaxaug.augmenter arguments, e.g. '{\"cutout_size\": 8}'")
    p.add_argument("--mixup", type=float, metavar="ALPHA", help="mix batches with jaxaug.mixup(alpha=ALPHA)")
    p.add_argument("--cutmix", type=float, metavar="ALPHA", help="mix batches with jaxaug.cutmix(alpha=ALPHA)")
    p.add_argument("--schedule", choices=("constant", "cosine"), help="learning-rate schedule (default: the recipe's)")
    p.add_argument("--lr", type=float,
                   help=f"peak learning rate (default: the recipe's, {DEFAULT_LR}; best and the policies 2e-3)")
    p.add_argument("--val-split", type=float, help="held-out fraction (default: the recipe's)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--devices", type=int, help="train data-parallel on this many local devices (default: all)")
    p.add_argument("--stream", action="store_true",
                   help="read every batch from the prepared records on the host instead of keeping the training "
                        "set on the device (implied by several processes)")
    p.add_argument("--coordinator", metavar="HOST:PORT",
                   help="join a multi-process run: process 0's address, or 'auto' on a cluster JAX knows")
    p.add_argument("--num-processes", type=int, help="number of processes (with --coordinator HOST:PORT)")
    p.add_argument("--process-id", type=int, help="this process, 0 .. num-processes - 1 (with --coordinator)")
    p.add_argument("--subset", type=int,
                   help=f"training subset size, a multiple of 10 up to {CIFAR10_TRAIN} (default 10000; --quick: 500)")
    p.add_argument("--test-limit", type=int, help="evaluate on this many test images (default all; --quick: 1000)")
    p.add_argument("--quick", action="store_true",
                   help="a first look: 500 images, 2 epochs, 1000 test images (the article recipe unless --recipe)")
    p.add_argument("--data", help="CIFAR-10 archive, zip or class folder (see jaxaug.data.cifar10)")
    p.add_argument("--data-dir", help="tensorflow-datasets data dir for the prepared dataset")
    p.add_argument("--out", help="output folder (default: runs/<recipe>[-order1][-custom][-quick]-<seed>)")
    args = p.parse_args(argv)
    args.recipe = args.recipe or ("article" if args.quick else "baseline")
    if args.mixup is not None and args.cutmix is not None:
        p.error("--mixup and --cutmix are exclusive. Received: both")
    for name in ("epochs", "batch_size", "subset", "test_limit", "devices", "num_processes"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if not 0 <= args.seed < 2**32:  # jax.random.key keeps 32 bits: seed 2**32 would be seed 0 again
        p.error(f"--seed must be in [0, 2**32 - 1]. Received: --seed={args.seed}")
    if args.subset is not None and (args.subset % NUM_CLASSES or args.subset > CIFAR10_TRAIN):
        p.error(f"--subset must be a multiple of 10 (as many images of each class) and <= {CIFAR10_TRAIN}, "
                f"CIFAR-10's training images. Received: --subset={args.subset}")
    for flag, value in (("--lr", args.lr), ("--mixup", args.mixup), ("--cutmix", args.cutmix)):
        with np.errstate(over="ignore"):
            single = None if value is None else np.float32(value)  # what training computes with
        if value is not None and not (np.isfinite(single) and single > 0):
            p.error(f"{flag} must be > 0 and finite in float32 (below 3.4e38). Received: {flag}={value!r}")
    if args.val_split is not None and not 0 <= args.val_split < 1:
        p.error(f"--val-split must be in [0, 1). Received: --val-split={args.val_split}")
    subset = args.subset or (500 if args.quick else 10_000)
    val_split = RECIPES[args.recipe]["val_split"] if args.val_split is None else args.val_split
    if int(subset * (1.0 - val_split)) < 1:
        p.error(f"--val-split leaves no training image of the {subset}. Received: --val-split={val_split}")
    epochs = args.epochs or (2 if args.quick else RECIPES[args.recipe]["epochs"])
    steps = -(-int(subset * (1.0 - val_split)) // args.batch_size)
    if epochs * steps >= 2**31:  # optax counts steps in int32
        p.error(f"--epochs times the {steps} steps of an epoch must be < 2**31. Received: --epochs={epochs}")
    if args.order is not None and RECIPES[args.recipe]["augment"] is None and not args.aug:
        p.error(f"--order needs a recipe with augmentation (all but baseline). Received: --recipe={args.recipe}")
    for flag, check, value in (("--data", cifar10.check_source, args.data),
                               ("--data-dir", cifar10.check_data_dir, args.data_dir)):
        if value is not None or flag == "--data-dir":  # no --data-dir: the default one is checked
            try:
                check(value)
            except (TypeError, ValueError, OSError) as err:
                p.error(f"argument {flag}: {one_line(err)}")
    check_processes(p, args)
    init_distributed(args.coordinator, args.num_processes, args.process_id)
    args.devices = check_devices(p, args.devices, args.batch_size)
    cfg = make_config(args)
    if cfg.augment is not None and (problem := augment_error(json.dumps(cfg.augment))):
        p.error(f"--aug {json.dumps(args.aug)} {problem}")
    if is_lead():  # the only writer
        check_out(p, out_dir(args, cfg), given=args.out is not None)
    return args


def json_object(text: str) -> dict:
    """Type of --aug: a JSON object whose numbers are finite in float32 (JSON's NaN, Infinity, 1e400 refused)."""
    def number(literal):
        with np.errstate(over="ignore"):
            value = float(literal)
            if not np.isfinite(np.float32(value)):
                raise argparse.ArgumentTypeError(f"numbers must be finite in float32. Received: {literal} in {text!r}")
        return value

    try:
        value = json.loads(text, parse_float=number, parse_constant=number)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"must be a JSON object ({err}). Received: {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object, e.g. '{{\"cutout_size\": 8}}'. Received: {text!r}")
    return value


@functools.cache
def augment_error(augment_json: str) -> str | None:
    """Why this spec cannot augment CIFAR-10 for the model (the rest of the error line after "--aug SPEC"), or
    None: builds the `jaxaug.augmenter` and traces a batch (shapes only, no compute). Besides jaxaug's own
    refusals (each naming the option, e.g. a range whose draws overflow float32 or an output size past 2**15),
    the batch must keep CIFAR-10's 32 x 32: the model's first dense layer is sized for it, so
    `{"random_resized_crop": 64}` would otherwise fail only inside the first step."""
    try:
        augment = make_augment(json.loads(augment_json))
        batch = jax.ShapeDtypeStruct((2, 32, 32, 3), jnp.uint8), jax.ShapeDtypeStruct((2,), jnp.int32)  # CIFAR-10
        out = jax.eval_shape(lambda x, idx: augment_batch(augment, x, idx, jax.random.key(0), 0), *batch)
    except Exception as err:  # whatever it is, the user's --aug caused it: one line, no traceback
        return f"is refused by jaxaug.augmenter: {one_line(err)}"
    if tuple(out.shape[1:3]) != (32, 32):
        sized = [k for k in ("random_resized_crop", "resize", "center_crop") if k in json.loads(augment_json)]
        return (f"makes {out.shape[1]} x {out.shape[2]} images, but the model takes CIFAR-10's 32 x 32"
                + (f": set {' and '.join(sized)} to 32" if sized else ""))
    return None


def out_dir(args: argparse.Namespace, cfg: Config) -> Path:
    return Path(args.out) if args.out else Path("runs") / cfg.name


def check_out(p: argparse.ArgumentParser, out: Path, *, given: bool) -> None:
    """The report's folder must be (or be creatable in) a folder this process can write in: checked now, with a
    probe file, rather than after training."""
    received = f"Received: --out={out}" if given else f"Received: no --out, so {out}"
    existing = out
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        p.error(f"--out must be a folder, or a new path inside one, but {existing} is not a folder. {received}")
    try:
        handle, probe = tempfile.mkstemp(prefix=".write-probe-", dir=existing)
        os.close(handle)
        os.remove(probe)
    except OSError as err:
        p.error(f"--out must be a folder this process can write in, but no file can be created in {existing} "
                f"({err.strerror or err}). {received}")


def one_line(err) -> str:
    """An error's message on one line: command-line errors are one line, never a traceback."""
    return " ".join(str(err).split()) or type(err).__name__


def check_processes(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--coordinator HOST:PORT needs --num-processes and --process-id; 'auto' and no coordinator take neither."""
    explicit = args.coordinator not in (None, "auto")
    host, _, port = (args.coordinator or "").rpartition(":")
    if explicit and not (host and port.isdigit() and 0 < int(port) < 65536):
        p.error(f"--coordinator must be HOST:PORT (port 1-65535) or 'auto'. Received: --coordinator={args.coordinator}")
    given = {"--num-processes": args.num_processes, "--process-id": args.process_id}
    if explicit and None in given.values():
        p.error(f"--coordinator {args.coordinator} needs --num-processes and --process-id. Received: "
                + ", ".join(f"{k}={v}" for k, v in given.items()))
    if not explicit and any(v is not None for v in given.values()):
        p.error(f"--num-processes and --process-id go with --coordinator HOST:PORT. Received: "
                f"--coordinator={args.coordinator}")
    if explicit and not 0 <= args.process_id < args.num_processes:
        p.error(f"--process-id must be in [0, --num-processes={args.num_processes}). "
                f"Received: --process-id={args.process_id}")


def check_devices(p: argparse.ArgumentParser, devices: int | None, batch_size: int) -> int:
    """--devices, defaulting to all local devices; it must divide the batch size (never padded)."""
    available, processes = jax.local_device_count(), jax.process_count()
    if devices is not None and devices > available:
        p.error(f"--devices must be <= the {available} local device(s). Received: --devices={devices}")
    devices = devices or available
    if batch_size % (devices * processes):
        p.error(f"--devices times the {processes} process(es) must divide --batch-size={batch_size}, so that "
                f"every full batch splits evenly (pass --devices explicitly if the default, all {available} "
                f"local devices, does not). Received: --devices={devices}")
    return devices


def make_config(args: argparse.Namespace) -> Config:
    recipe = RECIPES[args.recipe]
    augment = None if recipe["augment"] is None and not args.aug else {**(recipe["augment"] or {}), **args.aug}
    if args.order is not None:  # parse_args checked that there is an augmentation
        augment["order"] = args.order
    if augment is not None and augment.get("order") == 1:
        augment.setdefault("dtype", "float32")  # interpolate like Keras on float arrays: no uint8 rounding
    mix = "mixup" if args.mixup is not None else "cutmix" if args.cutmix is not None else None
    quick = args.quick
    return Config(
        recipe=args.recipe, seed=args.seed, epochs=args.epochs or (2 if quick else recipe["epochs"]),
        batch_size=args.batch_size, val_split=recipe["val_split"] if args.val_split is None else args.val_split,
        augment=augment, schedule=args.schedule or recipe["schedule"],
        learning_rate=args.lr or recipe.get("learning_rate", DEFAULT_LR), mix=mix,
        mix_alpha=args.mixup if mix == "mixup" else args.cutmix if mix else 0.0,
        subset=args.subset or (500 if quick else 10_000), test_limit=args.test_limit or (1000 if quick else None),
        quick=quick, data=args.data, data_dir=args.data_dir, devices=args.devices, processes=jax.process_count(),
        stream=args.stream or jax.process_count() > 1)


def fail(err, status: int) -> int:
    """Prints `err` as argparse prints its errors, on one line; returns `status`."""
    print(f"{os.path.basename(sys.argv[0])}: error: {one_line(err)}", file=sys.stderr, flush=True)
    return status
