"""jaxaug.data.cifar10 against tiny fake CIFAR-10 sources written here (tmp dirs only).

Every source holds the same pixels: the official-format archives in a shuffled label order
(as the real train split), the class-folder sources as PNG files named so that, within a
class, file order is archive order. So a class-folder load must equal the archive load
reordered by a stable sort on the label.
"""

import gzip
import hashlib
import io
import os
import pickle
import re
import shutil
import tarfile
import urllib.request
import zipfile

import numpy as np
import pytest
import tensorflow_datasets as tfds
from _unwritable import deny_mkstemp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from jaxaug.data import _cifar10_builder, cifar10

NAMES = cifar10.CLASS_NAMES
PER_CLASS = {"train": 3, "test": 2}
REAL_ZIP = "/work/shared/data/cifar10-jpeg.zip"


def _fake_split(split, seed):
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(10), PER_CLASS[split])).astype(np.int32)
    images = rng.integers(0, 256, (labels.size, 32, 32, 3), dtype=np.uint8)
    return images, labels


TRAIN = _fake_split("train", 0)
TEST = _fake_split("test", 1)


def _batches(images, labels, n):
    return zip(np.array_split(images, n), np.array_split(labels, n), strict=True)


def _chw(images):
    return images.transpose(0, 3, 1, 2).reshape(len(images), -1)


def _python_members():
    """The official python layout: pickled dicts with bytes keys, CHW rows (protocol 2 as in the original)."""
    def dump(obj):
        return pickle.dumps(obj, protocol=2)

    members = {"batches.meta": dump({b"label_names": [n.encode() for n in NAMES], b"num_vis": 3072})}
    for i, (x, y) in enumerate(_batches(*TRAIN, 5), 1):
        members[f"data_batch_{i}"] = dump({b"batch_label": b"b", b"labels": y.tolist(), b"data": _chw(x)})
    members["test_batch"] = dump({b"batch_label": b"t", b"labels": TEST[1].tolist(), b"data": _chw(TEST[0])})
    return members


def _binary_records(images, labels):
    return np.concatenate([labels[:, None].astype(np.uint8), _chw(images)], axis=1).tobytes()


def _binary_members():
    members = {"batches.meta.txt": "\n".join(NAMES).encode() + b"\n"}
    for i, (x, y) in enumerate(_batches(*TRAIN, 5), 1):
        members[f"data_batch_{i}.bin"] = _binary_records(x, y)
    members["test_batch.bin"] = _binary_records(*TEST)
    return members


def _encode(image, fmt="PNG"):
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format=fmt)
    return buf.getvalue()


def _folder_members(fmt="PNG"):
    """<split>/<class>/<k>.png, k counting within the class in archive order."""
    members = {}
    for split, (images, labels) in (("train", TRAIN), ("test", TEST)):
        counts = [0] * 10
        for image, label in zip(images, labels, strict=True):
            members[f"{split}/{NAMES[label]}/{counts[label]:04d}.{fmt.lower()}"] = _encode(image, fmt)
            counts[label] += 1
    return members


def _write_tar(path, members, prefix="", mode="w:gz"):
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


def _write_zip(path, members, prefix=""):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(prefix + name, data)
    return str(path)


