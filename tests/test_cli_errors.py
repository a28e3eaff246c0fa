"""Bad input to the command lines: `examples/cifar10/train.py` and `python -m jaxaug.data.cifar10`.

Every bad flag is an argparse error (exit 2, one line naming the flag and the value) raised
before any data is read; a damaged source on disk is one line naming the file (exit 2), with
nothing left in the data dir or the output folder. The sources are tiny copies of
test_example's fake CIFAR-10, damaged here.
"""

import io
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import numpy as np
import pytest
import test_example
from _unwritable import deny_mkstemp
from PIL import Image

from jaxaug.data import cifar10

fake_cifar = test_example.fake_cifar  # class-folder PNGs: 8 train / 3 test per class
ROOT = test_example.ROOT


@pytest.fixture(scope="module")
def example():
    return test_example.load_example()


def _one_error(err: str) -> str:
    """The one error line of a command's stderr (progress bars aside); fails on a traceback or a second error."""
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    return errors[0][errors[0].index("error:"):]


def _zip(folder, path):
    with zipfile.ZipFile(path, "w") as zf:  # stored: member bytes are the file's bytes
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(folder.parent).as_posix())
    return path


def _cut(path, size=None):
    raw = path.read_bytes()
    out = path.with_name("cut-" + path.name)
    out.write_bytes(raw[: len(raw) // 2 if size is None else size])
    return out


def _tree(fake, root, change):
    shutil.copytree(fake, root / "cifar10")
    change(root / "cifar10")
    return root


def _truncate(file):
    file.write_bytes(file.read_bytes()[:200])


def _add_truncated_jpeg(root):
    buf = io.BytesIO()
    Image.fromarray(np.full((32, 32, 3), 99, np.uint8)).save(buf, format="JPEG")
    (root / "test" / "ship" / "0009.jpg").write_bytes(buf.getvalue()[:300])


def _keep_three_classes(root):
    for split in ("train", "test"):
        for folder in sorted((root / split).iterdir())[3:]:
            shutil.rmtree(folder)


def _corrupt_member(path, name):
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = bytearray(path.read_bytes())
    raw[info.header_offset + 30 + len(info.filename) + 60] ^= 0xFF  # one byte of its data: CRC mismatch
    path.write_bytes(bytes(raw))
    return path


@pytest.fixture(scope="module")
def damaged(fake_cifar, tmp_path_factory):
    """kind -> (path to pass as --data, text its one-line error must contain)."""
    fake, d = fake_cifar / "cifar10", tmp_path_factory.mktemp("damaged")
    with tarfile.open(d / "c.tar.gz", "w:gz") as tar:
        tar.add(fake, "cifar10")
    with tarfile.open(d / "c.tar", "w") as tar:
        tar.add(fake, "cifar10")
    with tarfile.open(d / "c.tar") as tar:
        boundary = tar.getmembers()[-5].offset  # between two files: tarfile alone would stop quietly there
    (d / "empty").mkdir()
    (d / "nothing.zip").write_bytes(b"")
    return {
        "truncated zip": (_cut(_zip(fake, d / "c.zip")), "cut-c.zip starts like a zip but has no readable central"),
        "truncated tar.gz": (_cut(d / "c.tar.gz"), "cut-c.tar.gz is gzip-compressed but cannot be read to its end"),
        "truncated tar": (_cut(d / "c.tar", boundary), "cut-c.tar has no end-of-archive marker"),
        "empty file": (d / "nothing.zip", "nothing.zip is empty (0 bytes)"),
        "empty folder": (d / "empty", "empty is not a CIFAR-10 source"),
        "three classes": (_tree(fake, d / "three", _keep_three_classes), "missing: cat, deer, dog"),
        "truncated png": (_tree(fake, d / "png", lambda r: _truncate(r / "train" / "dog" / "0003.png")),
                          "cifar10/train/dog/0003.png is not a readable PNG or JPEG image"),
        "truncated jpeg": (_tree(fake, d / "jpeg", _add_truncated_jpeg),
                           "cifar10/test/ship/0009.jpg is not a readable PNG or JPEG image"),
        "corrupt zip member": (_corrupt_member(_zip(fake, d / "m.zip"), "cifar10/train/frog/0002.png"),
                               "m.zip:cifar10/train/frog/0002.png: Bad CRC-32"),
    }


def _flags(fake_cifar, tmp_path, *extra):
    return ["--recipe", "best", "--quick", "--subset", "80", "--val-split", "0.2", "--batch-size", "16",
            "--test-limit", "16", "--data", str(fake_cifar / "cifar10"), "--data-dir", str(tmp_path / "tfds"),
            "--out", str(tmp_path / "out"), *extra]


# --- examples/cifar10/train.py: flags --------------------------------------------------------------------

BAD_FLAGS = [  # (flags, what the error line must say: the flag and the value)
    (["--lr", "inf"], "--lr must be > 0 and finite in float32 (below 3.4e38). Received: --lr=inf"),
    (["--lr", "1e39"], "--lr=1e+39"),  # finite as a Python float, inf in float32
    (["--lr", "nan"], "--lr=nan"),
    (["--lr", "1e-50"], "--lr=1e-50"),  # 0 in float32
    (["--lr", "-1"], "--lr=-1.0"),
    (["--mixup", "-1"], "--mixup must be > 0 and finite in float32 (below 3.4e38). Received: --mixup=-1.0"),
    (["--cutmix", "0"], "--cutmix=0.0"),
    (["--cutmix", "1e39"], "--cutmix=1e+39"),
    (["--val-split", "nan"], "--val-split must be in [0, 1). Received: --val-split=nan"),
    (["--seed", "-1"], "--seed must be in [0, 2**32 - 1]. Received: --seed=-1"),
    (["--seed", str(2**32)], f"--seed={2**32}"),  # jax.random.key(2**32) is key(0)
    (["--seed", "1.5"], "argument --seed: invalid int value: '1.5'"),
    (["--epochs", "2.5"], "argument --epochs: invalid int value: '2.5'"),
    (["--epochs", str(10**12)], f"--epochs times the 4 steps of an epoch must be < 2**31. Received: --epochs={10**12}"),
    (["--subset", "100000"], "--subset must be a multiple of 10 (as many images of each class) and <= 50000"),
    (["--subset", "85"], "Received: --subset=85"),
    (["--test-limit", "0"], "--test-limit must be >= 1. Received: 0"),
    (["--aug", "{"], "argument --aug: must be a JSON object (Expecting property name"),
    (["--aug", "[1, 2]"], "argument --aug: must be a JSON object, e.g. "),
    (["--aug", '{"rotation_range": NaN}'], "argument --aug: numbers must be finite in float32. Received: NaN"),
    (["--aug", '{"rotation_range": 1e39}'], "Received: 1e39 in"),
    (["--aug", '{"bogus": 1}'], '--aug {"bogus": 1} is refused by jaxaug.augmenter: '),
    (["--aug", '{"fill_mode": "bad"}'], "fill_mode='bad'"),
    (["--aug", '{"rotation_range": -5}'], "rotation_range=-5"),
    (["--aug", '{"dtype": "float33"}'], "float33"),
    (["--order", "2"], "argument --order: invalid choice: 2"),
    (["--coordinator", "nohost"], "--coordinator must be HOST:PORT (port 1-65535) or 'auto'. "
                                  "Received: --coordinator=nohost"),
    (["--data", "/no/such/cifar.zip"], "argument --data: data must be an existing file or folder"),
    (["--data", ""], "Received: data=''"),
    (["--data", "/dev/null"], "argument --data: data must be a regular file or a folder; /dev/null is neither"),
]


@pytest.mark.parametrize("flags, message", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_a_bad_flag_is_one_argparse_error_before_any_work(flags, message, example, fake_cifar, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        example.main(_flags(fake_cifar, tmp_path, *flags))
    assert info.value.code == 2
    line = _one_error(capsys.readouterr().err)
    assert message in line and flags[0] in line
    assert not (tmp_path / "tfds").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["a file", "under a file", "unwritable", "inside unwritable"])
@pytest.mark.parametrize("flag", ["--out", "--data-dir"])
def test_output_folders_are_checked_before_any_work(flag, where, example, fake_cifar, tmp_path, capsys, monkeypatch):
    (tmp_path / "file").write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    path, message = {
        "a file": (tmp_path / "file", f"{tmp_path / 'file'} is not a folder"),
        "under a file": (tmp_path / "file" / "sub", f"{tmp_path / 'file'} is not a folder"),
        "unwritable": (locked, f"no file can be created in {locked} (Permission denied)"),
        "inside unwritable": (locked / "new" / "run", f"no file can be created in {locked} (Permission denied)"),
    }[where]
    deny_mkstemp(monkeypatch, locked)
    flags = _flags(fake_cifar, tmp_path)
    flags[flags.index(flag) + 1] = str(path)
    with pytest.raises(SystemExit) as info:
        example.main(flags)
    assert info.value.code == 2
    line = _one_error(capsys.readouterr().err)
    assert flag in line and message in line and str(path) in line
    assert sorted(os.listdir(tmp_path)) == ["file", "locked"] and not os.listdir(locked)


def test_a_real_read_only_place_is_refused(example, fake_cifar, tmp_path, capsys):
    try:
        open("/sys/jaxaug-probe", "w").close()
        os.remove("/sys/jaxaug-probe")
        pytest.skip("/sys is writable here")
    except OSError:
        pass
    for flag in ("--out", "--data-dir"):
        flags = _flags(fake_cifar, tmp_path)
        flags[flags.index(flag) + 1] = "/sys/jaxaug-run"
        with pytest.raises(SystemExit):
            example.main(flags)
        assert f"{flag}" in _one_error(capsys.readouterr().err)


def test_the_default_out_is_checked_too(example, fake_cifar, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").write_text("a file where the runs folder goes")
    flags = _flags(fake_cifar, tmp_path)
    del flags[flags.index("--out"):flags.index("--out") + 2]
    with pytest.raises(SystemExit):
        example.main(flags)
    assert "Received: no --out, so runs/best-quick-0" in _one_error(capsys.readouterr().err)


def test_a_read_only_data_dir_holding_prepared_data_is_accepted(example, fake_cifar, tmp_path, monkeypatch):
    cifar10.prepare(fake_cifar / "cifar10", data_dir=tmp_path / "tfds")
    deny_mkstemp(monkeypatch, tmp_path / "tfds")
    args = example.parse_args(_flags(fake_cifar, tmp_path))
    assert len(example.load_data(example.make_config(args)).train_rows) == 64


# --- examples/cifar10/train.py: data on disk, and a diverging run -------------------------------------------

DAMAGE = ["truncated zip", "truncated tar.gz", "truncated tar", "empty file", "empty folder", "three classes",
          "truncated png", "truncated jpeg", "corrupt zip member"]


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_data_is_one_line_naming_the_file(kind, damaged, example, fake_cifar, tmp_path, capsys):
    path, message = damaged[kind]
    flags = _flags(fake_cifar, tmp_path)
    flags[flags.index("--data") + 1] = str(path)
    assert example.main(flags) == 2
    assert message in _one_error(capsys.readouterr().err)
    assert not (tmp_path / "tfds").exists() and not (tmp_path / "out").exists()


def test_a_subset_larger_than_the_data_is_refused_before_training(example, fake_cifar, tmp_path, capsys):
    assert example.main(_flags(fake_cifar, tmp_path, "--subset", "90")) == 2
    line = _one_error(capsys.readouterr().err)
    assert "--subset must be <= 80, the largest class-balanced subset of the 80 training images" in line
    assert "Received: --subset=90" in line and not (tmp_path / "out").exists()


def test_a_diverging_run_stops_with_an_error_not_nan_results(example, fake_cifar, tmp_path, capsys):
    # 1e35 is finite in float32; Adam's first steps of ~1e35 overflow the model.
    flags = _flags(fake_cifar, tmp_path, "--recipe", "baseline", "--lr", "1e35", "--epochs", "3")
    assert example.main(flags) == 1
    line = _one_error(capsys.readouterr().err)
    assert "the training loss became nan at epoch 1" in line and "(--lr) 1e+35 is too large" in line
    assert not (tmp_path / "out").exists()


def test_report_files_are_written_whole_or_not_at_all(example, tmp_path):
    def broken(path):
        path.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        example.write_atomically(tmp_path / "metrics.json", broken)
    assert os.listdir(tmp_path) == []
    example.write_atomically(tmp_path / "metrics.json", lambda path: path.write_text("{}"))
    assert os.listdir(tmp_path) == ["metrics.json"]


# --- python -m jaxaug.data.cifar10 ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DAMAGE)
def test_data_command_line_damaged_data(kind, damaged, tmp_path, capsys):
    path, message = damaged[kind]
    with pytest.raises(SystemExit) as info:
        cifar10.main(["--data", str(path), "--data-dir", str(tmp_path / "tfds")])
    assert info.value.code == 2 and message in _one_error(capsys.readouterr().err)
    assert not (tmp_path / "tfds").exists()


@pytest.mark.parametrize("where", ["missing data", "empty data", "a file", "under a file", "unwritable", "empty"])
def test_data_command_line_bad_paths(where, fake_cifar, tmp_path, capsys, monkeypatch):
    (tmp_path / "file").write_text("x")
    data, data_dir = str(fake_cifar / "cifar10"), str(tmp_path / "tfds")
    flag, message = "--data-dir", None
    if where == "missing data":
        data, flag, message = str(tmp_path / "missing.zip"), "--data", "missing.zip"
    elif where == "empty data":
        data, flag, message = "", "--data", "Received: data=''"
    elif where in ("a file", "under a file"):
        data_dir = str(tmp_path / "file") + ("/tfds" if where == "under a file" else "")
        message = f"{tmp_path / 'file'} is not a folder"
    elif where == "unwritable":
        deny_mkstemp(monkeypatch, tmp_path)
        message = f"no file can be created in {tmp_path} (Permission denied)"
    else:
        data_dir, message = "", "data_dir must be a folder's path, not empty"
    with pytest.raises(SystemExit) as info:
        cifar10.main(["--data", data, "--data-dir", data_dir])
    line = _one_error(capsys.readouterr().err)
    assert info.value.code == 2 and f"argument {flag}: " in line and message in line
    assert sorted(os.listdir(tmp_path)) == ["file"]


# --- the real command lines, in a subprocess: exactly usage + one line, or one line -------------------------


def test_command_lines_print_one_line_and_no_traceback(damaged, tmp_path):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    example = subprocess.run([sys.executable, str(ROOT / "examples" / "cifar10" / "train.py"), "--lr", "inf",
                              "--data-dir", str(tmp_path / "tfds")], capture_output=True, text=True, env=env)
    assert example.returncode == 2 and example.stdout == ""
    assert example.stderr.splitlines()[-1] == (
        "train.py: error: --lr must be > 0 and finite in float32 (below 3.4e38). Received: --lr=inf")
    assert example.stderr.startswith("usage: ") and "Traceback" not in example.stderr
    data = subprocess.run([sys.executable, "-m", "jaxaug.data.cifar10", "--data", str(damaged["truncated zip"][0]),
                           "--data-dir", str(tmp_path / "tfds")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert data.returncode == 2
    assert data.stderr.splitlines()[-1].startswith("python -m jaxaug.data.cifar10: error: ")
    assert "cut-c.zip starts like a zip" in data.stderr and "Traceback" not in data.stderr
    assert not (tmp_path / "tfds").exists()
