"""Trains the tutorial's CNN on 20 % of CIFAR-10 in Flax NNX + Optax, augmented by jaxaug inside the jitted step.

    python examples/cifar_flax.py --quick --data PATH          # a first look: the tutorial's augmentation, 2 epochs
    python examples/cifar_flax.py --recipe best --data PATH    # 80 epochs: crop, flip, colour, cosine LR

`examples/cifar_flax.py` runs this file. README.md in this folder has every command, the protocol and where it
differs from Keras, and
why the `best` recipe. This file is the training: the step, evaluation and the epoch loop. The
rest lives beside it: config.py (recipes, key streams), input_pipeline.py (data, batches,
augmentation), model.py, distributed.py (devices, processes), cli.py (flags), report.py.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time
from pathlib import Path

# Run as a script, Python puts this folder on sys.path; loaded from its file by importlib (the
# tests, the benchmarks) it does not, and the sibling modules below must import either way.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

# Same seed, same numbers on GPUs too: XLA's GPU convolutions and scatters otherwise pick
# non-deterministic algorithms (atomics). Must be set before jax initialises its backends.
if "--xla_gpu_deterministic_ops" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_gpu_deterministic_ops=true").strip()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from cli import fail, make_config, one_line, out_dir, parse_args  # noqa: E402
from config import DROPOUT, INIT, MIX, NUM_CLASSES, TUTORIAL_IDG, Config, stream_key  # noqa: E402
from distributed import is_lead, make_mesh, replicate, replicate_state, split_or_replicate  # noqa: E402
from flax import nnx  # noqa: E402
from input_pipeline import (  # noqa: E402
    Data,
    augment_batch,
    augmented_batch,
    batch_args,
    batches,
    gather_batch,
    load_data,
    make_augment,
    on_mesh,
    placed_order,
    prefetched,
    read_rows,
)
from jax.sharding import Mesh  # noqa: E402
from model import TutorialCNN, conv_valid  # noqa: E402
from report import epoch_line, say, summary, throughput, write_atomically, write_report  # noqa: E402
from tqdm import tqdm  # noqa: E402

import jaxaug  # noqa: E402
from jaxaug.data import cifar10  # noqa: E402

# What the tests and benchmarks use as this module's attributes; some of them live beside it.
__all__ = ["INIT", "NUM_CLASSES", "TUTORIAL_IDG", "TutorialCNN", "augmented_batch", "batch_args", "batches",
           "conv_valid", "load_data", "main", "make_config", "make_mesh", "make_train_step", "make_tx", "on_mesh",
           "parse_args", "placed_order", "replicate", "replicate_state", "train", "write_atomically"]


def to_inputs(images):
    """uint8 (or float 0..255) pixels -> the tutorial's inputs (x / 255 - 0.5) * 2, in float32."""
    return (images.astype(jnp.float32) / 255.0 - 0.5) * 2.0


