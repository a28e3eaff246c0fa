"""What an operation declares (`Op`, `Option`), and what is derived from one declaration.

An op file of `jaxaug/ops/` holds one `OP = Op(...)`. From it come the pipeline piece
(`jaxaug.pipeline.<name>`), its random function when the op file does not write one, the
`augmenter` options, the row of the docs' table, its gallery picture and the tests' cases.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from jaxaug import _pieces

__all__ = ["KINDS", "Op", "Option", "unless_none"]

# geometric: a matrix, composed into the one warp; pixel: on the warped image; policy: both, drawn per
# image; normalization: last; batch: mixes examples (no `augmenter` piece).
KINDS = ("geometric", "pixel", "policy", "normalization", "batch")


def unless_none(check: Callable[[Any, str], Any]) -> Callable[[Any, str], None]:
    """An `Option.check` for options whose off value is None: `check(value, name)` on any other value."""
    def checked(value, name):
        if value is not None:
            check(value, name)

    return checked


@dataclasses.dataclass(frozen=True)
class Option:
    """One `augmenter` option of an op.

    `arg` is the keyword of the piece it feeds (default: the option's own name). A `switch`
    turns its op on when it is not at its default's kind of "off"; other options only refine
    the op and are checked (with `check(value, name)`) even while it is off. `keras` marks
    Keras ImageDataGenerator's own options.
    """

    name: str
    default: Any
    doc: str
    arg: str | None = None
    switch: bool = True
    keras: bool = False
    check: Callable[[Any, str], Any] | None = None


@dataclasses.dataclass(frozen=True)
class Op:
    """One operation, declared once in its own file of `jaxaug/ops/`.

    Attributes:
      name: the op's name: its piece `jaxaug.pipeline.<name>`, the key of its params in an
        `augmenter`'s draw, and its file's name.
      title: how the docs name it.
      kind: one of `KINDS`.
      stage: its place in `augmenter`'s pipeline (ascending); any number between two others.
      units: parameters and units, one line for the docs' table.
      doc: one line saying what the piece does (its docstring's first line).
      sample, twin, random: `sample_<op>(key, shape, ...) -> params`, the deterministic twin
        (an image function; for geometric ops the twin on images) and `random_<op>`. A
        `random` left None is derived: the twin applied to the sampler's draw.
      matrix: for geometric ops, `(shape, **params) -> (3, 3)` centred pull matrix; an op with a
        `field` and no matrix gets the identity (the field alone moves the pixels).
      slot: the key slot of its `augmenter` options, fixed forever, so switching one option on
        or off never changes what the others draw. None: no option of its own.
      options: its `augmenter` options; drawn_by: for ops whose draw belongs to another op's
        options (rotation inside `affine`), those options.
      example: piece arguments that show the op: the gallery's picture and the tests' case.
      piece: the piece factory, when the generic one (sampler + matrix or twin) does not fit.
      twin_options: keyword options a piece passes to its twin unchanged (cutout's `value`).
      twin_static: `(**sampler options) -> dict` of static keywords the twin needs to serve every
        draw of those options in one program (the blurs' `max_size`: the largest kernel a range
        can draw); the piece and the random op pass them on.
      hsv: for ops that are an edit in HSV, its name in `jaxaug.hsv.hsv_edit`: consecutive
        ones share one round trip.
      axis_aligned: geometric ops whose matrices never rotate or shear (antialiasing needs it).
      field: for geometric ops with a dense part, `(shape, out_hw, **params, **options) -> (H', W', 2)`:
        the displacement (input pixels) the one warp adds per output pixel (see `jaxaug.dense`);
        `options` are the piece's own arguments (the sampler's), passed on statically.
      projective: geometric ops whose matrices are projective (a perspective): a pipeline that holds
        one warps with `projective=True` (see `jaxaug.warp`); one without keeps the affine warp.
      compact: (seed_<op>, expand_<op>) for a pixel op whose draw is per-pixel data (noise): the
        piece carries `seed_<op>(key, shape, ...)`'s few bytes per image and expands them with
        `expand_<op>(params, shape)` inside the pass that uses them, so that data never reaches
        memory; `expand(seed(key, shape, ...), shape)` equals `sample(key, shape, ...)` bit for bit.
      fuses_with_warp: a pixel op that runs inside the warp's loop: each output element reads only
        the same element of its input (no statistics, no other channel, no neighbour) and costs a
        few arithmetic operations. That loop gathers and is not vectorised on CPU, so a costly op
        (exp, log, erf_inv) there runs as scalar code: Gaussian noise cost 13x the warp fused
        and 2.3x in a loop of its own (32x224x224x3, Zen 4). When every pixel op of a pipeline
        fuses, the warped float image never reaches memory.
      sized: the op sets the output size (so it is no `jaxaug.keras` extra).
      pieces: further piece constructors `jaxaug.pipeline` exports with this op.
    """

    name: str
    title: str
    kind: str
    stage: float
    units: str
    doc: str = ""
    sample: Callable | None = None
    twin: Callable | None = None
    random: Callable | None = None
    matrix: Callable | None = None
    slot: int | None = None
    options: tuple[Option, ...] = ()
    drawn_by: tuple[str, ...] = ()
    example: dict = dataclasses.field(default_factory=dict)
    piece: Callable | None = None
    twin_options: tuple[str, ...] = ()
    twin_static: Callable[..., dict] | None = None
    hsv: str | None = None
    axis_aligned: bool = False
    projective: bool = False
    field: Callable | None = None
    compact: tuple[Callable, Callable] | None = None
    fuses_with_warp: bool = False
    sized: bool = False
    pieces: tuple[Callable, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Op {self.name}: kind must be one of {KINDS}. Received: kind={self.kind!r}")
        if self.matrix is None and self.field is not None:
            object.__setattr__(self, "matrix", _identity)
        if self.piece is None and self.kind in ("geometric", "pixel"):
            object.__setattr__(self, "piece", _generic_piece(self))
        if self.random is None and self.sample is not None and self.twin is not None and self.kind == "pixel":
            object.__setattr__(self, "random", _generic_random(self))

    @property
    def functions(self) -> tuple:
        """(sampler, twin, random op); None where the op has none."""
        return self.sample, self.twin, self.random

    def demo(self):
        """The piece of the gallery and the tests: `piece(**example)`."""
        return self.piece(**self.example)

    def caption(self) -> str:
        """`name(arg=value, ...)` for the example, as the gallery shows it."""
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.example.items())})"


def _identity(shape, **params):
    return jnp.eye(3, dtype=jnp.float32)


def _sampler_parameters(op: Op) -> list[inspect.Parameter]:
    return list(inspect.signature(op.sample).parameters.values())[2:]  # after (key, shape)


def _twin_parameters(op: Op) -> list[inspect.Parameter]:
    twin = inspect.signature(op.twin).parameters
    return [twin[name].replace(kind=inspect.Parameter.KEYWORD_ONLY) for name in op.twin_options]


def _split(op: Op, kwargs: dict) -> tuple[dict, dict]:
    """(the sampler's keyword arguments, the twin's options) of one call."""
    twin = {name: kwargs.pop(name) for name in op.twin_options if name in kwargs}
    return kwargs, twin


def _static(op: Op, signature: inspect.Signature, args, kwargs) -> dict:
    """The twin's static keywords for these sampler arguments (`Op.twin_static`), defaults included."""
    if op.twin_static is None:
        return {}
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return op.twin_static(**bound.arguments)


def _generic_piece(op: Op) -> Callable:
    def piece(*args, **kwargs):
        kwargs, twin = _split(op, dict(kwargs))
        # A wrong argument is named here, as for any function; the sampler takes them after (key, shape).
        drawn = signature.bind(*args, **kwargs).arguments
        if op.kind == "geometric":
            # The field sees every option of the draw, defaults included.
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            options = bound.arguments
            field = None if op.field is None else (lambda p, shape, out_hw: op.field(shape, out_hw, **p, **options))
            return _pieces.geometric(functools.partial(op.sample, **drawn), op.matrix, axis_aligned=op.axis_aligned,
                                     projective=op.projective, field=field)
        seed, expand = op.compact or (op.sample, None)
        return _pieces.pixel(functools.partial(seed, **drawn), op.twin, hsv=op.hsv, fuses_with_warp=op.fuses_with_warp,
                             expand=expand, **twin, **_static(op, signature, args, kwargs))

    signature = inspect.Signature(_sampler_parameters(op))
    full = inspect.Signature([*_sampler_parameters(op), *_twin_parameters(op)])
    return _named(piece, op.name, full, f"""{op.doc}

    The draw is `{_qualified(op.sample)}`'s; `jaxaug.ops.{op.name}` declares the op.

    Example:
      >>> piece = jaxaug.pipeline.{op.caption()}
      >>> out = jaxaug.Augmenter(piece)(jax.random.key(0), images)
      >>> out.shape, out.dtype
      ((4, 32, 32, 3), dtype('uint8'))
    """, "jaxaug.pipeline")


def _generic_random(op: Op) -> Callable:
    def random(key, image, *args, value_range=None, **kwargs):
        kwargs, twin = _split(op, dict(kwargs))
        params = op.sample(key, jnp.shape(image), *args, **kwargs)
        static = _static(op, inspect.Signature(_sampler_parameters(op)), args, kwargs)
        return op.twin(image, **params, value_range=value_range, **twin, **static)

    value_range = inspect.Parameter("value_range", inspect.Parameter.KEYWORD_ONLY, default=None)
    key_image = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("key", "image")]
    signature = inspect.Signature([*key_image, *_sampler_parameters(op), *_twin_parameters(op), value_range])
    drawn, options = _split(op, dict(op.example))
    arguments = ", ".join(f"{k}={v!r}" for k, v in op.example.items())
    sample_arguments = "".join(f", {k}={v!r}" for k, v in drawn.items())
    twin_arguments = "".join(f", {k}={v!r}" for k, v in options.items())
    static = op.twin_static(**{**_defaults(op), **drawn}) if op.twin_static is not None else {}
    static_arguments = "".join(f", {k}={v!r}" for k, v in static.items())
    title = f"Random {op.title}: `{op.twin.__name__}` applied to a draw of `{op.sample.__name__}`."
    return _named(random, "random_" + op.name, signature, f"""{title}

    {op.doc}

    Args:
      key: a `jax.random` key, the only source of randomness.
      image: (H, W, C) array; uint8 or floating.
      {", ".join(p.name for p in _sampler_parameters(op))}: the draw's ranges; see `{_qualified(op.sample)}`.
      value_range: (lo, hi) pixel range; default (0, 255) for uint8, (0, 1) for floats.

    Returns:
      Same shape and dtype as `image`.

    Example:
      >>> out = {op.sample.__module__}.random_{op.name}(jax.random.key(0), image, {arguments})
      >>> out.shape == image.shape and out.dtype == image.dtype
      True

      It is the twin applied to the sampler's draw from the same key:

      >>> params = {_qualified(op.sample)}(jax.random.key(0), image.shape{sample_arguments})
      >>> bool(jnp.all(out == {_qualified(op.twin)}(image, **params{twin_arguments}{static_arguments})))
      True
    """, op.sample.__module__)


def _defaults(op: Op) -> dict:
    return {p.name: p.default for p in _sampler_parameters(op) if p.default is not inspect.Parameter.empty}


def _qualified(fn) -> str:
    return f"{fn.__module__}.{fn.__name__}"


def _named(fn, name: str, signature: inspect.Signature, doc: str, module: str):
    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = signature
    fn.__doc__ = inspect.cleandoc(doc)
    fn.__module__ = module
    fn.__generated_from__ = "jaxaug.ops." + name.removeprefix("random_")  # its declaration (tests read it)
    return fn
