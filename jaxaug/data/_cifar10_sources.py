"""Reading CIFAR-10 sources: the official archives and class-folder trees, checked file by file.

A source is a tarball, a zip or a folder (the container) holding one of three layouts:

    python   [<prefix>/]data_batch_1 .. data_batch_5, test_batch, batches.meta   (pickled batches)
    binary   [<prefix>/]data_batch_1.bin .. data_batch_5.bin, test_batch.bin      (3073-byte records)
    folders  [<root>/]<split>/<class>/<image>, split in {train, test}, image PNG or JPEG

so the official `cifar-10-python.tar.gz`, `cifar-10-binary.tar.gz`, their extracted folders,
and zips or folders of images all work. Examples come out as `(key, {"image": encoded bytes,
"label": int})` in a fixed order: the official order for the archives (pixels PNG-encoded,
lossless), class name then file name for folders (bytes passed through untouched).

Every problem raises `ValueError` naming the offending file, shown as `container:member`.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import hashlib
import io
import os
import pickle
import tarfile
import urllib.request
import zipfile
import zlib

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm.auto import tqdm

CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
SPLITS = ("train", "test")
SIDE = 32
_PIXELS = SIDE * SIDE * 3
_RECORD = 1 + _PIXELS  # binary format: one label byte, then the CHW pixels
_BATCHES = {
    "python": {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
    "binary": {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]},
}
KINDS = {
    "python": "CIFAR-10 python archive",
    "binary": "CIFAR-10 binary archive",
    "folders": "class folders",
}
_IMAGE_FORMATS = ("PNG", "JPEG")


# --- containers: regular files by relative POSIX path --------------------------------------


class _Container:
    """Read access to the regular files of a tarball, zip or folder."""

    def __init__(self, path: str, names: list[str], read):
        self.path = path
        self.names = names  # sorted, hidden files and __MACOSX/ skipped
        self._read = read
        self._folder = os.path.isdir(path)

    def where(self, name: str) -> str:
        """How a member is named in messages: `archive:member` or a filesystem path."""
        return os.path.join(self.path, name) if self._folder else f"{self.path}:{name}"

    def read(self, name: str) -> bytes:
        try:
            return self._read(name)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
            raise ValueError(f"Cannot read {self.where(name)}: {err}") from err


def _visible(name: str) -> bool:
    parts = name.split("/")
    return not any(p.startswith(".") or p == "__MACOSX" for p in parts)


@contextlib.contextmanager
def open_container(path: str):
    """Yields a `_Container` for the file or folder at `path` (zips are read in place)."""
    if os.path.isdir(path):

        def unreadable(err):  # os.walk would skip a folder it cannot list, and its images with it
            raise ValueError(f"Cannot read the folder {err.filename}: {err.strerror or err}") from err

        names = []
        for top, dirs, files in os.walk(path, onerror=unreadable):
            dirs.sort()
            rel = os.path.relpath(top, path).replace(os.sep, "/")
            names += [f if rel == "." else f"{rel}/{f}" for f in sorted(files)]

        def read(name):
            with open(os.path.join(path, name), "rb") as f:
                return f.read()

        yield _Container(path, sorted(filter(_visible, names)), read)
    elif zipfile.is_zipfile(path):
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            raise ValueError(f"{path} is a damaged zip (truncated or corrupt?): {_one_line(err)}") from err
        with zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
            yield _Container(path, sorted(filter(_visible, names)), zf.read)
    else:
        members = _read_tar(path)
        yield _Container(path, sorted(filter(_visible, members)), members.__getitem__)


def _read_tar(path: str) -> dict[str, bytes]:
    """All regular files of a (compressed) tarball, read in one pass: gzip cannot seek back cheaply."""
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar if m.isfile()}
            end = tar.offset
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise ValueError(f"{path} {_not_an_archive(path, err)}") from err
    with open(path, "rb") as f:
        compressed = f.read(8).startswith(tuple(_COMPRESSED))
        f.seek(end)
        if not compressed and f.read(512) != bytes(512):
            # tarfile stops quietly at a cut between (or inside) headers; compressed streams end-check themselves.
            raise ValueError(f"{path} has no end-of-archive marker after its {len(members)} files: "
                             f"the tar archive is truncated.")
    return members


_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}  # by magic bytes
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def _not_an_archive(path: str, err: BaseException) -> str:
    """What is wrong with a file that is neither a zip nor a readable tar archive, from its first bytes and name."""
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        return "is empty (0 bytes): not a zip, tar archive or folder."
    if head.startswith(b"PK"):
        return "starts like a zip but has no readable central directory at its end: the zip is truncated or corrupt."
    kind = next((k for magic, k in _COMPRESSED.items() if head.startswith(magic)), None)
    if kind is not None:
        return (f"is {kind}-compressed but cannot be read to its end as a tar archive: truncated or corrupt? "
                f"({_one_line(err)}).")
    if path.lower().endswith(_TAR_SUFFIXES):
        return f"is named like a tar archive but is not a readable one: truncated or corrupt? ({_one_line(err)})."
    if path.lower().endswith(".zip"):
        return "is named like a zip but is not one (nor a tar archive)."
    return "is not a zip, a tar archive or a folder (unrecognised content)."


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def fingerprint(path: str) -> str:
    """A hex digest identifying the source: sha256 of a file; of (name, size, mtime) for a folder.

    Folder contents are not hashed (60k small reads), so a touched file counts as a change.
    """
    digest = hashlib.sha256()
    if os.path.isdir(path):
        with open_container(path) as tree:
            for name in tree.names:
                st = os.stat(os.path.join(path, name))
                digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()
    return file_sha256(path)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- layouts ---------------------------------------------------------------------------------


def detect_layout(tree: _Container) -> tuple[str, str]:
    """Returns (layout, prefix): "python"/"binary" with the batches' folder, or ("folders", root)."""
    for layout, batches in _BATCHES.items():
        first = batches["train"][0]
        prefixes = sorted({n[: -len(first)] for n in tree.names if n == first or n.endswith("/" + first)})
        if len(prefixes) > 1:
            raise ValueError(f"{tree.path} holds several copies of {first}: {[p + first for p in prefixes]}")
        if prefixes:
            return layout, prefixes[0]
    roots = sorted({"".join(p + "/" for p in parts[:-3]) for parts in (n.split("/") for n in tree.names)
                    if len(parts) >= 3 and parts[-3] in SPLITS})  # fmt: skip
    if len(roots) != 1:
        found = f"several candidate roots {roots}" if roots else "neither"
        raise ValueError(
            f"{tree.path} is not a CIFAR-10 source: expected the official python or binary batches "
            f"(data_batch_1, ..., test_batch[.bin]) or images laid out [<root>/]<split>/<class>/<image> "
            f"with split in {SPLITS}; found {found}."
        )
    return "folders", roots[0]


