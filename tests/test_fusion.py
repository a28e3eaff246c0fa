"""Issue 28's engine: fusion boundaries that change no value, ops declared to fuse with the warp, compact draws."""

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import jaxaug
from jaxaug import _fusion, noise, ops
from jaxaug import pipeline as jp

FUSING = [op for op in ops.OPS if op.fuses_with_warp]
COMPACT = [op for op in ops.OPS if op.compact is not None]
KEY = jax.random.key(11)


def test_the_declarations_name_the_ops_that_fuse_and_the_compact_draws():
    # What the speed of the pixel pipeline rests on; a new op says where it belongs.
    assert {op.name for op in FUSING} == {"brightness", "invert", "salt_and_pepper", "cutout", "random_erasing",
                                          "rgb_shift", "channel_dropout", "multiplicative_noise", "planckian_jitter"}
    assert {op.name for op in COMPACT} == {"gaussian_noise", "salt_and_pepper", "multiplicative_noise", "iso_noise"}
    assert all(op.kind == "pixel" for op in FUSING + COMPACT)
    assert jp.chain(jp.brightness((0.8, 1.2)), jp.cutout(4)).fuses_with_warp
    # A per-image choice selects between whole images: that select inside the warp's loop was 3-4x
    # slower; it stays pointwise, so the next cheap op needs no pass of its own.
    gated = jp.random_apply(jp.brightness((0.8, 1.2)), 0.5)
    assert gated.pointwise and not gated.fuses_with_warp


@pytest.mark.parametrize("transform", ["eager", "jit", "vmap"])
def test_materialize_returns_its_input_bit_for_bit(transform):
    x = {"a": jnp.array([[1.5, -0.0, jnp.nan, jnp.inf]], jnp.float32), "b": jnp.array([[3, 255]], jnp.uint8),
         "c": jnp.array([[True, False]])}
    fn = {"eager": _fusion.materialize, "jit": jax.jit(_fusion.materialize), "vmap": jax.vmap(_fusion.materialize)}
    out = fn[transform](x)
    for k in x:
        assert out[k].dtype == x[k].dtype
        np.testing.assert_array_equal(np.asarray(out[k]).view(np.uint8), np.asarray(x[k]).view(np.uint8))


# No subnormals: XLA's CPU backend flushes them to zero in any arithmetic, as it does everywhere.
@given(st.lists(st.floats(-2.0**100, 2.0**100, width=32, allow_subnormal=False), min_size=1, max_size=40),
       st.floats(-256.0, 256.0, width=32, allow_subnormal=False), st.integers(0, 2**40))
def test_where_is_jnp_where_for_finite_pixels(values, value, seed):
    x = np.array(values, np.float32)
    mask = np.random.default_rng(seed).random(x.shape) < 0.5
    ours = np.asarray(jax.jit(_fusion.where)(mask, np.float32(value), x))
    np.testing.assert_array_equal(ours, np.where(mask, np.float32(value), x))  # == : -0.0 may come back as +0.0


@pytest.mark.parametrize("op", COMPACT, ids=lambda op: op.name)
@pytest.mark.parametrize("shape", [(16, 12, 3), (9, 7)])
def test_expanding_the_compact_draw_gives_the_samplers_draw_bit_for_bit(op, shape):
    seed, expand = op.compact
    drawn = {k: v for k, v in op.example.items() if k not in op.twin_options}
    for i in range(3):
        key = jax.random.fold_in(KEY, i)
        # Both eager: one program each way (under jit, XLA may round sigma * z differently).
        full = op.sample(key, shape, **drawn)
        for name, value in expand(seed(key, shape, **drawn), shape).items():
            np.testing.assert_array_equal(value, full[name])


@pytest.mark.parametrize("op", FUSING, ids=lambda op: op.name)
def test_an_op_that_fuses_with_the_warp_reads_only_its_own_element(op):
    # The declaration's promise: with its parameters fixed, changing one input element changes
    # at most that output element (no statistic, no other channel, no neighbour is read).
    image = jax.random.uniform(KEY, (10, 12, 3), jnp.float32)
    params = jp.__dict__[op.name](**op.example).sample(jax.random.key(3), image.shape)
    options = {k: v for k, v in op.example.items() if k in op.twin_options}
    _, expand = op.compact or (None, None)
    drawn = params if expand is None else expand(params, image.shape)
    base = np.asarray(op.twin(image, **drawn, **options))
    for r, c, ch in ((0, 0, 0), (5, 7, 1), (9, 11, 2)):
        poked = np.asarray(op.twin(image.at[r, c, ch].set(0.37), **drawn, **options))
        changed = np.argwhere(poked != base)
        assert all(tuple(p) == (r, c, ch) for p in changed), (op.name, changed[:5])


def test_pixel_uniforms_are_never_0_or_1_and_normals_stay_finite_and_bounded():
    # Every value of the 2**23-point grid: the top value once rounded to 1.0 (an infinite normal).
    seed = jnp.zeros(2, jnp.uint32)
    grid = ((jnp.arange(2**23, dtype=jnp.uint32)).astype(jnp.float32) + 0.5) * (1.0 / 2**23)
    assert float(grid.min()) > 0.0 and float(grid.max()) < 1.0
    z = np.sqrt(2.0).astype(np.float32) * jax.lax.erf_inv(2.0 * grid - 1.0)
    assert np.isfinite(np.asarray(z)).all() and float(jnp.abs(z).max()) < 5.3
    u = noise._pixel_uniform(seed, (64, 64, 3))
    assert float(u.min()) > 0.0 and float(u.max()) < 1.0


@pytest.mark.parametrize("name", [op.name for op in FUSING] + ["gaussian_noise", "contrast", "saturation"])
def test_a_pixel_op_after_the_warp_is_its_twin_on_the_warped_image(name):
    # Fused into the warp's loop or run after it in memory, the result is the twin's on the
    # warped float image (float32, so no rounding hides a difference).
    op = ops.BY_NAME[name]
    images = jax.random.uniform(KEY, (3, 20, 24, 3), jnp.float32)
    piece = jp.chain(jp.rotation(25.0), jp.__dict__[name](**op.example))
    augment = jaxaug.Augmenter(piece)
    params = augment.sample(jax.random.key(5), images)
    out = jax.jit(augment)(jax.random.key(5), images)
    options = {k: v for k, v in op.example.items() if k in op.twin_options}
    _, expand = op.compact or (None, None)
    for i in range(3):
        p = jax.tree.map(lambda a, i=i: a[i], params)
        m = piece.matrix(p, images.shape[1:])
        warped = jaxaug.affine_warp(images[i], m)
        drawn = p[1] if expand is None else expand(p[1], images.shape[1:])
        expected = op.twin(warped, **drawn, **options)
        # The matrix built here eagerly and inside the compiled call may differ in a last bit,
        # which moves a sample point by about 1e-6 pixel (values in [0, 1] change by as much),
        # and fused code may round a multiply-add differently: far below one uint8 level.
        np.testing.assert_allclose(out[i], expected, atol=1e-5, err_msg=name)
