"""The Keras facade's image files (listing, reading: `jaxaug.keras._listing`, `_files`; writing:
`jaxaug._image_files`) against the real Keras 3 legacy code on tiny image trees."""

import os
import re
import stat
import warnings

import numpy as np
import pytest
from keras.src.legacy.preprocessing import image as K
from keras.src.utils import image_utils
from PIL import Image, ImageFile

from jaxaug import _image_files as F
from jaxaug.keras import _files as R
from jaxaug.keras import _listing as L

# Keras warns about every ".tiff" file it lists; the tree has one on purpose.
pytestmark = pytest.mark.filterwarnings('ignore:Using ".tiff" files')
SIZES = [None, (7, 9), (16, 11)]


def _rgb(seed, h, w, c=3):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def _save(path, img, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kwargs)
    return path


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A class-per-folder tree with Keras' corner cases, plus loose sample files."""
    base = tmp_path_factory.mktemp("files")
    root, outside = base / "data", base / "outside"
    for i in range(5):
        _save(root / "birds" / f"b{i}.png", Image.fromarray(_rgb(i, 6 + i, 9)))
    _save(root / "birds" / "b5.JPG", Image.fromarray(_rgb(5, 8, 8)))
    (root / "birds" / "notes.txt").write_text("not an image")
    (root / "birds" / "fakepng").write_text("Keras lists any name ending in png")
    _save(root / "cats" / "c0.jpg", Image.fromarray(_rgb(10, 12, 10)))
    _save(root / "cats" / "c1.png", Image.fromarray(_rgb(11, 5, 7)))
    _save(root / "cats" / "c2.TIFF", Image.fromarray(_rgb(12, 9, 6)))
    _save(root / "cats" / "nested" / "c3.png", Image.fromarray(_rgb(13, 7, 7)))
    _save(root / "cats" / "nested" / "deeper" / "c4.bmp", Image.fromarray(_rgb(14, 6, 8)))
    _save(root / "cats" / "nested b" / "c5.ppm", Image.fromarray(_rgb(15, 8, 6)))
    files = {
        "rgba": _save(root / "dogs" / "d0.png", Image.fromarray(_rgb(20, 9, 12, 4), "RGBA")),
        "gray16": _save(root / "dogs" / "d1.png", Image.fromarray(_rgb(21, 10, 8, 1)[..., 0].astype(np.uint16) * 257)),
        "palette": _save(root / "dogs" / "d2.png", Image.fromarray(_rgb(22, 11, 9)).quantize(8)),
        "gray_jpeg": _save(root / "dogs" / "d3.jpg", Image.fromarray(_rgb(23, 13, 10, 1)[..., 0])),
        "cmyk_jpeg": _save(root / "dogs" / "d4.jpeg", Image.fromarray(_rgb(24, 10, 14)).convert("CMYK")),
        "rgb_png": root / "birds" / "b0.png",
        "jpeg": root / "cats" / "c0.jpg",
        "tiff": root / "cats" / "c2.TIFF",
        "bmp": root / "cats" / "nested" / "deeper" / "c4.bmp",
    }
    _save(root / ".hidden" / "h0.png", Image.fromarray(_rgb(30, 4, 4)))
    (root / "README.txt").write_text("a file, not a class")
    for i in range(2):
        _save(outside / "extra" / f"e{i}.png", Image.fromarray(_rgb(40 + i, 5, 5)))
    os.symlink(outside / "extra", root / "linked_class")
    os.symlink(outside / "extra", root / "cats" / "link_sub")
    broken = base / "broken"
    broken.mkdir()
    # Cut inside the pixel data, past the headers, so PIL can fill the rest when asked to.
    for name in ["truncated.png", "truncated.jpg"]:
        whole = _save(broken / f"whole_{name}", Image.fromarray(_rgb(50, 48, 64))).read_bytes()
        (broken / name).write_bytes(whole[: len(whole) * 3 // 4])
    (broken / "text.png").write_text("not a png")
    return {"root": root, "files": files, "broken": broken}


# ----------------------------------------------------------------------------- directories


@pytest.mark.parametrize("subset", [None, "training", "validation"])
@pytest.mark.parametrize("follow_links", [False, True])
@pytest.mark.parametrize("classes", [None, ["dogs", "cats"], ["linked_class", "birds", "cats"]])
def test_list_directory_matches_keras(tree, classes, follow_links, subset):
    split = {None: None, "training": (0.3, 1), "validation": (0, 0.3)}[subset]
    keras = K.DirectoryIterator(str(tree["root"]), K.ImageDataGenerator(validation_split=0.3), classes=classes,
                                follow_links=follow_links, subset=subset, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = L.list_directory(tree["root"], classes=classes, follow_links=follow_links, split=split)
    assert ours.filenames == keras.filenames
    assert ours.labels.dtype == np.int32
    np.testing.assert_array_equal(ours.labels, keras.classes)
    assert ours.class_indices == keras.class_indices
    assert ours.class_names == list(keras.class_indices)
    assert len(ours.filenames) > 0


def test_list_directory_finds_keras_corner_cases(tree):
    with pytest.warns(UserWarning, match="tiff"):
        ours = L.list_directory(tree["root"], follow_links=True)
    assert ours.class_names == [".hidden", "birds", "cats", "dogs", "linked_class"]
    names = set(ours.filenames)
    assert {"birds/fakepng", "birds/b5.JPG", "cats/c2.TIFF", "cats/link_sub/e0.png", "linked_class/e1.png"} <= names
    assert "birds/notes.txt" not in names
    cats = [n for n in ours.filenames if n.startswith("cats/")]
    assert cats.index("cats/nested b/c5.ppm") < cats.index("cats/nested/deeper/c4.bmp")
    assert not any("link_sub" in n for n in L.list_directory(tree["root"], classes=["cats"]).filenames)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"directory": "missing"}, FileNotFoundError, "directory does not exist.*directory=.*missing"),
    ({"directory": "README.txt"}, ValueError, "directory=.*README.txt"),
    ({"directory": "birds"}, ValueError, "no class sub-folders"),
    ({"directory": 3}, TypeError, "directory=3"),
    ({"classes": ["cats", "nope"]}, ValueError, "'nope'"),
    ({"classes": ["cats/nested"]}, ValueError, "cats/nested"),
    ({"classes": ["cats", "cats"]}, ValueError, "repeat"),
    ({"classes": "cats"}, TypeError, "classes='cats'"),
    ({"classes": 0}, TypeError, "classes=0"),
    ({"classes": np.ones((2, 2))}, TypeError, "classes=<array shape=.2, 2."),
    ({"follow_links": "yes"}, TypeError, "follow_links"),
    ({"split": (0.5, 0.2)}, ValueError, "split"),
    ({"split": (0.0, 1.5)}, ValueError, "split"),
])
def test_list_directory_rejects_bad_input(tree, kwargs, error, match):
    kwargs = dict(kwargs)
    directory = kwargs.pop("directory", ".")
    directory = tree["root"] / directory if isinstance(directory, str) else directory
    with pytest.raises(error, match=match):
        L.list_directory(directory, **kwargs)