@functools.cache
def make_train_step(augment_json: str, mix: str | None, mix_alpha: float, mesh: Mesh | None = None,
                    streamed: bool = False):
    """One optimiser step on one batch, augmented inside jit.

    Two forms, both cached on the (hashable) recipe and mesh, so runs in one process (the tests)
    share compiled code:

    * `train_step(model, optimizer, images, labels, order, start, root, epoch, step, *, batch_size)`
      gathers the batch order[start:start + batch_size] from the training set on the device;
    * with `streamed=True`, `train_step(model, optimizer, x, y, idx, root, epoch, step, *, batch_size)`
      takes a batch the processes loaded (`read_rows`): images, labels and training-set indices.

    With a mesh, the batch is sharded over it (see `split_or_replicate`); model and optimiser state
    must be replicated on it (`replicate_state`), and stay so.
    """
    augment = make_augment(json.loads(augment_json))

    def update(model, optimizer, x, y, idx, root, epoch, step):
        x = augment_batch(augment, x, idx, root, epoch)
        x, targets = to_inputs(x), jax.nn.one_hot(y, NUM_CLASSES)
        if mix is not None:
            mixer = jaxaug.mixup if mix == "mixup" else jaxaug.cutmix
            x, targets = mixer(stream_key(root, MIX, epoch, step), x, y, alpha=mix_alpha, num_classes=NUM_CLASSES)

        def loss_fn(model):
            logits = model(x, rngs=stream_key(root, DROPOUT, epoch, step))
            return optax.softmax_cross_entropy(logits, targets).mean(), logits

        (loss, logits), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model)
        optimizer.update(model, grads)
        return loss, jnp.sum(logits.argmax(-1) == y)

    @nnx.jit(static_argnames="batch_size")
    def streamed_step(model, optimizer, x, y, idx, root, epoch, step, *, batch_size):
        return update(model, optimizer, x, y, idx, root, epoch, step)

    @nnx.jit(static_argnames="batch_size")
    def train_step(model, optimizer, images, labels, order, start, root, epoch, step, *, batch_size):
        x, y, idx = gather_batch(images, labels, order, start, batch_size, split_or_replicate(mesh, batch_size))
        return update(model, optimizer, x, y, idx, root, epoch, step)

    return streamed_step if streamed else train_step


@nnx.jit
def eval_step(model, images, labels):
    logits = model(to_inputs(images))
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    return loss.sum(), jnp.sum(logits.argmax(-1) == labels)


def evaluate(model, split: cifar10.Split, rows: np.ndarray, batch_size: int = 500, mesh: Mesh | None = None) -> dict:
    """Mean loss and accuracy on `split`'s `rows`, with BatchNorm's moving statistics and no dropout.

    Batches of about `batch_size`, rounded down to a multiple of the mesh size so that they split
    over it (500 for 1, 2 and 4 devices, as before meshes existed); each process reads only its
    part of every batch (`read_rows`), all of the last one if the mesh does not divide it.
    """
    if mesh is not None:
        batch_size = max(batch_size - batch_size % mesh.size, mesh.size)
    model.eval()
    loss = correct = 0.0
    for i in range(0, len(rows), batch_size):
        chunk = rows[i:i + batch_size]
        batch_loss, batch_correct = eval_step(model, *read_rows(split, chunk, split_or_replicate(mesh, len(chunk))))
        loss, correct = loss + float(batch_loss), correct + int(batch_correct)
    model.train()
    return {"loss": loss / len(rows), "accuracy": correct / len(rows)}


@functools.cache
def make_tx(schedule: str, learning_rate: float, total_steps: int):
    """Keras' Adam (eps 1e-7) with a constant or cosine-decayed rate; cached like `make_train_step`."""
    if schedule == "cosine":
        rate = optax.cosine_decay_schedule(learning_rate, decay_steps=total_steps)
    else:
        rate = optax.constant_schedule(learning_rate)
    return optax.adam(rate, eps=1e-7), rate


def run_epoch(cfg: Config, train_step, data: Data, root, epoch) -> dict:
    """One pass over the training set; `train_step` is bound to the model and optimiser (see `train`)."""
    n, mesh = len(data.train_rows), make_mesh(cfg.devices)
    plan = batches(n, cfg.batch_size)
    load = functools.partial(batch_args, data, mesh, placed_order(data, mesh, root, epoch))
    # Streamed: the host reads (decodes) the next batch while the devices train on this one.
    loads = prefetched(load, plan) if data.streamed else (load(*call) for call in plan)
    loss_sum, correct, seen, t0 = 0.0, 0, 0, time.perf_counter()
    bar = tqdm(plan, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="step", file=sys.stderr, disable=not is_lead())
    for step, ((_, size), args) in enumerate(zip(bar, loads, strict=True)):
        loss, hits = train_step(*args, root, epoch, step, batch_size=size)
        loss = float(loss)
        if not math.isfinite(loss):
            bar.close()
            raise FloatingPointError(
                f"the training loss became {loss} at epoch {epoch + 1}, step {step + 1}: the learning rate "
                f"(--lr) {cfg.learning_rate:g} is too large for this model, or an --aug option makes inputs non-finite")
        loss_sum, correct, seen = loss_sum + loss * size, correct + int(hits), seen + size
        elapsed = time.perf_counter() - t0
        bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}", img_s=f"{seen / elapsed:.0f}")
    bar.close()
    seconds = time.perf_counter() - t0
    return {"epoch": epoch + 1, "train_loss": loss_sum / n, "train_accuracy": correct / n,
            "seconds": seconds, "images_per_second": n / seconds}


