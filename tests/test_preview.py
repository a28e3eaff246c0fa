import jax
import numpy as np
import pytest
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
    img = jaxaug.sample_image(32)
    key = jax.random.key(5)
    grid = preview.preview_grid(key, img, rows=2, cols=3, pad=1, rotation_range=40, horizontal_flip=True)
    assert grid.shape == (2 * 33 - 1, 3 * 33 - 1, 3)
    m = jaxaug.random_affine(jax.random.fold_in(key, 4), img.shape, rotation_range=40, horizontal_flip=True)
    np.testing.assert_array_equal(grid[33:, 33:65], jaxaug.affine_warp(img, m))


def test_reads_an_image_file_and_scales(tmp_path):
    src = tmp_path / "in.jpg"
    Image.fromarray(jaxaug.sample_image(40)).save(src)
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
    with pytest.raises(ValueError, match="rows"):
        preview.preview_grid(jax.random.key(0), jaxaug.sample_image(16), rows=0)


def test_sample_image_is_deterministic_and_asymmetric():
    a = jaxaug.sample_image(64)
    np.testing.assert_array_equal(a, jaxaug.sample_image(64))
    assert a.dtype == np.uint8 and a.shape == (64, 64, 3)
    for k in range(1, 4):
        assert not np.array_equal(a, np.rot90(a, k))
    assert not np.array_equal(a, a[:, ::-1]) and not np.array_equal(a, a[::-1])
    with pytest.raises(ValueError, match="size"):
        jaxaug.sample_image(8)