def test_a_missing_path_is_a_file_not_found_error_and_still_a_value_error(tmp_path):
    with pytest.raises(F.PathNotFoundError) as info:
        L.list_directory(tmp_path / "nope")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)
    assert str(info.value) == f"directory does not exist. Received: directory={str(tmp_path / 'nope')!r}"


# ----------------------------------------------------------------------------- loading


def _keras_load(path, **kwargs):
    return image_utils.img_to_array(image_utils.load_img(path, **kwargs), dtype="float32")


@pytest.mark.parametrize("interpolation", R.INTERPOLATIONS)
@pytest.mark.parametrize("color_mode", R.COLOR_MODES)
def test_load_image_matches_keras(tree, color_mode, interpolation):
    for name, path in tree["files"].items():
        for size in SIZES:
            for keep in [False, True]:
                kwargs = dict(color_mode=color_mode, target_size=size, interpolation=interpolation,
                              keep_aspect_ratio=keep)
                ours = R.load_image(path, **kwargs)
                expected = _keras_load(path, **kwargs)
                assert ours.dtype == np.float32
                np.testing.assert_array_equal(ours, expected, err_msg=f"{name} {kwargs}")
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[color_mode]
    assert R.load_image(tree["files"]["jpeg"], color_mode=color_mode).shape == (12, 10, channels)


