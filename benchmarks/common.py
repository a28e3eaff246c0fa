"""Timing shared by the benchmarks: interleaved rounds, medians, machine facts.

Rounds are interleaved (A B C A B C ...) so a noisy neighbour hurts every system
alike; each system repeats enough calls per round to run `min_time` seconds.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import jax
import numpy as np

import jaxaug


def time_systems(fns, images, rounds: int, min_time: float):
    """Jits every `fn(key, images)`; returns (compile seconds, {name: [img/s per round]})."""
    n = images.shape[0]
    jitted, compile_s, reps = {}, {}, {}
    for name, fn in fns.items():
        jitted[name] = jax.jit(fn)
        t0 = time.perf_counter()
        jax.block_until_ready(jitted[name](jax.random.key(1), images))
        compile_s[name] = time.perf_counter() - t0
        t0 = time.perf_counter()
        jax.block_until_ready(jitted[name](jax.random.key(2), images))
        reps[name] = max(1, int(min_time / max(time.perf_counter() - t0, 1e-6)))
    rates = {name: [] for name in jitted}
    for r in range(rounds):
        for name, fn in jitted.items():
            key = jax.random.key(100 + r)
            t0 = time.perf_counter()
            for _ in range(reps[name]):
                out = fn(key, images)
            jax.block_until_ready(out)
            rates[name].append(n * reps[name] / (time.perf_counter() - t0))
    return compile_s, rates


def table(title, result, reference):
    """Markdown table of one result; ratios are `reference` / system (> 1: system is slower)."""
    rates = result["img_per_s"]
    ref = statistics.median(rates[reference])
    lines = [f"\n{title}", f"| system | img/s (median) | spread (min-max) | time vs {reference} | compile s |",
             "|---|---:|---:|---:|---:|"]
    for name, r in rates.items():
        med = statistics.median(r)
        lines.append(f"| {name} | {med:,.0f} | {min(r):,.0f}-{max(r):,.0f} | {ref / med:.2f}x "
                     f"| {result['compile_s'][name]:.2f} |")
    return "\n".join(lines)


def machine():
    return {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count(),
                    "device": str(jax.devices()[0]), "backend": jax.default_backend()},
        "versions": {"jax": jax.__version__, "jaxaug": jaxaug.__version__, "numpy": np.__version__},
    }
