"""Bad `--aug` specs of `examples/cifar10/train.py` (issues 27 item 7 and 33): one argparse error naming the option.

Run through the command line's parse function only (no data read, no training): a range whose draws
overflow float32 and an output size past jaxaug's bound (2**15 per side) used to parse, the first
to train on all-black images, the second to die in XLA. A size the model cannot take (it is built
for CIFAR-10's 32 x 32) is refused here too, instead of inside the first training step.
"""

import json

import pytest
import test_example


@pytest.fixture(scope="module")
def example():
    return test_example.load_example()


def _parse(example, tmp_path, aug):
    return example.parse_args(["--aug", aug, "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "tfds")])


BAD_AUG = [  # (--aug, words the one error line must hold besides "--aug")
    ('{"rotation_range": 3e38}', ["rotation_range", "not finite in float32", "Received: rotation_range=3e+38"]),
    ('{"shear_range": 2e38}', ["shear_range", "Received: shear_range=2e+38"]),
    ('{"width_shift_range": 3e38}', ["width_shift_range"]),
    ('{"channel_shift_range": 3e38}', ["channel_shift_range"]),
    ('{"random_resized_crop": 1000000}', ["random_resized_crop", "at most 32768",
                                          "Received: random_resized_crop=1000000"]),
    ('{"random_resized_crop": [32, 1000000]}', ["random_resized_crop", "at most 32768"]),
    ('{"gaussian_noise_sigma": 1e38}', ["gaussian_noise_sigma", "finite in float32"]),
]


@pytest.mark.parametrize("aug, words", BAD_AUG, ids=[a for a, _ in BAD_AUG])
def test_a_bad_aug_is_one_argparse_error_naming_the_option(aug, words, example, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        _parse(example, tmp_path, aug)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, err
    line = lines[0]
    assert f"--aug {json.dumps(json.loads(aug))} is refused by jaxaug.augmenter: " in line, line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert not (tmp_path / "tfds").exists() and not (tmp_path / "out").exists()


def test_an_aug_the_model_cannot_take_is_refused_before_training(example, tmp_path, capsys):
    # The model is built for 32 x 32: a 64 x 64 crop used to fail only inside the first training step.
    with pytest.raises(SystemExit) as info:
        _parse(example, tmp_path, '{"random_resized_crop": 64}')
    assert info.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.endswith('error: --aug {"random_resized_crop": 64} makes 64 x 64 images, but the model takes '
                         "CIFAR-10's 32 x 32: set random_resized_crop to 32"), line


@pytest.mark.parametrize("aug", ['{"rotation_range": 1.7e38}', '{"random_resized_crop": 32}',
                                 '{"rotation_range": 20, "random_resized_crop": [32, 32]}'])
def test_the_largest_finite_range_and_cifar_sized_crops_parse(aug, example, tmp_path):
    # 1.7e38 is the largest half-width whose range [-r, r] is finite in float32: accepted (if useless).
    args = _parse(example, tmp_path, aug)
    assert args.aug