def test_load_image_keeps_16_bit_grayscale_and_dtype(tree):
    gray = R.load_image(tree["files"]["gray16"], color_mode="grayscale")
    assert gray.shape == (10, 8, 1) and gray.max() > 255
    as_uint = R.load_image(tree["files"]["rgb_png"], dtype="uint8")
    np.testing.assert_array_equal(as_uint, np.asarray(Image.open(tree["files"]["rgb_png"])))
    x = R.load_image(tree["files"]["jpeg"])
    first = image_utils.img_to_array(image_utils.load_img(tree["files"]["jpeg"]), data_format="channels_first")
    np.testing.assert_array_equal(R.to_channels(x, "channels_first"), first)
    assert R.to_channels(x, "channels_last") is x


@pytest.mark.parametrize("name, problem", [
    ("truncated.png", "the image data is truncated"),
    ("truncated.jpg", "the image data is truncated"),
    ("text.png", "not an image file Pillow recognises .* 9 bytes"),
    ("missing.png", "the file does not exist"),
    ("empty.png", "the file is empty"),
])
def test_load_image_names_the_bad_file_and_what_is_wrong_in_one_line(tree, name, problem):
    path = tree["broken"] / name
    if name == "empty.png":
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=re.escape(f"Could not read an image from file {str(path)!r}: ")) as info:
        R.load_image(path)
    assert re.search(problem, str(info.value)) and "\n" not in str(info.value)
    assert "BytesIO" not in str(info.value)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("name", ["truncated.png", "truncated.jpg"])
def test_load_image_follows_pils_truncation_flag_like_keras(tree, name, monkeypatch):
    path = tree["broken"] / name
    with pytest.raises(OSError, match="(?i)truncated"):
        _keras_load(path)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    partial = R.load_image(path)
    np.testing.assert_array_equal(partial, _keras_load(path))
    assert not np.array_equal(partial, R.load_image(tree["broken"] / f"whole_{name}"))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"color_mode": "bgr"}, ValueError, "color_mode.*'rgba'.*Received: color_mode='bgr'"),
    ({"interpolation": "cubic"}, ValueError, "interpolation.*'lanczos'.*Received: interpolation='cubic'"),
    ({"target_size": (0, 5)}, ValueError, r"target_size=\(0, 5\)"),
    ({"target_size": "big"}, ValueError, "target_size='big'"),
    ({"target_size": "32"}, ValueError, "target_size='32'"),  # was read as (3, 2)
    ({"target_size": ("8", "8")}, ValueError, r"target_size=\('8', '8'\)"),
    ({"target_size": (True, True)}, ValueError, r"target_size=\(True, True\)"),
    ({"target_size": (4.0, 5)}, ValueError, "target_size"),
    ({"target_size": (8.5, 8)}, ValueError, r"target_size=\(8.5, 8\)"),
    ({"target_size": (8, 8, 3)}, ValueError, r"target_size=\(8, 8, 3\)"),
    ({"target_size": (10**6, 10**6)}, ValueError, "too large.*target_size=.1000000, 1000000."),
    ({"keep_aspect_ratio": 1}, TypeError, "keep_aspect_ratio"),
])
def test_load_image_rejects_bad_options(tree, kwargs, error, match):
    with pytest.raises(error, match=match):
        R.load_image(tree["files"]["rgb_png"], **kwargs)


def test_check_target_size_takes_pairs_of_positive_integers():
    assert R.check_target_size((np.int64(8), np.int32(9))) == (8, 9)
    assert R.check_target_size(None) is None
    assert R.check_target_size((8192, 8192)) == (8192, 8192)
    with pytest.raises(ValueError, match="target_size=None"):
        R.check_target_size(None, allow_none=False)
    with pytest.raises(ValueError, match="too large"):
        R.check_target_size((8193, 8192))