@dataclasses.dataclass(frozen=True)
class Source:
    """An open container whose layout is known; `layout` is a key of `KINDS`."""

    tree: _Container
    layout: str
    prefix: str  # folder of the batches, or root of the class folders ("" or ending in "/")

    @property
    def kind(self) -> str:
        return KINDS[self.layout]

    @property
    def official_order(self) -> bool:
        return self.layout != "folders"

    def examples(self, split: str):
        """Yields (key, {"image": PNG/JPEG bytes, "label": int}) for one split, keys 0, 1, ..."""
        if self.layout == "folders":
            items = _folder_examples(self.tree, self.prefix, split)
        else:
            parse = _python_batch if self.layout == "python" else _binary_batch
            items = (
                (_png(image), int(label))
                for name in _BATCHES[self.layout][split]
                for image, label in zip(*parse(self.tree, self.prefix + name), strict=True)
            )
        for key, (image, label) in enumerate(items):
            yield key, {"image": image, "label": label}


@contextlib.contextmanager
def open_source(path: str):
    """Yields the `Source` at `path`; the layout and class names are checked before any image is read."""
    with open_container(path) as tree:
        layout, prefix = detect_layout(tree)
        check_meta(tree, layout, prefix)
        if layout == "folders":  # the layout of both splits, before any image is read
            for split in SPLITS:
                _folder_members(tree, prefix, split)
        yield Source(tree, layout, prefix)


def check_meta(tree: _Container, layout: str, prefix: str) -> None:
    """The archives name their classes; refuse a data set whose label order is not CIFAR-10's."""
    name = prefix + ("batches.meta" if layout == "python" else "batches.meta.txt")
    if layout == "folders" or name not in tree.names:
        return
    if layout == "python":
        names = tuple(_to_str(n) for n in _key(_unpickle(tree, name), "label_names", tree.where(name)))
    else:
        names = tuple(tree.read(name).decode("ascii", "replace").split())
    if names != CLASS_NAMES:
        raise ValueError(f"{tree.where(name)} lists classes {names}; expected CIFAR-10's {CLASS_NAMES}.")


def _to_str(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=1)  # lossless either way; 1 is fastest
    return buf.getvalue()


def _chw_to_hwc(rows: np.ndarray) -> np.ndarray:
    return rows.reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1)


def _check_labels(labels: np.ndarray, where: str) -> None:
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise ValueError(f"{where} has labels outside 0..9: min {labels.min()}, max {labels.max()}.")


