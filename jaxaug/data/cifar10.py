"""CIFAR-10 as numpy arrays, prepared once with tensorflow-datasets (no TensorFlow needed).

`load(data)` accepts, auto-detected from the path `data` (file or folder):

1. the official `cifar-10-python.tar.gz` (pickled batches), or its extracted folder;
2. the official `cifar-10-binary.tar.gz` (3073-byte records), or its extracted folder;
3. a zip, tarball or folder laid out `[<root>/]<split>/<class>/<image>` with split `train` and
   `test`, the ten class folders named as `CLASS_NAMES` (sorted names = CIFAR-10's label
   order) and 32x32 RGB PNG or JPEG files. Zips are read in place.

The first load of a source prepares it as `array_record` in the tfds data dir (default
`~/tensorflow_datasets`, or `$TFDS_DATA_DIR`) under
`jaxaug_cifar10/src_<fingerprint>/1.0.0/`; later loads of the same source reuse it. The copy is
built in a temporary folder beside it and renamed when complete, so a damaged source (every
image is decoded once while preparing) or an interruption leaves nothing behind; the error
names the file, as `archive:member` inside a zip or tarball. The fingerprint is the sha256 of
an archive or zip (of names, sizes and mtimes for a folder), so different sources (archives,
JPEG zips, test fakes) never share a prepared copy. Archive
pixels are stored PNG-encoded (lossless) in the official order; class-folder files are
stored byte for byte (JPEG stays JPEG), ordered by class, then file name.

With no `data`, `load` uses a dataset already prepared in the data dir (the official
download first, else the most recently prepared), or else downloads the official python
archive and checks its sha256.

`records(data)` reads the prepared copy on demand instead: `Split.read(rows)` decodes only the
rows asked for, so a process can load its own share of a batch (several hosts, or data that
does not fit in memory); `prepare(data)` only prepares and returns the folder (for grain or
`tfds.builder_from_directory`). `check_source(data)` and `check_data_dir(data_dir)` check the
paths without reading any data (a readable file or folder; a data dir this process can write
in, or one holding prepared copies already), for command lines to refuse bad paths at once.

Command line::

    python -m jaxaug.data.cifar10 --data cifar10-jpeg.zip [--data-dir DIR]

Example::

    from jaxaug.data import cifar10
    arrays = cifar10.load("/work/shared/data/cifar10-jpeg.zip")
    idx = cifar10.tutorial_subset(arrays.train_labels, official_order=arrays.official_order)
    x, y = arrays.train_images[idx], arrays.train_labels[idx]   # (10000, 32, 32, 3) uint8, int32
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import os
import shutil
import sys
import tempfile

import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.proto import tf_example_pb2
from tqdm.auto import tqdm

from jaxaug import _checks
from jaxaug.data import _cifar10_builder as builder_lib
from jaxaug.data import _cifar10_sources as sources

__all__ = ["CLASS_NAMES", "URL", "SHA256", "Arrays", "Records", "Split", "check_data_dir", "check_source", "load",
           "main", "prepare", "records", "tutorial_subset"]

CLASS_NAMES = sources.CLASS_NAMES
_CHUNK = 4096  # records fetched per data-source call
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
_ACCEPTED = (
    "cifar-10-python.tar.gz, cifar-10-binary.tar.gz (or their extracted folders), or a zip, tarball "
    "or folder laid out [<root>/]<split>/<class>/<image> with split train/test, class folders "
    f"{', '.join(CLASS_NAMES)} and 32x32 PNG/JPEG images"
)


@dataclasses.dataclass(frozen=True, repr=False, eq=False)  # arrays have no single truth value
class Arrays:
    """Both CIFAR-10 splits in memory.

    Attributes:
      train_images: (N, 32, 32, 3) uint8, channels last.
      train_labels: (N,) int32 in 0..9, indices into `CLASS_NAMES`.
      test_images: (M, 32, 32, 3) uint8.
      test_labels: (M,) int32.
      official_order: True when the train split is in the official order (the archives), False
        when it is grouped by class (class folders); see `tutorial_subset`.
      source: where the data came from, "<path> (<kind>)", for logs.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    official_order: bool
    source: str

    def __repr__(self) -> str:
        return (
            f"Arrays(train={self.train_images.shape[0]}, test={self.test_images.shape[0]}, "
            f"official_order={self.official_order}, source={self.source!r})"
        )