def test_load_image_rejects_a_non_path():
    with pytest.raises(TypeError, match="path=3"):
        R.load_image(3)


# ----------------------------------------------------------------------------- saving


ARRAYS = {
    "gray01": np.random.default_rng(0).random((5, 6, 1)),
    "rgb_signed": np.random.default_rng(1).normal(size=(5, 6, 3)) * 40,
    "rgba": np.random.default_rng(2).random((5, 6, 4)) * 255,
    "constant": np.full((4, 3, 3), 7.0),
    "gray_wide": np.arange(30.0).reshape(5, 6, 1) * 100,
}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("name", list(ARRAYS))
def test_to_pil_matches_array_to_img(name, scale, data_format):
    x = ARRAYS[name]
    if not scale:
        x = np.clip(x, 0, None if name == "gray_wide" else 255)
    if data_format == "channels_first":
        x = np.transpose(x, (2, 0, 1))
    ours = F.to_pil(x, data_format=data_format, scale=scale)
    keras = image_utils.array_to_img(x, data_format=data_format, scale=scale)
    assert ours.mode == keras.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(keras))


@pytest.mark.parametrize("shape", [(5, 6, 2), (5, 6), (1, 5, 6, 3)])
def test_to_pil_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match=re.escape(f"x.shape={shape}")):
        F.to_pil(np.zeros(shape))


@pytest.mark.parametrize("filename, file_format, name", [
    ("a.png", None, "rgb_signed"),
    ("a.jpg", None, "rgb_signed"),
    ("a.bmp", None, "gray01"),
    ("a.png", "jpeg", "rgba"),
    ("a.jpeg", None, "rgba"),
])
def test_save_image_writes_keras_bytes(tmp_path, filename, file_format, name):
    ours, keras = tmp_path / "ours" / filename, tmp_path / "keras" / filename
    ours.parent.mkdir()
    keras.parent.mkdir()
    with warnings.catch_warnings(record=True) as ours_warnings:
        warnings.simplefilter("always")
        F.save_image(ours, ARRAYS[name], file_format=file_format)
    with warnings.catch_warnings(record=True) as keras_warnings:
        warnings.simplefilter("always")
        image_utils.save_img(keras, ARRAYS[name], file_format=file_format)
    assert ours.read_bytes() == keras.read_bytes()
    assert [str(w.message) for w in ours_warnings] == [str(w.message) for w in keras_warnings]
    assert os.listdir(ours.parent) == [filename]
    assert stat.S_IMODE(ours.stat().st_mode) == stat.S_IMODE(keras.stat().st_mode)


@pytest.mark.parametrize("filename, file_format", [("a.tif", None), ("a.png", "TIF"), ("a.dat", "JPG")])
def test_save_image_accepts_what_keras_save_img_stumbles_on(tmp_path, filename, file_format):
    path = tmp_path / filename
    x = ARRAYS["rgba"][..., :3]
    F.save_image(path, x, file_format=file_format)
    expected = np.asarray(image_utils.array_to_img(x))
    if file_format != "JPG":
        np.testing.assert_array_equal(np.asarray(Image.open(path)), expected)
    assert Image.open(path).format == ("JPEG" if file_format == "JPG" else "TIFF")


def test_save_image_leaves_nothing_half_written(tmp_path):
    path = tmp_path / "keep.jpg"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="cannot write mode I"):
        F.save_image(path, ARRAYS["gray_wide"], scale=False)
    assert os.listdir(tmp_path) == ["keep.jpg"]
    assert path.read_bytes() == b"old"


@pytest.mark.parametrize("path, kwargs, match", [
    ("a.unknown", {}, "path=.*a.unknown"),
    ("a", {}, "path="),
    ("a.png", {"file_format": "nope"}, "file_format='nope'"),
    ("a.png", {"data_format": "nchw"}, "data_format='nchw'"),
])
def test_save_image_rejects_bad_formats(tmp_path, path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        F.save_image(tmp_path / path, ARRAYS["rgb_signed"], **kwargs)
    assert os.listdir(tmp_path) == []


def _refuse_write_tests(monkeypatch, error=None):
    """os.open fails for the writability probe, as on a read-only folder (root ignores chmod)."""
    real_open = os.open
    error = PermissionError(13, "Permission denied") if error is None else error

    def fake_open(path, *args, **kwargs):
        if ".jaxaug-write-test-" in os.fspath(path):
            raise error
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)


