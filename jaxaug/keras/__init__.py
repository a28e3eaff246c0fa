"""Keras' `ImageDataGenerator`, computed by one jitted jaxaug pipeline per batch.

Change one import::

    from jaxaug.keras import ImageDataGenerator   # was: from keras.preprocessing.image import ...

and keep the rest of the code: the constructor options, `flow`, `flow_from_directory`,
`flow_from_dataframe`, `fit`, `get_random_transform`, `apply_transform`,
`random_transform` and `standardize` have Keras' names, defaults and semantics
(Keras 3 keeps the original at `keras/src/legacy/preprocessing/image.py`). Batches
come out as numpy arrays, or as jax arrays left on the device with `as_jax=True`.

What is different, on purpose:

* Every batch is ONE jitted call: each image's whole geometry is one matrix and one
  resampling pass, then the pixel ops, then the normalisation, on the accelerator when
  there is one.
* Randomness comes from explicit keys: example `i` of epoch `e` draws from
  `fold_in(fold_in(fold_in(key(seed), AUGMENT), e), i)`, and the epoch's shuffle from
  its own stream. The same `seed` gives the same batches on every run and machine,
  two generators with the same seed (images and masks) stay aligned, and a batch
  does not depend on the batch size. With `seed=None` a seed in [0, 2**32) is drawn
  from numpy's global generator (`np.random.randint`), as Keras draws its own
  augmentations from it: after `np.random.seed(0)` or `keras.utils.set_random_seed(0)`
  the same script gives the same batches, as with Keras' generator (`iterator.seed`
  tells which seed was drawn, to replay the run). Seeds are integers in [0, 2**32),
  numpy's seed range (larger ones would repeat smaller ones inside jax).
* Keras bugs that are fixed (each documented where it applies and tested against
  Keras): `width_shift_range` moves the picture horizontally and `height_shift_range`
  vertically (Keras 3 swaps them); non-square images turn about their true centre
  (Keras uses a transposed centre); `brightness_range` multiplies the pixel values and
  clips them to `value_range` (Keras rounds each image to uint8 through PIL first, which
  leaves only 0 and 1 of an image in [0, 1], and maps images with values outside 0..255
  to 0..255 and back around it); featurewise options without `fit` raise instead of warning and doing
  nothing.
* `fill_mode="wrap"` is periodic (scipy's "grid-wrap"); Keras passes "wrap" to scipy,
  whose "wrap" repeats the image with its edge pixels counted once.
* `interpolation_order` is 0 or 1 (Keras accepts scipy's spline orders up to 5).
* The pixel ops need the pixel range: `value_range=(0, 255)` by default, as Keras'
  `img_to_array` gives; pass `value_range=(0, 1)` (say) for other data.
* Bad arguments raise `TypeError`/`ValueError` naming the argument and the value, at
  construction, before any work, where Keras often accepts them and fails later (or
  never): flags must be bools; numbers must be real numbers, not strings or bools,
  and finite in float32, and ranges such that every draw is finite; sizes are pairs of
  positive integers; options that are off are checked too (`zca_epsilon`,
  `save_format`, ...); complex, string and object arrays are refused; an iterator with
  no examples fails when it is made; `save_to_dir` must be an existing folder that can
  be written (`PathNotFoundError`, a `FileNotFoundError`, when it is missing); a
  transform dict's zoom factors must be in (0, 2**24] and its brightness >= 0. Image
  *values* are data and not checked.

Extras by keyword: every `jaxaug.augmenter` option that Keras lacks (`jaxaug.ops.EXTRAS`,
listed in `docs/operations.md`), plus `seed` and `value_range`. Keras' own options mean what
`jaxaug.augmenter`'s options of the same names mean (`jaxaug.ops.OPTIONS`).

Example:
  >>> from jaxaug.keras import ImageDataGenerator
  >>> datagen = ImageDataGenerator(rotation_range=20, width_shift_range=0.2,
  ...                              height_shift_range=0.2, zoom_range=0.2, seed=0)
  >>> batches = datagen.flow(x_train, y_train, batch_size=128)  # endless, as Keras' iterators
  >>> x_batch, y_batch = next(batches)
  >>> x_batch.shape, x_batch.dtype, y_batch.shape  # all 4 examples of x_train fit in one batch
  ((4, 32, 32, 3), dtype('float32'), (4,))
"""

# The modules, by job: _generator (the generator and its option checks), _parameters (Keras'
# transform dicts), _compiled (key streams, jitted calls and their cache), _iterators (the
# threaded iterators; flow's), _file_iterators, _listing and _files (folders and dataframes read as
# Keras reads them), _arguments (shared checks). `layers` holds the Keras 3 layer and imports Keras,
# so it is not imported here.
from jaxaug.keras._file_iterators import DataFrameIterator, DirectoryIterator
from jaxaug.keras._generator import ImageDataGenerator
from jaxaug.keras._iterators import Iterator, NumpyArrayIterator

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator"]

# Their public home: reprs, pickles, the docs and the docstring tests name them here.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
