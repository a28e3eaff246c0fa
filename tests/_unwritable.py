"""Folders no file can be created in, for tests that run as root (chmod does not stop root)."""

import os
import tempfile


def deny_mkstemp(monkeypatch, folder) -> None:
    """`tempfile.mkstemp(dir=folder)` fails as on a read-only folder."""
    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and os.path.abspath(dir) == os.path.abspath(folder):
            raise PermissionError(13, "Permission denied", os.path.join(dir, "probe"))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def deny_os_open(monkeypatch, folder) -> None:
    """`os.open` of any path under `folder` fails as on a read-only folder."""
    real_open = os.open

    def read_only(path, *args, **kwargs):
        if os.fspath(path).startswith(str(folder)):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