def test_check_output_folder_before_any_work(tmp_path, monkeypatch):
    assert F.check_output_folder(tmp_path, "save_to_dir") == str(tmp_path)
    assert os.listdir(tmp_path) == []  # the probe file is gone
    with pytest.raises(FileNotFoundError, match="save_to_dir does not exist. Received: save_to_dir=.*nope"):
        F.check_output_folder(tmp_path / "nope", "save_to_dir")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(ValueError, match="save_to_dir must be a folder; it is a file. Received: save_to_dir=.*f.txt"):
        F.check_output_folder(tmp_path / "f.txt", "save_to_dir")
    with pytest.raises(TypeError, match="save_to_dir=3"):
        F.check_output_folder(3, "save_to_dir")
    _refuse_write_tests(monkeypatch)
    with pytest.raises(ValueError, match="save_to_dir cannot be written: Permission denied in folder"):
        F.check_output_folder(tmp_path, "save_to_dir")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_output_folder_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(ValueError, match="cannot be written"):
            F.check_output_folder(folder, "save_to_dir")
    finally:
        folder.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("name, fmt", [("a.png", "PNG"), ("a.JPG", "JPEG"), ("a.jpeg", "JPEG"), ("a.bmp", "BMP"),
                                       ("a.tif", "TIFF"), ("a.webp", "WEBP")])
def test_check_output_file_takes_the_format_from_the_extension(tmp_path, name, fmt):
    assert F.check_output_file(tmp_path / name, "-o") == (str(tmp_path / name), fmt)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name, error, match", [
    ("a.txt", ValueError, "extension of -o=.*a.txt"),
    ("a", ValueError, "extension of -o=.*a'"),
    ("", ValueError, "-o must be a file name.*Received: -o=''"),
    ("no/such/a.png", FileNotFoundError, "the folder of -o does not exist: .*no/such'. Received: -o=.*a.png"),
    ("sub", ValueError, "-o is a folder, not a file name"),
    ("file.txt/a.png", ValueError, "the folder of -o is not a folder"),
])
def test_check_output_file_refuses_what_cannot_be_written(tmp_path, name, error, match):
    (tmp_path / "sub").mkdir()
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(error, match=match):
        F.check_output_file(os.path.join(tmp_path, name) if name else "", "-o")


def test_check_output_file_refuses_an_unwritable_folder(tmp_path, monkeypatch):
    _refuse_write_tests(monkeypatch, OSError(30, "Read-only file system"))
    with pytest.raises(ValueError, match="-o cannot be written: Read-only file system in folder"):
        F.check_output_file(tmp_path / "a.png", "-o")


def test_augmented_filename_is_keras_save_to_dir_name(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(np.random, "randint", lambda *args, **kwargs: 4242)
    it = K.DirectoryIterator(str(tree["root"]), K.ImageDataGenerator(), target_size=(6, 6), classes=["cats"],
                             batch_size=3, shuffle=False, save_to_dir=str(tmp_path), save_prefix="aug",
                             save_format="png")
    batch, _ = it[0]
    expected = [R.augmented_filename("aug", j, 4242, "png") for j in range(3)]
    assert sorted(os.listdir(tmp_path)) == sorted(expected) == ["aug_0_4242.png", "aug_1_4242.png", "aug_2_4242.png"]
    for j, name in enumerate(expected):
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / name)), np.asarray(F.to_pil(batch[j])))
    assert R.augmented_filename("", 12, 0, "jpeg") == "_12_0.jpeg"


@pytest.mark.parametrize("args, match", [
    (("a", -1, 0, "png"), "index"),
    (("a", True, 0, "png"), "index"),
    (("a", 0, 10**7, "png"), "hash_value"),
    (("a", 0, -3, "png"), "hash_value"),
    (("a", 0, 1, ""), "file_format"),
])
def test_augmented_filename_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        R.augmented_filename(*args)