def train(cfg: Config, data: Data) -> dict:
    root = jax.random.key(cfg.seed)
    model = TutorialCNN(rngs=nnx.Rngs(params=jax.random.fold_in(root, INIT)))
    steps = len(batches(len(data.train_rows), cfg.batch_size))
    tx, schedule = make_tx(cfg.schedule, cfg.learning_rate, cfg.epochs * steps)
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    mesh = make_mesh(cfg.devices)
    replicate_state(mesh, model, optimizer)
    data = on_mesh(data, mesh)
    train_step = make_train_step(json.dumps(cfg.augment), cfg.mix, cfg.mix_alpha, mesh, data.streamed)
    # nnx.jit walks the model's object graph in Python on every call; cached_partial walks it
    # once (on the H200: 34-39k img/s instead of 23-30k, same numbers; results/h200/
    # step_overhead.json). The clones it keeps share the model's variables, so evaluation
    # sees every update, but not attribute changes such as model.eval(): they keep the train
    # mode the model has now, which is the mode every step needs.
    train_step = nnx.cached_partial(train_step, model, optimizer)
    history, t0 = [], time.perf_counter()
    for epoch in range(cfg.epochs):
        row = {"learning_rate": float(schedule(epoch * steps))}
        row.update(run_epoch(cfg, train_step, data, root, epoch))
        if len(data.val_rows):
            val = evaluate(model, data.records.train, data.val_rows, mesh=mesh)
            row.update(val_loss=val["loss"], val_accuracy=val["accuracy"])
        history.append(row)
        say(epoch_line(row))
    train_seconds = time.perf_counter() - t0
    test = evaluate(model, data.records.test, data.test_rows, mesh=mesh)
    say(f"test: loss {test['loss']:.4f}, accuracy {100 * test['accuracy']:.2f} %")
    return {"history": history, "test_loss": test["loss"], "test_accuracy": test["accuracy"],
            "train_seconds": train_seconds, "steps_per_epoch": steps, **throughput(history, steps)}


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    finally:
        if jax.distributed.is_initialized():
            jax.distributed.shutdown()


def run(args: argparse.Namespace) -> int:
    """Loads, trains, reports; returns the exit status (2: the data cannot be used, 1: training diverged)."""
    cfg = make_config(args)
    out = out_dir(args, cfg)
    t0 = time.perf_counter()
    try:
        data = load_data(cfg)
    except (OSError, ValueError) as err:  # a missing or damaged source; jaxaug.data's messages name the file
        return fail(err, 2)
    say(f"{cfg.name}: {len(data.train_rows)} train, {len(data.val_rows)} validation, {len(data.test_rows)} test "
        f"images from {data.records.source}; augmentation {json.dumps(cfg.augment)}")
    try:
        result = train(cfg, data)
    except FloatingPointError as err:
        return fail(err, 1)
    result["wall_seconds"] = time.perf_counter() - t0
    if is_lead():
        try:
            write_report(out, cfg, data, result)
        except OSError as err:  # checked writable before training; this is a full disk or the like
            return fail(f"cannot write the report to {out}/: {one_line(err)}", 1)
        print(summary(out, cfg, data, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