def _write_folder(path, members, prefix=""):
    for name, data in members.items():
        target = os.path.join(path, prefix + name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    return str(path)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("sources")
    return {
        "python-tar": _write_tar(d / "cifar-10-python.tar.gz", _python_members(), "cifar-10-batches-py/"),
        "binary-tar": _write_tar(d / "cifar-10-binary.tar.gz", _binary_members(), "cifar-10-batches-bin/"),
        "python-folder": _write_folder(d / "extracted", _python_members(), "cifar-10-batches-py/"),
        "zip-with-root": _write_zip(d / "png.zip", _folder_members(), "cifar10/"),
        "folder": _write_folder(d / "pngs", _folder_members()),
        "tar-of-folders": _write_tar(d / "pngs.tar.gz", _folder_members(), "a/b/"),
        "plain-tar": _write_tar(d / "pngs.tar", _folder_members(), "c/", mode="w"),  # ends with zero blocks
    }


def _expected(official):
    if official:
        return TRAIN, TEST
    return tuple((x[np.argsort(y, kind="stable")], np.sort(y)) for x, y in (TRAIN, TEST))


@pytest.mark.parametrize("name", ["python-tar", "binary-tar", "python-folder", "zip-with-root", "folder",
                                  "tar-of-folders", "plain-tar"])
def test_every_source_gives_the_same_examples(name, sources, tmp_path):
    arrays = cifar10.load(sources[name], data_dir=tmp_path)
    official = name.startswith(("python", "binary"))
    (train_x, train_y), (test_x, test_y) = _expected(official)
    assert arrays.official_order is official
    for got, want in [(arrays.train_images, train_x), (arrays.train_labels, train_y),
                      (arrays.test_images, test_x), (arrays.test_labels, test_y)]:
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert sources[name] in arrays.source
    kind = {"python": "python archive", "binary": "binary archive"}.get(name.split("-")[0], "class folders")
    assert kind in arrays.source


def test_jpeg_bytes_are_stored_untouched(tmp_path):
    members = _folder_members("JPEG")
    arrays = cifar10.load(_write_zip(tmp_path / "jpeg.zip", members), data_dir=tmp_path / "tfds")
    names = sorted(n for n in members if n.startswith("train/"))
    want = np.stack([np.asarray(Image.open(io.BytesIO(members[n]))) for n in names])
    np.testing.assert_array_equal(arrays.train_images, want)  # our fast JPEG path == PIL's decoder
    (version_dir,) = (tmp_path / "tfds" / "jaxaug_cifar10").glob("*/1.0.0")
    stored = tfds.builder_from_directory(str(version_dir)).as_data_source(
        decoders={"image": tfds.decode.SkipDecoding()})["train"]
    assert [r["image"] for r in stored.__getitems__(list(range(len(names))))] == [members[n] for n in names]


def test_prepared_once_and_sources_kept_apart(sources, tmp_path, monkeypatch):
    first = cifar10.load(sources["zip-with-root"], data_dir=tmp_path)
    (record,) = tmp_path.glob("jaxaug_cifar10/*/1.0.0/*train.array_record*")
    mtime = record.stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("prepared again")

    monkeypatch.setattr(_cifar10_builder.JaxaugCifar10, "_generate_examples", fail)
    again = cifar10.load(sources["zip-with-root"], data_dir=tmp_path)
    np.testing.assert_array_equal(again.train_images, first.train_images)
    assert record.stat().st_mtime_ns == mtime
    with pytest.raises(AssertionError, match="prepared again"):  # a new source is prepared, not confused
        cifar10.load(sources["python-tar"], data_dir=tmp_path)
    monkeypatch.undo()
    official = cifar10.load(sources["python-tar"], data_dir=tmp_path)
    assert official.official_order and not again.official_order
    assert len(list(tmp_path.glob("jaxaug_cifar10/*/1.0.0/dataset_info.json"))) == 2


def _damaged(tmp_path, kind):
    """(path, text the error must contain) for one kind of damage."""
    if kind == "truncated tarball":
        whole = open(_write_tar(tmp_path / "full.tar.gz", _python_members()), "rb").read()
        path = tmp_path / "cut.tar.gz"
        path.write_bytes(whole[: len(whole) // 2])
        return str(path), "cut.tar.gz"
    if kind == "partial record":
        members = _binary_members()
        members["data_batch_3.bin"] += b"\0" * 100
        return _write_tar(tmp_path / "bin.tar.gz", members), "data_batch_3.bin"
    if kind == "missing batch":
        members = _python_members()
        del members["data_batch_4"]
        return _write_folder(tmp_path / "py", members), "data_batch_4"
    if kind == "non-image file":
        members = _folder_members()
        members["train/cat/notes.txt"] = b"not a picture"
        return _write_folder(tmp_path / "f", members, "root/"), "notes.txt"
    if kind == "wrong image size":
        members = _folder_members()
        members["test/dog/0001.png"] = _encode(np.zeros((16, 32, 3), np.uint8))
        return _write_zip(tmp_path / "z.zip", members), "test/dog/0001.png"
    if kind == "unknown class folder":
        members = _folder_members()
        members["train/kitten/0000.png"] = members["train/cat/0000.png"]
        return _write_zip(tmp_path / "z.zip", members, "cifar10/"), "cifar10/train/kitten"
    if kind == "missing class folder":
        members = {k: v for k, v in _folder_members().items() if not k.startswith("test/frog/")}
        return _write_zip(tmp_path / "z.zip", members), "frog"
    if kind == "wrong class names":
        members = _binary_members()
        members["batches.meta.txt"] = b"\n".join(n.encode() for n in reversed(NAMES))
        return _write_tar(tmp_path / "bin.tar.gz", members), "batches.meta.txt"
    if kind == "not an archive":
        path = tmp_path / "notes.txt"
        path.write_text("hello")
        return str(path), "notes.txt is not a zip, a tar archive or a folder"
    if kind == "truncated zip":
        whole = open(_write_zip(tmp_path / "full.zip", _folder_members()), "rb").read()
        path = tmp_path / "cut.zip"
        path.write_bytes(whole[: len(whole) // 2])
        return str(path), "cut.zip starts like a zip but has no readable central directory"
    if kind == "truncated tar":  # cut between two members: tarfile alone reads fewer files without complaint
        full = _write_tar(tmp_path / "full.tar.gz", _folder_members())
        with tarfile.open(full) as tar:
            cut_at = tar.getmembers()[-3].offset
        path = tmp_path / "cut.tar"
        path.write_bytes(gzip.decompress(open(full, "rb").read())[:cut_at])
        return str(path), "cut.tar has no end-of-archive marker"
    if kind == "empty file":
        path = tmp_path / "empty.tar.gz"
        path.write_bytes(b"")
        return str(path), "empty.tar.gz is empty"
    if kind == "empty folder":
        (tmp_path / "nothing").mkdir()
        return str(tmp_path / "nothing"), "nothing is not a CIFAR-10 source"
    if kind == "three classes":
        members = {k: v for k, v in _folder_members().items() if k.split("/")[1] in NAMES[:3]}
        return _write_folder(tmp_path / "three", members), "missing: cat, deer"
    if kind in ("truncated png", "truncated jpeg"):
        fmt = kind.split()[1].upper()
        members = _folder_members(fmt)
        name = f"train/horse/0001.{fmt.lower()}"
        members[name] = members[name][: len(members[name]) // 2]
        return _write_folder(tmp_path / "cut", members), f"{name} is not a readable PNG or JPEG image"
    if kind == "corrupt zip member":
        members = _folder_members()
        path = _write_zip(tmp_path / "z.zip", members)
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("train/horse/0001.png")
        raw = bytearray(open(path, "rb").read())
        raw[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF  # a byte of the (stored) data: bad CRC
        open(path, "wb").write(bytes(raw))
        return path, "z.zip:train/horse/0001.png"
    raise AssertionError(kind)


DAMAGE = ["truncated tarball", "partial record", "missing batch", "non-image file", "wrong image size",
          "unknown class folder", "missing class folder", "wrong class names", "not an archive", "truncated zip",
          "truncated tar", "empty file", "empty folder", "three classes", "truncated png", "truncated jpeg",
          "corrupt zip member"]


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_sources_name_the_file(kind, tmp_path):
    path, culprit = _damaged(tmp_path, kind)
    with pytest.raises(ValueError, match=re.escape(culprit)) as info:
        cifar10.load(path, data_dir=tmp_path / "tfds")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "tfds").exists(), "preparing a damaged source left files (or folders) behind"


def test_damage_found_mid_way_leaves_an_existing_data_dir_as_it_was(sources, tmp_path):
    data_dir = tmp_path / "tfds"
    cifar10.prepare(sources["folder"], data_dir=data_dir)
    before = sorted(data_dir.rglob("*"))
    (tmp_path / "src").mkdir()
    path, culprit = _damaged(tmp_path / "src", "corrupt zip member")  # found after a few images were written
    with pytest.raises(ValueError, match=culprit):
        cifar10.prepare(path, data_dir=data_dir)
    assert sorted(data_dir.rglob("*")) == before


def test_interrupted_preparation_leaves_nothing(sources, tmp_path, monkeypatch):
    real = _cifar10_builder.JaxaugCifar10._generate_examples

    def interrupted(self, split):
        for i, example in enumerate(real(self, split)):
            if i == 5:
                raise KeyboardInterrupt
            yield example

    monkeypatch.setattr(_cifar10_builder.JaxaugCifar10, "_generate_examples", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cifar10.prepare(sources["folder"], data_dir=tmp_path / "tfds")
    assert not (tmp_path / "tfds").exists()


def test_an_incomplete_copy_left_by_an_older_version_is_replaced(sources, tmp_path):
    folder = cifar10.prepare(sources["folder"], data_dir=tmp_path)
    shutil.rmtree(os.path.dirname(folder))
    os.makedirs(os.path.join(os.path.dirname(folder), "incomplete.ABC123_1.0.0"))  # tfds' name for a broken build
    assert cifar10.prepare(sources["folder"], data_dir=tmp_path) == folder
    assert os.listdir(os.path.dirname(folder)) == ["1.0.0"]
    assert len(cifar10.records(sources["folder"], data_dir=tmp_path).train) == 30


def test_pickles_cannot_run_code(tmp_path):
    canary = tmp_path / "canary"
    canary.write_text("alive")

    class Evil:
        def __reduce__(self):
            return os.remove, (str(canary),)

    members = _python_members()
    members["data_batch_2"] = pickle.dumps({b"data": Evil()}, protocol=2)
    path = _write_folder(tmp_path / "py", members)
    with pytest.raises(ValueError, match="data_batch_2.*refusing to load"):
        cifar10.load(path, data_dir=tmp_path / "tfds")
    assert canary.exists()


@pytest.mark.parametrize(("data", "error", "match"), [
    ("/no/such/cifar.zip", FileNotFoundError, "data=.*/no/such/cifar.zip"),
    (3, TypeError, "data=3"),
    ("", FileNotFoundError, "data=''"),  # not the current folder
    (b"/tmp", TypeError, "data=b'/tmp'"),
    ("/dev/null", ValueError, "neither .*Received: data='/dev/null'"),  # would be hashed forever as /dev/zero
])
def test_bad_data_argument(data, error, match, tmp_path):
    with pytest.raises(error, match=match):
        cifar10.load(data, data_dir=tmp_path)


def test_bad_data_dir_argument():
    with pytest.raises(TypeError, match="data_dir=5"):
        cifar10.load(None, data_dir=5)
    with pytest.raises(ValueError, match="data_dir=''"):  # not the current folder
        cifar10.load(None, data_dir="")


def _fail_to_read(monkeypatch):
    def never(path):
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(cifar10.sources, "open_source", never)


@pytest.mark.parametrize("where", ["a file", "under a file", "read-only", "inside read-only"])
def test_data_dir_must_be_writable_before_anything_is_read(where, sources, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    data_dir, error, match = {
        "a file": (tmp_path / "file", NotADirectoryError, "is not a folder"),
        "under a file": (tmp_path / "file" / "tfds", NotADirectoryError, f"{tmp_path / 'file'} is not a folder"),
        "read-only": (tmp_path, PermissionError, f"no file can be created in {tmp_path} .Permission denied"),
        "inside read-only": (tmp_path / "new" / "tfds", PermissionError, f"created in {tmp_path} "),
    }[where]
    deny_mkstemp(monkeypatch, tmp_path)
    _fail_to_read(monkeypatch)
    for check in (lambda: cifar10.load(sources["zip-with-root"], data_dir=data_dir),
                  lambda: cifar10.check_data_dir(data_dir)):
        with pytest.raises(error, match=match + ".*Received: data_dir="):
            check()
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_a_read_only_data_dir_with_the_prepared_copy_is_fine(sources, tmp_path, monkeypatch):
    cifar10.prepare(sources["folder"], data_dir=tmp_path)
    deny_mkstemp(monkeypatch, tmp_path)
    assert cifar10.check_data_dir(tmp_path) == str(tmp_path)
    assert len(cifar10.load(sources["folder"], data_dir=tmp_path).train_images) == 30
    _fail_to_read(monkeypatch)
    with pytest.raises(PermissionError, match="data_dir"):  # another source would need writing: refused unread
        cifar10.load(sources["zip-with-root"], data_dir=tmp_path)


def test_check_source_takes_no_time_and_reads_nothing(sources):
    for name in ("folder", "zip-with-root"):
        assert cifar10.check_source(sources[name]) == os.path.abspath(sources[name])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes through any permission bits")
def test_permissions(sources, tmp_path):
    unreadable = tmp_path / "secret.zip"
    shutil.copy(sources["zip-with-root"], unreadable)
    unreadable.chmod(0)
    with pytest.raises(PermissionError, match="secret.zip cannot be read"):
        cifar10.load(unreadable, data_dir=tmp_path / "tfds")
    folder = tmp_path / "pngs"
    shutil.copytree(sources["folder"], folder)
    (folder / "train" / "cat").chmod(0)
    with pytest.raises(ValueError, match="Cannot read the folder .*train/cat"):
        cifar10.load(folder, data_dir=tmp_path / "tfds")
    (folder / "train" / "cat").chmod(0o755)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(PermissionError, match="data_dir must be a folder this process can write in"):
        cifar10.load(folder, data_dir=locked / "tfds")


def test_no_data_and_no_network_explains_what_to_pass(tmp_path, monkeypatch):
    def offline(url, *args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError, match="--data PATH") as info:
        cifar10.load(data_dir=tmp_path)
    for text in (cifar10.URL, "name resolution", "cifar-10-python.tar.gz", "cifar-10-binary.tar.gz", "zip"):
        assert text in str(info.value)
    assert not (tmp_path / "downloads").exists()


def test_a_broken_download_leaves_no_part_file(tmp_path, monkeypatch):
    class Response:
        headers = {"Content-Length": "300"}

        def __init__(self):
            self.chunks = [b"x" * 100]

        def read(self, size):
            if not self.chunks:
                raise TimeoutError("timed out")
            return self.chunks.pop()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response())
    with pytest.raises(FileNotFoundError, match="timed out"):
        cifar10.load(data_dir=tmp_path / "tfds")
    assert not (tmp_path / "tfds" / "downloads").exists()


def test_no_data_downloads_checks_sha256_and_prepares(sources, tmp_path, monkeypatch):
    fetched = []

    def fake_download(url, dest):
        fetched.append(url)
        shutil.copy(sources["python-tar"], dest)

    monkeypatch.setattr(cifar10, "_download", fake_download)
    with pytest.raises(ValueError, match="sha256"):  # the fake is not the official archive
        cifar10.load(data_dir=tmp_path)
    assert not (tmp_path / "downloads" / "cifar-10-python.tar.gz").exists(), "a corrupt download was kept"
    fake_sha = hashlib.sha256(open(sources["python-tar"], "rb").read()).hexdigest()
    monkeypatch.setattr(cifar10, "SHA256", fake_sha)
    arrays = cifar10.load(data_dir=tmp_path)
    assert fetched == [cifar10.URL, cifar10.URL] and arrays.official_order
    np.testing.assert_array_equal(arrays.train_images, TRAIN[0])
    assert "downloads" in arrays.source
    cifar10.load(data_dir=tmp_path)  # prepared now: no third download
    assert len(fetched) == 2


def test_no_data_uses_what_is_prepared(sources, tmp_path, monkeypatch):
    cifar10.load(sources["folder"], data_dir=tmp_path)
    monkeypatch.setattr(cifar10, "_download", lambda url, dest: pytest.fail("downloaded"))
    arrays = cifar10.load(data_dir=tmp_path)
    assert not arrays.official_order and sources["folder"] in arrays.source
    np.testing.assert_array_equal(arrays.test_images, _expected(False)[1][0])


def test_command_line_prepares_and_prints_sizes(sources, tmp_path, capsys):
    assert cifar10.main(["--data", sources["binary-tar"], "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "train: 30 examples" in out and "test: 20 examples" in out and "binary archive" in out
    with pytest.raises(SystemExit) as info:
        cifar10.main(["--data", str(tmp_path / "missing.zip"), "--data-dir", str(tmp_path)])
    assert info.value.code == 2 and "missing.zip" in capsys.readouterr().err


# --- tutorial_subset --------------------------------------------------------------------------------


@st.composite
def file_order_labels(draw):
    """Labels in file order: 1-30 per class, grouped by class (class folders) or shuffled."""
    counts = draw(st.lists(st.integers(1, 30), min_size=10, max_size=10))
    labels = np.repeat(np.arange(10), counts).astype(np.int32)
    return np.random.default_rng(draw(st.integers(0, 99))).permutation(labels) if draw(st.booleans()) else labels


@given(file_order_labels(), st.integers(0, 2**32 - 1), st.data())
def test_subset_takes_the_first_of_each_class(labels, seed, data):
    per_class = data.draw(st.integers(1, int(np.bincount(labels).min())))
    idx = cifar10.tutorial_subset(labels, official_order=False, size=10 * per_class, seed=seed)
    assert idx.shape == (10 * per_class,) and np.issubdtype(idx.dtype, np.integer)
    for c in range(10):
        np.testing.assert_array_equal(np.sort(idx[labels[idx] == c]), np.flatnonzero(labels == c)[:per_class])
    np.testing.assert_array_equal(idx, cifar10.tutorial_subset(labels, official_order=False,
                                                               size=10 * per_class, seed=seed))


@given(st.integers(1, 100), st.integers(0, 50))
def test_subset_in_official_order_is_the_head(tens, extra):
    labels = np.arange(10 * tens + extra) % 10
    np.testing.assert_array_equal(cifar10.tutorial_subset(labels, official_order=True, size=10 * tens),
                                  np.arange(10 * tens))


def test_subset_validation_tail_mixes_all_classes():
    labels = np.repeat(np.arange(10), 5000)
    idx = cifar10.tutorial_subset(labels, official_order=False)
    tail = np.bincount(labels[idx[-1000:]], minlength=10)
    # A uniform shuffle puts 100 +- 9 of each class in the last 10 %; grouped order would put 1000 of one.
    assert tail.min() > 55 and tail.max() < 145, tail
    assert not np.array_equal(idx, cifar10.tutorial_subset(labels, official_order=False, seed=1))


@pytest.mark.parametrize(("labels", "kwargs", "match"), [
    (np.repeat(np.arange(10), 5), {"size": 25}, "size=25"),
    (np.repeat(np.arange(10), 5), {"size": 60}, "size=60"),
    (np.repeat(np.arange(10), 5), {"size": 60, "official_order": True}, "size=60"),
    (np.repeat(np.arange(10), 5), {"size": 0}, "size=0"),
    (np.repeat(np.arange(10), 5), {"size": 10, "seed": -1}, "seed=-1"),
    (np.zeros((5, 2), int), {"size": 10}, "labels="),
    ([[1, 2], [3]], {"size": 10}, re.escape("labels=[[1, 2], [3]]")),  # ragged: not numpy's own message
    (np.arange(20), {"size": 10}, "labels with min 0, max 19"),
])
def test_subset_rejects_bad_arguments(labels, kwargs, match):
    kwargs = {"official_order": False, **kwargs}
    with pytest.raises(ValueError, match=match):
        cifar10.tutorial_subset(labels, **kwargs)


def test_subset_needs_a_bool_order_flag():
    with pytest.raises(TypeError, match="official_order=None"):
        cifar10.tutorial_subset(np.arange(100) % 10, official_order=None, size=10)


# ---- random access: prepare, records, Split.read ----


@pytest.mark.parametrize("name", ["python-tar", "folder"])
def test_records_read_any_rows_like_load(name, sources, tmp_path):
    found = cifar10.records(sources[name], data_dir=tmp_path)
    arrays = cifar10.load(sources[name], data_dir=tmp_path)
    assert found.official_order is arrays.official_order and found.source == arrays.source
    assert (len(found.train), len(found.test)) == (30, 20) and "30 examples" in repr(found.train)
    np.testing.assert_array_equal(found.train.labels, arrays.train_labels)
    rows = np.array([29, 0, 7, 7, -1])  # any order, repeats and negative rows, as numpy indexing
    images, labels = found.train.read(rows)
    assert images.dtype == np.uint8 and labels.dtype == np.int32
    np.testing.assert_array_equal(images, arrays.train_images[rows])
    np.testing.assert_array_equal(labels, arrays.train_labels[rows])
    images, labels = found.test.read(slice(1, None, 3))
    np.testing.assert_array_equal(images, arrays.test_images[1::3])
    assert found.train.read([])[0].shape == (0, 32, 32, 3)


def test_prepare_returns_the_folder_records_and_load_use(sources, tmp_path):
    folder = cifar10.prepare(sources["zip-with-root"], data_dir=tmp_path)
    assert folder.startswith(str(tmp_path)) and os.path.isfile(os.path.join(folder, "dataset_info.json"))
    assert cifar10.prepare(data_dir=tmp_path) == folder  # nothing given: what is prepared
    source = tfds.builder_from_directory(folder).as_data_source(split="test")
    np.testing.assert_array_equal(source[0]["image"], cifar10.records(data_dir=tmp_path).test.read([0])[0][0])


@pytest.mark.parametrize("rows, error, match", [
    ([30], IndexError, r"rows must lie in \[-30, 30\).*max 30"),
    ([-31], IndexError, "min -31"),
    ([[1, 2]], TypeError, "rows must be a 1-D sequence of integers"),
    ([0.5], TypeError, "rows must be a 1-D sequence of integers"),
    ("ab", TypeError, "rows must be a 1-D sequence"),
    (np.int64(3), TypeError, r"e.g. \[3\] for one row"),
    (np.array([True, False]), TypeError, "rows must be a 1-D sequence of integers"),
    (np.zeros((0, 2), int), TypeError, "rows must be a 1-D sequence"),
    ([[1, 2], [3]], TypeError, "rows must be a 1-D sequence"),
    (slice(0, 5, 0), ValueError, "slice with step 0"),
])
def test_split_read_rejects_bad_rows(rows, error, match, sources, tmp_path):
    split = cifar10.records(sources["folder"], data_dir=tmp_path).train
    with pytest.raises(error, match=match):
        split.read(rows)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(REAL_ZIP), reason=f"{REAL_ZIP} not present")
def test_real_jpeg_zip(tmp_path):
    arrays = cifar10.load(REAL_ZIP, data_dir=tmp_path)
    assert arrays.train_images.shape == (50000, 32, 32, 3) and arrays.test_images.shape == (10000, 32, 32, 3)
    assert arrays.train_images.dtype == np.uint8 and arrays.train_labels.dtype == np.int32
    np.testing.assert_array_equal(np.bincount(arrays.train_labels), [5000] * 10)
    np.testing.assert_array_equal(np.bincount(arrays.test_labels), [1000] * 10)
    assert not arrays.official_order and REAL_ZIP in arrays.source
    with zipfile.ZipFile(REAL_ZIP) as zf:
        for i in (0, 4999, 5000, 49999):
            name = f"cifar10/train/{NAMES[i // 5000]}/"
            name += sorted(n for n in zf.namelist() if n.startswith(name) and n != name)[i % 5000][len(name):]
            np.testing.assert_array_equal(arrays.train_images[i], np.asarray(Image.open(zf.open(name))))
    idx = cifar10.tutorial_subset(arrays.train_labels, official_order=arrays.official_order)
    np.testing.assert_array_equal(np.bincount(arrays.train_labels[idx]), [1000] * 10)