# ----------------------------------------------------------------------------- dataframes


@pytest.fixture(scope="module")
def frame(tree):
    pd = pytest.importorskip("pandas")
    rows = [
        ("birds/b0.png", "birds", "yes", ["birds"], 0.5, 1, 0.1),
        ("cats/c0.jpg", "cats", "no", ["cats", "dogs"], 1.0, 2, 0.2),
        ("cats/missing.png", "cats", "yes", ["cats"], 1.5, 3, 0.3),
        ("dogs/d0.png", "dogs", "no", ("dogs",), 2.0, 4, 0.4),
        ("birds/notes.txt", "birds", "yes", ["birds"], 2.5, 5, 0.5),
        ("birds/b1.png", "birds", "no", ["birds", "cats"], 3.0, 6, 0.6),
        ("cats/c1.png", "cats", "yes", [], 3.5, 7, 0.7),
        ("dogs/d3.jpg", "dogs", "no", ["dogs"], 4.0, 8, 0.8),
        ("cats/nested/c3.png", "cats", "yes", ["cats"], 4.5, 9, 0.9),
        ("birds/b2.png", "birds", "no", ["birds", "dogs"], 5.0, 10, 1.0),
    ]
    df = pd.DataFrame(rows, columns=["filename", "class", "bin", "tags", "w", "y1", "y2"])
    df["path"] = [str(tree["root"] / f) for f in df["filename"]]
    return df


DF_CASES = {
    "categorical": {"class_mode": "categorical"},
    "categorical_classes": {"class_mode": "categorical", "classes": ["dogs", "cats", "dogs"]},
    "multilabel": {"class_mode": "categorical", "y_col": "tags"},
    "multilabel_classes": {"class_mode": "categorical", "y_col": "tags", "classes": ["cats"]},
    "binary": {"class_mode": "binary", "y_col": "bin"},
    "binary_classes": {"class_mode": "binary", "classes": ["cats", "dogs"]},
    "sparse": {"class_mode": "sparse"},
    "raw": {"class_mode": "raw", "y_col": "y2"},
    "raw_columns": {"class_mode": "raw", "y_col": ["y1", "y2"]},
    "multi_output": {"class_mode": "multi_output", "y_col": ["y1", "y2"], "classes": ["cats"]},
    "input": {"class_mode": "input"},
    "none": {"class_mode": None, "weight_col": None},
}


