import re

import jax
import numpy as np
import pytest
from _unwritable import deny_os_open
from PIL import Image

import jaxaug
from jaxaug import preview

ARGS = ["--rotation-range", "90", "--width-shift-range", "0.2", "--height-shift-range", "0.2",
        "--zoom-range", "0.3", "--grid", "3x3", "--seed", "0"]


def test_same_seed_gives_same_png_bytes(tmp_path, capsys):
    a, b, c = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    assert preview.main([*ARGS, "-o", str(a)]) == 0
    assert preview.main([*ARGS, "-o", str(b)]) == 0
    assert preview.main([*ARGS[:-1], "1", "-o", str(c)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    grid = np.asarray(Image.open(a))
    assert grid.shape == (3 * 128 + 2 * 2, 3 * 128 + 2 * 2, 3)
    assert "wrote" in capsys.readouterr().out


def test_cells_are_the_warped_picture(tmp_path):
    img = jaxaug.example_image(size=32)
    key = jax.random.key(5)
    grid = preview.preview_grid(key, img, rows=2, cols=3, pad=1, rotation_range=40, horizontal_flip=True)
    assert grid.shape == (2 * 33 - 1, 3 * 33 - 1, 3)
    m = jaxaug.random_affine_matrix(jax.random.fold_in(key, 4), img.shape, rotation_range=40, horizontal_flip=True)
    np.testing.assert_array_equal(grid[33:, 33:65], jaxaug.affine_warp(img, m))


def test_reads_an_image_file_and_scales(tmp_path):
    src = tmp_path / "in.jpg"
    Image.fromarray(jaxaug.example_image(size=40)).save(src)
    out = tmp_path / "out.png"
    assert preview.main([str(src), "--grid", "1x2", "--scale", "2", "--vertical-flip", "-o", str(out)]) == 0
    assert np.asarray(Image.open(out)).shape == (80, 2 * (40 * 2) + 4, 3)


def test_errors_name_the_problem(tmp_path, capsys):
    assert preview.main([str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.png")]) == 2
    assert "missing.png" in capsys.readouterr().err
    assert preview.main(["--zoom-range", "1.5", "-o", str(tmp_path / "x.png")]) == 2
    assert "zoom_range" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        preview.main(["--grid", "3by3"])
    assert "argument --grid: must look like ROWSxCOLS, e.g. 3x3. Received: '3by3'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="rows"):
        preview.preview_grid(jax.random.key(0), jaxaug.example_image(size=16), rows=0)


def test_sample_image_is_deterministic_and_asymmetric():
    a = jaxaug.example_image(size=64)
    np.testing.assert_array_equal(a, jaxaug.example_image(size=64))
    assert a.dtype == np.uint8 and a.shape == (64, 64, 3)
    for k in range(1, 4):
        assert not np.array_equal(a, np.rot90(a, k))
    assert not np.array_equal(a, a[:, ::-1]) and not np.array_equal(a, a[::-1])
    with pytest.raises(ValueError, match="size"):
        jaxaug.example_image(size=8)


def test_the_extension_of_o_picks_the_format(tmp_path):
    for name, fmt in [("p.jpg", "JPEG"), ("p.JPEG", "JPEG"), ("p.bmp", "BMP"), ("p.tif", "TIFF"), ("p.png", "PNG")]:
        assert preview.main(["--grid", "1x2", "-o", str(tmp_path / name)]) == 0
        assert Image.open(tmp_path / name).format == fmt
    assert (tmp_path / "p.jpg").read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG bytes, not PNG ones


@pytest.fixture
def no_work(monkeypatch):
    """Every refused command must fail before any augmentation."""
    def refuse(*args, **kwargs):
        raise AssertionError("preview_grid ran for a refused command")

    monkeypatch.setattr(preview, "preview_grid", refuse)


@pytest.mark.parametrize("args, message", [
    (["--grid", "300x300"], r"--grid 300x300 of 128x128 cells at --scale 1 makes a picture of 1520844004 pixels, "
                            r"more than 67108864 \(8192 x 8192\).*Received: --grid=300x300"),
    (["--scale", "100"], r"--grid 3x3 .* at --scale 100 makes a picture .*Received: --grid=3x3, --scale=100"),
    (["-o", "{tmp}/p.txt"], "extension of -o/--output=.*p.txt"),
    (["-o", "{tmp}/p"], "extension of -o/--output=.*/p'"),
    (["-o", "{tmp}/no/such/p.png"], "the folder of -o/--output does not exist: .*no/such'"),
    (["-o", "{tmp}"], "-o/--output is a folder, not a file name"),
    (["-o", ""], "-o/--output must be a file name"),
    (["--cval", "300"], r"--cval must be in \[0, 255\].*Received: --cval=300.0"),
    (["{tmp}/missing.png"], "image '.*missing.png' does not exist"),
    (["{tmp}/empty.png"], "cannot read image '.*empty.png': not a picture Pillow recognises"),
    (["{tmp}/cut.png"], "cannot read image '.*cut.png': "),
    (["{tmp}"], "image '.*' is a folder, not a picture"),
])
def test_refused_commands_print_one_line_naming_the_flag_before_any_work(tmp_path, capsys, no_work, args, message):
    (tmp_path / "empty.png").write_bytes(b"")
    Image.fromarray(jaxaug.example_image(size=64)).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    args = [a.format(tmp=tmp_path) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "out.png")]
    assert preview.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and re.search(message, err), err
    assert not (tmp_path / "out.png").exists()


def test_an_unwritable_output_folder_is_refused_before_any_work(tmp_path, capsys, no_work, monkeypatch):
    deny_os_open(monkeypatch, tmp_path)
    assert preview.main(["-o", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"error: -o/--output cannot be written: Permission denied in folder .*\n", err)


@pytest.mark.parametrize("flag, value, message", [
    ("--rotation-range", "nan", "must be finite"),
    ("--rotation-range", "inf", "must be finite"),
    ("--rotation-range", "1e39", "must be finite"),  # finite in Python, inf in float32: all-zero cells before
    ("--rotation-range", "-5", "must be >= 0"),
    ("--width-shift-range", "abc", "must be a number"),
    ("--zoom-range", "-0.1", "must be >= 0"),
    ("--cval", "1e39", "must be finite"),
    ("--seed", "-1", r"must be in \[0, 2\*\*32\)"),
    ("--seed", str(2**64), r"must be in \[0, 2\*\*32\)"),
    ("--seed", "1.5", "must be an integer"),
    ("--scale", "0", r"must be in \[1, 8192\]"),
    ("--scale", "100000", r"must be in \[1, 8192\]"),
    ("--grid", "0x3", "needs sizes >= 1"),
    ("--grid", "3x3x3", "must look like ROWSxCOLS"),
    ("--grid", "100000x100000", "has more cells than pixels allowed"),
])
def test_bad_flag_values_are_refused_by_the_parser_naming_the_flag(capsys, no_work, flag, value, message):
    with pytest.raises(SystemExit) as info:
        preview.main([flag, value, "-o", "unused.png"])
    assert info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"argument {flag}: " in last and re.search(message, last) and f"Received: {value!r}" in last


def test_preview_grid_and_sample_image_bound_their_size():
    with pytest.raises(ValueError, match=r"more than 67108864 \(8192 x 8192\). Received: rows=1000, cols=1000"):
        preview.preview_grid(jax.random.key(0), jaxaug.example_image(size=16), rows=1000, cols=1000)
    with pytest.raises(ValueError, match="Received: rows=2, cols=2, pad=100000"):
        preview.preview_grid(jax.random.key(0), jaxaug.example_image(size=16), rows=2, cols=2, pad=100000)
    with pytest.raises(ValueError, match=r"image.shape=\(16, 16, 0\)"):
        preview.preview_grid(jax.random.key(0), np.zeros((16, 16, 0), np.uint8))
    with pytest.raises(ValueError, match="size must be <= 8192. Received: size=100000"):
        jaxaug.example_image(size=100000)


def test_the_augmentation_flags_are_the_tables_options():
    # Names, defaults and help come from jaxaug.ops (not retyped): Keras' geometric options and the warp's.
    actions = {a.dest: a for a in preview._parser()._actions}
    assert set(preview._AFFINE) >= {"rotation_range", "width_shift_range", "height_shift_range", "shear_range",
                                    "zoom_range", "horizontal_flip", "vertical_flip"}
    run = {o.name: o for o in jaxaug.ops.RUN_OPTIONS}
    for name in (*preview._AFFINE, "fill_mode", "cval", "order"):
        option = jaxaug.ops.OPTIONS.get(name) or run[name]
        action = actions[name]
        assert action.option_strings == ["--" + name.replace("_", "-")]
        assert action.default == option.default and action.help.startswith(option.doc)
