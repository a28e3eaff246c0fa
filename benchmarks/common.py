"""Timing shared by the benchmarks: interleaved rounds, medians, machine facts.

Rounds are interleaved (A B C A B C ...) so a noisy neighbour hurts every system
alike; each system repeats enough calls per round to run `min_time` seconds.
"""

from __future__ import annotations

import json
import os
import pathlib
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

import jaxaug


def _same(value):
    return value


class Call(NamedTuple):
    """One system's timed call: `run(seed)` does one batch, `sync(out)` waits until `out` is
    really computed (asynchronous devices), `seed(round)` is made before the clock starts."""

    run: Callable
    sync: Callable = _same
    seed: Callable = _same


def time_calls(calls, n: int, rounds: int, min_time: float):
    """Times every `name: Call` of `calls`, interleaved over rounds; each call does `n` images.

    The first call (compilation, caches) is timed alone; a second one sizes the repetitions
    so that each round runs at least `min_time` seconds.

    Returns:
      (first-call seconds, {name: [img/s per round]}).
    """
    first_s, reps = {}, {}
    for name, call in calls.items():
        first_s[name] = _seconds(call, -2)
        reps[name] = max(1, int(min_time / max(_seconds(call, -1), 1e-6)))
    rates = {name: [] for name in calls}
    for r in range(rounds):
        for name, call in calls.items():
            seed = call.seed(r)
            t0 = time.perf_counter()
            for _ in range(reps[name]):
                out = call.run(seed)
            call.sync(out)
            rates[name].append(n * reps[name] / (time.perf_counter() - t0))
    return first_s, rates


def _seconds(call: Call, r: int) -> float:
    seed = call.seed(r)
    t0 = time.perf_counter()
    call.sync(call.run(seed))
    return time.perf_counter() - t0


def time_systems(fns, images, rounds: int, min_time: float):
    """Jits every `fn(key, images)`; returns (compile seconds, {name: [img/s per round]})."""
    seed = lambda r: jax.random.key(100 + r)  # noqa: E731
    calls = {name: Call(_bind(jax.jit(fn), images), jax.block_until_ready, seed) for name, fn in fns.items()}
    return time_calls(calls, images.shape[0], rounds, min_time)


def _bind(fn, images):
    return lambda key: fn(key, images)


def table(title, result, reference, extra=()):
    """Markdown table of one result; ratios are `reference` / system (> 1: system is slower).

    `extra` holds more columns, `(header, {name: text})`; a missing name shows "".
    """
    rates = result["img_per_s"]
    ref = statistics.median(rates[reference])
    headers = ["system", "img/s (median)", "spread (min-max)", f"time vs {reference}", "compile s"]
    headers += [h for h, _ in extra]
    lines = [f"\n{title}", "| " + " | ".join(headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
    for name, r in rates.items():
        med = statistics.median(r)
        cells = [name, f"{med:,.0f}", f"{min(r):,.0f}-{max(r):,.0f}", f"{ref / med:.2f}x",
                 f"{result['compile_s'][name]:.2f}"] + [column.get(name, "") for _, column in extra]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine():
    return {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count(),
                    "device": str(jax.devices()[0]), "backend": jax.default_backend()},
        "versions": {"jax": jax.__version__, "jaxaug": jaxaug.__version__, "numpy": np.__version__},
    }


def cpu() -> dict:
    """Model name and family from /proc/cpuinfo (what `lscpu` shows), where there is one."""
    info = {}
    path = pathlib.Path("/proc/cpuinfo")
    for line in path.read_text().splitlines() if path.exists() else []:
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "cpu family", "model") and key.strip() not in info:
            info[key.strip()] = value.strip()
    return info or {"processor": platform.processor()}


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def parse_shapes(text: str) -> list[tuple[int, ...]]:
    """The benchmarks' --shapes: "128x32x32x3,32x224x224x3" -> [(128, 32, 32, 3), (32, 224, 224, 3)]."""
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]


def albumentations_report(rounds: int) -> dict:
    """The header of a report against albumentations (machine, versions, commit), printed as one line."""
    import albumentations

    report = {"cpu": cpu(), "jax": jax.__version__, "albumentations": albumentations.__version__,
              "backend": jax.default_backend(), "commit": commit(), "rounds": rounds, "results": []}
    print(f"{report['cpu']} | jax {report['jax']} | albumentations {report['albumentations']} | "
          f"commit {report['commit']}")
    return report


def peer_rows(shape, rates, peers: dict, reference: str, key: str, label: str) -> dict:
    """Per system: img/s (median and spread), the ratio to its albumentations peer and the time over `reference`'s.

    `peers` maps a jaxaug system to its peer's name; the time ratio goes under `key` and is
    printed as `label`. Prints one line per system and returns the rows for the JSON report.
    """
    med = {k: statistics.median(v) for k, v in rates.items()}
    rows = {name: {"img_per_s": med[name], "spread": [min(rates[name]), max(rates[name])],
                   "vs_albumentations": med[name] / med[peers[name]] if name in peers else None,
                   key: med[reference] / med[name]} for name in med}
    width = max(map(len, rows))
    for name, row in rows.items():
        peer = "" if row["vs_albumentations"] is None else f"{row['vs_albumentations']:5.2f}x albumentations  "
        print(f"{'x'.join(map(str, shape)):>12} {name:{width}s} {row['img_per_s']:9,.0f} img/s  {peer}"
              f"{row[key]:5.2f}x {label}")
    return rows


def write_report(report, path) -> None:
    """Writes a benchmark's report as JSON to `path` (nothing when it is None) and says so."""
    if path is None:
        return
    pathlib.Path(path).write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {path}")