def _recorded(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, sorted(str(w.message) for w in caught if "tiff" not in str(w.message))


@pytest.mark.parametrize("where", ["relative", "absolute"])
@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("subset", [None, "training", "validation"])
@pytest.mark.parametrize("case", list(DF_CASES))
def test_list_dataframe_matches_keras(tree, frame, case, subset, validate, where):
    kwargs = {"weight_col": "w", "y_col": "class", **DF_CASES[case], "validate_filenames": validate}
    kwargs.update({"x_col": "filename", "directory": str(tree["root"])} if where == "relative"
                  else {"x_col": "path", "directory": None})
    split = {None: None, "training": (0.3, 1), "validation": (0, 0.3)}[subset]
    keras, keras_warnings = _recorded(lambda: K.DataFrameIterator(
        frame, image_data_generator=K.ImageDataGenerator(validation_split=0.3), subset=subset, shuffle=False,
        **kwargs))
    ours, our_warnings = _recorded(lambda: L.list_dataframe(frame, split=split, **kwargs))
    assert our_warnings == keras_warnings
    assert ours.filenames == keras.filenames
    assert ours.filepaths == keras.filepaths
    mode = kwargs["class_mode"]
    if mode in ("categorical", "binary", "sparse"):
        assert ours.labels == keras.classes
        assert ours.class_indices == keras.class_indices
    else:
        assert ours.class_indices is None and not hasattr(keras, "class_indices")
    if mode == "raw":
        assert ours.labels.dtype == keras.labels.dtype
        np.testing.assert_array_equal(ours.labels, keras.labels)
    elif mode == "multi_output":
        assert len(ours.labels) == len(keras.labels) == 2
        for a, b in zip(ours.labels, keras.labels, strict=True):
            np.testing.assert_array_equal(a, b)
    elif mode in ("input", None):
        assert ours.labels is None
    if kwargs["weight_col"]:
        np.testing.assert_array_equal(ours.weights, keras.sample_weight)
    else:
        assert ours.weights is None and keras.sample_weight is None


@pytest.mark.parametrize("class_mode", ["sparse", "categorical"])
def test_list_dataframe_sorts_many_classes_like_keras(frame, class_mode):
    # Twelve names: a set's iteration order will not pass for sorted order by luck.
    df = frame.iloc[[i % len(frame) for i in range(24)]].assign(many=[f"k{(7 * i) % 12}" for i in range(24)])
    keras = K.DataFrameIterator(df, y_col="many", class_mode=class_mode, validate_filenames=False, shuffle=False)
    ours = L.list_dataframe(df, y_col="many", class_mode=class_mode, validate_filenames=False)
    assert ours.class_indices == keras.class_indices
    assert list(ours.class_indices) == sorted(ours.class_indices)
    assert ours.labels == keras.classes


def test_list_dataframe_drops_invalid_and_unlisted_rows(tree, frame):
    with pytest.warns(UserWarning, match='Found 2 invalid image filename.*x_col="filename"'):
        ours = L.list_dataframe(frame, directory=tree["root"], classes=["cats", "dogs"])
    assert ours.filenames == ["cats/c0.jpg", "dogs/d0.png", "cats/c1.png", "dogs/d3.jpg", "cats/nested/c3.png"]
    assert ours.labels == [0, 1, 0, 1, 0]
    assert ours.filepaths[0] == os.path.join(tree["root"], "cats/c0.jpg")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"class_mode": "other"}, ValueError, "class_mode='other'"),
    ({"x_col": "nope"}, ValueError, "x_col='nope'"),
    ({"y_col": "nope"}, ValueError, "y_col='nope'"),
    ({"class_mode": "raw", "y_col": ["y1", "nope"]}, ValueError, r"y_col=\['y1', 'nope'\]"),
    ({"weight_col": "nope"}, ValueError, "weight_col='nope'"),
    ({"weight_col": "class"}, TypeError, "weight_col='class'"),
    ({"class_mode": "binary"}, ValueError, "2 classes.*y_col='class'"),
    ({"class_mode": "binary", "classes": ["a", "b", "c"]}, ValueError, "2 classes.*classes="),
    ({"class_mode": "multi_output", "y_col": "y1"}, TypeError, "y_col='y1'"),
    ({"class_mode": "sparse", "y_col": "tags"}, TypeError, "y_col='tags'"),
    ({"class_mode": "categorical", "y_col": "y1"}, TypeError, "y_col='y1'"),
    ({"x_col": "y1"}, TypeError, "x_col='y1'"),
    ({"split": (0.5, 0.2)}, ValueError, "split"),
    ({"validate_filenames": "yes"}, TypeError, "validate_filenames"),
    ({"directory": 3}, TypeError, "directory=3"),
    ({"directory": "/no/such/folder"}, FileNotFoundError, "directory does not exist.*'/no/such/folder'"),
    ({"classes": 0}, TypeError, "classes=0"),
    ({"weight_col": "w", "frame": {"w": 1 + 1j}}, TypeError, "weight_col='w' must hold real numbers.*complex"),
    ({"weight_col": "w", "frame": {"w": np.nan}}, ValueError, "weight_col='w' must hold finite.*nan in row 0"),
    ({"weight_col": "w", "frame": {"w": 1e39}}, ValueError, "weight_col='w' must hold finite.*1e\\+39 in row 0"),
])
def test_list_dataframe_rejects_bad_input(frame, kwargs, error, match):
    kwargs = dict(kwargs)
    frame = frame.assign(**kwargs.pop("frame", {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            L.list_dataframe(frame, **kwargs)


def test_list_dataframe_rejects_a_non_frame():
    with pytest.raises(TypeError, match="dataframe="):
        L.list_dataframe([{"filename": "a.png"}])
