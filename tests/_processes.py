"""Subprocess helpers for the multi-device and multi-process tests (jax fixes its devices at start-up)."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def host_env(device_count: int) -> dict:
    """This environment with CPU jax and `device_count` forced host devices.

    Other XLA flags of this environment pass on (minus a device count of their own), so that the
    subprocesses run under the CPU configuration the suite is checked under, e.g.
    `XLA_FLAGS="--xla_cpu_max_isa=SSE4_2" pytest tests/test_example_devices.py`.
    """
    flags = [flag for flag in os.environ.get("XLA_FLAGS", "").split()
             if not flag.startswith("--xla_force_host_platform_device_count")]
    flags.append(f"--xla_force_host_platform_device_count={device_count}")
    return dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=" ".join(flags))


def free_port() -> int:
    """A loopback port that was free a moment ago (for jax.distributed's coordinator)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_together(cmds: list[list[str]], env: dict, timeout: float, what: str) -> list[tuple[str, str]]:
    """Starts every command at once, waits for all (killing them all after `timeout` s); their (stdout, stderr).

    Fails the test, with the end of each stderr, if one fails or they time out.
    """
    with tempfile.TemporaryDirectory() as tmp:
        logs = [(open(f"{tmp}/out{i}", "w+"), open(f"{tmp}/err{i}", "w+")) for i in range(len(cmds))]
        procs = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=err, text=True)
                 for cmd, (out, err) in zip(cmds, logs, strict=True)]
        deadline = time.monotonic() + timeout
        try:
            codes = [p.wait(timeout=max(deadline - time.monotonic(), 0)) for p in procs]
        except subprocess.TimeoutExpired:
            codes = None
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        texts = []
        for out, err in logs:
            out.seek(0), err.seek(0)
            texts.append((out.read(), err.read()))
            out.close(), err.close()
    if codes is None or any(codes):
        stderr = "\n".join(f"--- process {i} ---\n{e[-3000:]}" for i, (_, e) in enumerate(texts))
        pytest.fail(f"{what} {f'timed out after {timeout} s' if codes is None else f'failed: rc={codes}'}:\n{stderr}")
    return texts