class Split:
    """One split of a prepared copy, read on demand (random access by row; `records` opens it).

    Only the rows passed to `read` are decoded, so each process of a multi-host job can load
    just its share of every batch. The labels alone are cheap (no image is decoded) and are
    kept once read. Reads from several threads at once are not supported.

    Attributes:
      name: "train" or "test".
    """

    def __init__(self, name: str, raw_source):
        self.name = name
        self._source = raw_source  # tfds data source of serialized tf.train.Example records
        self._labels = None

    def __len__(self) -> int:
        return len(self._source)

    def __repr__(self) -> str:
        return f"Split({self.name!r}, {len(self)} examples)"

    @property
    def labels(self) -> np.ndarray:
        """(N,) int32 labels of every row, in stored order (parsed once, images left encoded)."""
        if self._labels is None:
            labels = np.empty((len(self),), np.int32)
            for start, records in self._chunks(np.arange(len(self))):
                labels[start:start + len(records)] = [_parse(r)["label"].int64_list.value[0] for r in records]
            self._labels = labels
        return self._labels

    def read(self, rows, *, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Decodes the given rows.

        Args:
          rows: integer row indices (any 1-D integer array-like; repeats allowed; negative
            rows count from the end, as in numpy) or a slice.
          progress: show a progress bar (for whole splits).

        Returns:
          (images, labels): (k, 32, 32, 3) uint8 and (k,) int32, in the order of `rows`.

        Raises:
          TypeError: `rows` is not a 1-D integer sequence or a slice.
          IndexError: a row is out of range (like numpy indexing, so `except IndexError` works).

        Example::

            images, labels = found.test.read(np.arange(0, 10_000, 2))   # every other test image
        """
        rows = self._rows(rows)
        images = np.empty((len(rows), sources.SIDE, sources.SIDE, 3), np.uint8)
        labels = np.empty((len(rows),), np.int32)
        with tqdm(total=len(rows), desc=f"Decoding CIFAR-10 {self.name}", unit=" images", leave=False,
                  disable=not progress) as bar:
            for start, records in self._chunks(rows):
                for i, record in enumerate(records, start):
                    feature = _parse(record)
                    images[i] = sources.decode_image(feature["image"].bytes_list.value[0])
                    labels[i] = feature["label"].int64_list.value[0]
                bar.update(len(records))
        return images, labels

    def _rows(self, rows) -> np.ndarray:
        n = len(self)
        if isinstance(rows, slice):
            if rows.step == 0:
                raise ValueError(f"rows must not be a slice with step 0. Received: rows={rows}")
            return np.arange(n)[rows]
        try:
            array = np.asarray(rows)
        except ValueError:  # ragged nesting
            array = None
        if array is None or array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
            raise TypeError(f"rows must be a 1-D sequence of integers (e.g. [3] for one row) or a slice. "
                            f"Received: rows={_checks.short_repr(rows)}")
        if array.size and (array.min() < -n or array.max() >= n):
            raise IndexError(f"rows must lie in [-{n}, {n}) for the {n} {self.name} examples. "
                             f"Received: rows with min {array.min()}, max {array.max()}")
        return array.astype(np.int64) % max(n, 1)

    def _chunks(self, rows: np.ndarray):
        """(start, serialized records of rows[start:start + _CHUNK]) for each chunk: bounded memory, few calls."""
        for start in range(0, len(rows), _CHUNK):
            yield start, self._source.__getitems__([int(r) for r in rows[start:start + _CHUNK]])


def _parse(record: bytes):
    # tfds stores each example as a tf.train.Example proto (see as_data_source).
    return tf_example_pb2.Example.FromString(record).features.feature


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Records:
    """Both splits of a prepared copy, for random access (see `records`).

    Attributes:
      train, test: the `Split`s.
      official_order: as `Arrays.official_order`.
      source: as `Arrays.source`.
    """

    train: Split
    test: Split
    official_order: bool
    source: str

    @property
    def splits(self) -> tuple[Split, Split]:
        return self.train, self.test

    def __repr__(self) -> str:
        return (f"Records(train={len(self.train)}, test={len(self.test)}, official_order={self.official_order}, "
                f"source={self.source!r})")


def load(data=None, *, data_dir=None) -> Arrays:
    """Loads CIFAR-10 into memory, preparing `data` as a tfds dataset the first time.

    Args:
      data: path (str or os.PathLike) of a source, see the module docstring; None to use what
        is already prepared in `data_dir`, else to download the official archive.
      data_dir: tfds data dir for prepared datasets and downloads; default `$TFDS_DATA_DIR`
        or `~/tensorflow_datasets`.

    Returns:
      An `Arrays` with uint8 images and int32 labels of both splits.

    Raises:
      TypeError: `data` or `data_dir` is not a path.
      FileNotFoundError: `data` does not exist, or no data was given, nothing is prepared and the
        download failed.
      PermissionError, NotADirectoryError: `data` cannot be read, or the data must be prepared and
        `data_dir` is not a folder this process can write in (checked before reading `data`).
      ValueError: the source is not CIFAR-10 or is damaged; the message names the file. Nothing
        is left in `data_dir` then: a copy is prepared in a temporary folder and renamed when
        complete.

    Example::

        arrays = cifar10.load("cifar-10-python.tar.gz", data_dir="/tmp/tfds")
        arrays.train_images.shape   # (50000, 32, 32, 3)
    """
    found = records(data, data_dir=data_dir)
    (train_x, train_y), (test_x, test_y) = (split.read(slice(None), progress=True) for split in found.splits)
    return Arrays(train_images=train_x, train_labels=train_y, test_images=test_x, test_labels=test_y,
                  official_order=found.official_order, source=found.source)


def prepare(data=None, *, data_dir=None) -> str:
    """Prepares `data` as a tfds dataset unless already done; returns the prepared version folder.

    Args:
      data, data_dir: as for `load`.

    Returns:
      The folder `<data_dir>/jaxaug_cifar10/src_<fingerprint>/1.0.0`, ready for
      `tfds.builder_from_directory` (e.g. `.as_data_source(split="train")` for grain).

    Example::

        folder = cifar10.prepare("cifar10-jpeg.zip")
        source = tfds.builder_from_directory(folder).as_data_source(split="train")
    """
    data_dir = _data_dir(data_dir)
    if data is None:
        return _prepared_or_download(data_dir)
    return _prepare(check_source(data), data_dir)


def records(data=None, *, data_dir=None) -> Records:
    """Opens the prepared copy of `data` for random access, preparing it first if needed.

    Nothing is decoded until asked for: `Split.read(rows)` decodes just those rows. Several
    processes can each open the same prepared copy and read their own rows.

    Args:
      data, data_dir: as for `load`.

    Returns:
      A `Records` with the train and test `Split`s.

    Example::

        found = cifar10.records("cifar10-jpeg.zip")
        images, labels = found.train.read([4, 8, 15])   # (3, 32, 32, 3) uint8, (3,) int32
    """
    version_dir = prepare(data, data_dir=data_dir)
    builder = tfds.builder_from_directory(version_dir)
    meta = builder.info.metadata
    # Raw records + our own decoding is ~3x faster than tfds' per-record numpy decoding.
    raw = builder.as_data_source(deserialize_method=tfds.decode.DeserializeMethod.RAW_BYTES)
    path = None if data is None else check_source(data)
    return Records(train=Split("train", raw["train"]), test=Split("test", raw["test"]),
                   official_order=bool(meta["official_order"]), source=f"{path or meta['path']} ({meta['kind']})")


def tutorial_subset(labels, *, official_order, size=10_000, seed=0) -> np.ndarray:
    """Indices of the tutorial's training subset (`x_train[:10000]` for CIFAR-10's official order).

    With the official order this is `arange(size)`. Class-folder data is grouped by class, so
    its first `size` images would be one or two classes: instead take the first `size / 10`
    of each class (file order), in a fixed shuffled order so that any slice, e.g. Keras'
    `validation_split` tail, mixes all classes. Deterministic for a given `seed`.

    Args:
      labels: (N,) integer labels in 0..9, in the split's stored order.
      official_order: `Arrays.official_order` of the data the labels come from.
      size: number of indices, a positive multiple of 10.
      seed: seed of the numpy PCG64 generator that orders the class-balanced subset.

    Returns:
      (size,) int64 indices into `labels`.

    Example::

        idx = tutorial_subset(arrays.train_labels, official_order=arrays.official_order)
    """
    try:
        array = np.asarray(labels)
    except ValueError:  # ragged nesting
        array = None
    if array is None or array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array. Received: labels={_checks.short_repr(labels)}")
    labels = array
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise ValueError(f"labels must lie in 0..9. Received: labels with min {labels.min()}, max {labels.max()}")
    if not isinstance(official_order, (bool, np.bool_)):
        raise TypeError(f"official_order must be a bool. Received: official_order={official_order!r}")
    _checks.check_int(size, "size", 10)
    _checks.check_int(seed, "seed", 0)
    if size % len(CLASS_NAMES):
        raise ValueError(f"size must be a multiple of 10 (equal classes). Received: size={size!r}")
    if official_order:
        if size > labels.size:
            raise ValueError(f"size must be <= len(labels) = {labels.size}. Received: size={size!r}")
        return np.arange(size, dtype=np.int64)
    per_class = size // len(CLASS_NAMES)
    counts = np.bincount(labels, minlength=len(CLASS_NAMES))
    if counts.min() < per_class:
        raise ValueError(
            f"size must be <= 10 * the smallest class count ({per_class} per class needed, "
            f"counts {counts.tolist()}). Received: size={size!r}"
        )
    first = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(len(CLASS_NAMES))])
    return first[np.random.Generator(np.random.PCG64(seed)).permutation(size)]


# --- preparing -----------------------------------------------------------------------------------


def _data_dir(data_dir) -> str:
    if data_dir is None:
        return os.path.abspath(os.path.expanduser(os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets"))
    if not isinstance(data_dir, (str, os.PathLike)) or isinstance(os.fspath(data_dir), bytes):
        raise TypeError(f"data_dir must be a path (str or os.PathLike). Received: data_dir={data_dir!r}")
    if not os.fspath(data_dir):
        raise ValueError("data_dir must be a folder's path, not empty (use '.' for the current folder). "
                         "Received: data_dir=''")
    return os.path.abspath(os.path.expanduser(os.fspath(data_dir)))


def check_source(data) -> str:
    """Checks that `data` names a readable file or folder, without reading its contents.

    `load`, `records` and `prepare` run this first; command lines can run it before any work.

    Args:
      data: path (str or os.PathLike) of a source, see the module docstring.

    Returns:
      The absolute path.

    Raises:
      TypeError: `data` is not a str or os.PathLike.
      FileNotFoundError: nothing exists at `data` (or it is empty).
      PermissionError: this process may not read it.
      ValueError: it is neither a regular file nor a folder (a device, a pipe...).
    """
    if not isinstance(data, (str, os.PathLike)) or isinstance(os.fspath(data), bytes):
        raise TypeError(f"data must be a path (str or os.PathLike) or None. Received: data={data!r}")
    path = os.path.abspath(os.path.expanduser(os.fspath(data))) if os.fspath(data) else ""
    if not path or not os.path.exists(path):
        raise FileNotFoundError(f"data must be an existing file or folder ({_ACCEPTED}). Received: data={data!r}")
    folder = os.path.isdir(path)
    if not folder and not os.path.isfile(path):
        raise ValueError(f"data must be a regular file or a folder; {path} is neither (a device, a pipe?). "
                         f"Received: data={data!r}")
    try:
        if folder:
            os.listdir(path)
        else:
            open(path, "rb").close()
    except OSError as err:
        raise PermissionError(f"data must be readable, but {path} cannot be read ({err.strerror or err}). "
                              f"Received: data={data!r}") from err
    return path


def check_data_dir(data_dir=None) -> str:
    """Checks that `data_dir` can hold a new prepared copy, or holds prepared copies already.

    A new copy needs a folder this process can create files in (or create; checked by
    creating and removing a probe file). A read-only folder is accepted when it already holds
    a prepared copy: `prepare` then checks, before reading any source, that it holds the one
    it needs. Command lines run this before any work.

    Args:
      data_dir: as for `load`.

    Returns:
      The absolute path of the data dir.

    Raises:
      TypeError: `data_dir` is not a str or os.PathLike.
      ValueError: `data_dir` is empty.
      NotADirectoryError: `data_dir`, or the folder it would be created in, is a file.
      PermissionError: no file can be created there, and nothing is prepared there.
    """
    path = _data_dir(data_dir)
    problem = _unwritable(path)
    if problem is not None and not (os.path.isdir(path) and _prepared_copies(path)):
        raise problem
    return path


def _unwritable(folder: str) -> OSError | None:
    """Why files cannot be created in the data dir `folder` (made if missing), or None."""
    existing = folder
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return NotADirectoryError(f"data_dir must be a folder, or a new path inside one, but {existing} is not a "
                                  f"folder. Received: data_dir={folder!r}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".jaxaug-write-probe-", dir=existing)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        return PermissionError(f"data_dir must be a folder this process can write in, but no file can be created "
                               f"in {existing} ({err.strerror or err}). Received: data_dir={folder!r}")
    return None


def _version_dir(data_dir: str, config: str) -> str:
    return os.path.join(data_dir, builder_lib.JaxaugCifar10.name, config, builder_lib.VERSION)


def _is_prepared(version_dir: str) -> bool:
    # Copies are built in a temporary folder and renamed when complete, so this file means complete.
    return os.path.isfile(os.path.join(version_dir, "dataset_info.json"))


def _prepared_copies(data_dir: str) -> list[str]:
    """The complete prepared copies in `data_dir`, oldest first."""
    found = filter(_is_prepared, glob.glob(_version_dir(glob.escape(data_dir), "*")))
    return sorted(found, key=lambda d: os.path.getmtime(os.path.join(d, "dataset_info.json")))


def _makedirs(folder: str) -> list[str]:
    """Creates `folder` and its missing parents; returns those it created, deepest first."""
    created, missing = [], folder
    while not os.path.lexists(missing):
        created.append(missing)
        missing = os.path.dirname(missing)
    os.makedirs(folder, exist_ok=True)
    return created


def _remove_empty(folders: list[str]) -> None:
    for folder in folders:  # deepest first; a folder something else has written into stays
        try:
            os.rmdir(folder)
        except OSError:
            pass


def _prepare(path: str, data_dir: str, fingerprint: str | None = None) -> str:
    """Prepares the source at `path` unless already done; returns the prepared version dir.

    The copy is built in a temporary folder next to its final place and renamed into it when
    complete, so a damaged source or an interruption leaves nothing behind (nor the folders
    created for it).
    """
    fingerprint = fingerprint or sources.fingerprint(path)
    config = builder_lib.config_name(fingerprint)
    version_dir = _version_dir(data_dir, config)
    if _is_prepared(version_dir):
        return version_dir
    problem = _unwritable(data_dir)
    if problem is not None:
        raise problem
    config_dir = os.path.dirname(version_dir)
    created = _makedirs(os.path.dirname(config_dir))  # <data_dir>/jaxaug_cifar10
    try:
        with tempfile.TemporaryDirectory(prefix=".preparing-", dir=os.path.dirname(config_dir)) as tmp:
            with sources.open_source(path) as source:
                builder = builder_lib.JaxaugCifar10(source=source, fingerprint=fingerprint, data_dir=tmp,
                                                    final_dir=version_dir)
                builder.download_and_prepare()  # shows tfds' per-split progress bars
            if os.path.isdir(config_dir) and not _is_prepared(version_dir):
                shutil.rmtree(config_dir)  # an incomplete copy left by an older version of this module
            try:
                os.rename(os.path.join(tmp, builder_lib.JaxaugCifar10.name, config), config_dir)
            except OSError:
                if not _is_prepared(version_dir):  # else another process prepared the same source first
                    raise
    except BaseException:
        _remove_empty(created)
        raise
    return version_dir


def _prepared_or_download(data_dir: str) -> str:
    official = _version_dir(data_dir, builder_lib.config_name(SHA256))
    if _is_prepared(official):
        return official
    found = _prepared_copies(data_dir)
    if found:
        return found[-1]
    return _prepare(_official_archive(data_dir), data_dir, fingerprint=SHA256)


def _official_archive(data_dir: str) -> str:
    """Downloads the official python archive into `<data_dir>/downloads` (once) and checks its sha256."""
    archive = os.path.join(data_dir, "downloads", os.path.basename(URL))
    if not os.path.exists(archive):
        problem = _unwritable(data_dir)
        if problem is not None:
            raise problem
        created = _makedirs(os.path.dirname(archive))
        try:
            _download(URL, archive)
        except OSError as err:
            _remove_empty(created)
            raise FileNotFoundError(
                f"No CIFAR-10 data: nothing is prepared in {data_dir} and downloading {URL} failed ({err}). "
                f"Pass --data PATH (python -m jaxaug.data.cifar10 / the training scripts) or "
                f"cifar10.load(data=PATH) with one of: {_ACCEPTED}."
            ) from err
    digest = sources.file_sha256(archive)
    if digest != SHA256:
        os.remove(archive)  # ours, from a broken download: the next call fetches it again
        raise ValueError(
            f"{archive} has sha256 {digest}, expected {SHA256}; the corrupt download was removed, retry."
        )
    return archive


# Fetching the archive lives with the other file handling; tests replace this name with a fake.
_download = sources.download


# --- command line --------------------------------------------------------------------------------


def _one_line(err: BaseException) -> str:
    """An error's message on one line (for command lines: one line per error, no traceback)."""
    return " ".join(str(err).split()) or type(err).__name__