def _binary_batch(tree: _Container, name: str) -> tuple[np.ndarray, np.ndarray]:
    where = tree.where(name)
    if name not in tree.names:
        raise ValueError(f"{where} is missing from the CIFAR-10 binary archive.")
    raw = tree.read(name)
    if len(raw) % _RECORD:
        raise ValueError(
            f"{where} ends in a partial record: {len(raw)} bytes is not a multiple of the "
            f"{_RECORD}-byte record (1 label byte + 32*32*3 pixels); the file is truncated."
        )
    records = np.frombuffer(raw, np.uint8).reshape(-1, _RECORD)
    _check_labels(records[:, 0], where)
    return _chw_to_hwc(records[:, 1:]), records[:, 0]


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds only dicts, lists, bytes and numpy arrays: a pickle from the internet may not run code."""

    _ALLOWED = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): np.zeros(1).__reduce__()[0],
        ("numpy._core.multiarray", "_reconstruct"): np.zeros(1).__reduce__()[0],
        ("numpy.core.numeric", "_frombuffer"): np.zeros(1).__reduce_ex__(5)[0],
        ("numpy._core.numeric", "_frombuffer"): np.zeros(1).__reduce_ex__(5)[0],
        ("_codecs", "encode"): codecs.encode,  # how Python 3 pickles bytes at protocol 2
    }

    def find_class(self, module, name):
        try:
            return self._ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}") from None


def _unpickle(tree: _Container, name: str):
    where = tree.where(name)
    if name not in tree.names:
        raise ValueError(f"{where} is missing from the CIFAR-10 python archive.")
    try:
        # The official batches were pickled by Python 2: keys and strings come back as bytes.
        return _ArrayUnpickler(io.BytesIO(tree.read(name)), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as err:
        raise ValueError(f"{where} is not a readable CIFAR-10 pickle: {err}") from err


def _key(batch, key: str, where: str):
    if not isinstance(batch, dict):
        raise ValueError(f"{where} should hold a dict; found {type(batch).__name__}.")
    for k in (key.encode(), key):
        if k in batch:
            return batch[k]
    raise ValueError(f"{where} has no {key!r} entry; keys: {sorted(map(_to_str, batch))}.")


def _python_batch(tree: _Container, name: str) -> tuple[np.ndarray, np.ndarray]:
    where = tree.where(name)
    batch = _unpickle(tree, name)
    data = np.asarray(_key(batch, "data", where))
    labels = np.asarray(_key(batch, "labels", where))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _PIXELS or labels.shape != data.shape[:1]:
        raise ValueError(
            f"{where} should hold uint8 data of shape (N, {_PIXELS}) and N labels; found data "
            f"{data.dtype}{list(data.shape)} and labels of shape {list(labels.shape)}."
        )
    _check_labels(labels, where)
    return _chw_to_hwc(data), labels


def _folder_members(tree: _Container, root: str, split: str) -> list[str]:
    """The split's `<class>/<image>` members, sorted; the class folders are checked (not the images)."""
    base = root + split + "/"
    members = [n[len(base):] for n in tree.names if n.startswith(base)]
    classes = sorted({m.split("/")[0] for m in members if "/" in m})
    if tuple(classes) != tuple(sorted(CLASS_NAMES)):
        unknown = [tree.where(base + c) for c in sorted(set(classes) - set(CLASS_NAMES))]
        missing = sorted(set(CLASS_NAMES) - set(classes))
        found = "; ".join(([f"missing: {', '.join(missing)}"] if missing else [])
                          + ([f"unknown class folders: {', '.join(unknown)}"] if unknown else []))
        raise ValueError(f"{tree.where(base)} must hold one folder per CIFAR-10 class {CLASS_NAMES}; {found}.")
    for member in members:
        if member.count("/") != 1:
            raise ValueError(f"{tree.where(base + member)} is not at <split>/<class>/<image>.")
    return members


def _folder_examples(tree: _Container, root: str, split: str):
    """(bytes, label) in class-name order, then file-name order; every image is checked."""
    base = root + split + "/"
    for member in _folder_members(tree, root, split):  # already sorted: class, then file name
        cls = member.split("/")[0]
        data = tree.read(base + member)
        _check_image(data, tree.where(base + member))
        yield data, CLASS_NAMES.index(cls)


def _check_image(data: bytes, where: str) -> None:
    """Decodes fully: tfds stores the bytes as they are and would only fail when reading."""
    try:
        with Image.open(io.BytesIO(data), formats=_IMAGE_FORMATS) as img:
            img.load()
            fmt, size, mode = img.format, img.size, img.mode
    except UnidentifiedImageError:
        raise ValueError(f"{where} is not a PNG or JPEG image (Pillow does not recognise it).") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise ValueError(f"{where} is not a readable PNG or JPEG image: {err}") from err
    if fmt not in _IMAGE_FORMATS or size != (SIDE, SIDE) or mode != "RGB":
        raise ValueError(
            f"{where} must be a {SIDE}x{SIDE} RGB PNG or JPEG image; found {fmt} {size[0]}x{size[1]} {mode}."
        )


def decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes checked by `_check_image` when preparing -> (32, 32, 3) uint8 array."""
    if data[:2] == b"\xff\xd8":
        # A JPEG known to be 32x32 RGB can skip PIL's header parsing in Python: 2x faster.
        return np.asarray(Image.frombytes("RGB", (SIDE, SIDE), data, "jpeg", "RGB", ""))
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img)


def download(url: str, dest: str) -> None:
    """Fetches `url` to `dest` with a progress bar, via `dest.part` so a break leaves no `dest`."""
    part = dest + ".part"
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"Downloading {os.path.basename(url)}") as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
        os.replace(part, dest)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