def main(argv=None) -> int:
    """`python -m jaxaug.data.cifar10 --data PATH [--data-dir DIR]`: prepare and print split sizes."""
    parser = argparse.ArgumentParser(prog="python -m jaxaug.data.cifar10", description=__doc__.split("\n")[0])
    parser.add_argument("--data", help=f"source to prepare: {_ACCEPTED}; default: prepared or downloaded")
    parser.add_argument("--data-dir", help="tfds data dir (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)")
    args = parser.parse_args(argv)
    # Paths first, as argparse errors (usage, then one line naming the flag); then the data itself.
    for flag, check, value in (("--data", check_source, args.data), ("--data-dir", check_data_dir, args.data_dir)):
        try:
            if value is not None or flag == "--data-dir":
                check(value)
        except (TypeError, ValueError, OSError) as err:
            parser.error(f"argument {flag}: {_one_line(err)}")
    try:
        version_dir = prepare(args.data, data_dir=args.data_dir)
    except (OSError, ValueError) as err:
        parser.exit(2, f"{parser.prog}: error: {_one_line(err)}\n")
    info = tfds.builder_from_directory(version_dir).info
    print(f"source: {info.metadata['path']} ({info.metadata['kind']})")
    print(f"prepared: {version_dir}")
    for split in sources.SPLITS:
        print(f"{split}: {info.splits[split].num_examples} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
