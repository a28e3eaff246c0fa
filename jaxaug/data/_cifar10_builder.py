"""The tensorflow-datasets builder that prepares CIFAR-10 as array_record without TensorFlow.

tfds can write `array_record` with no TensorFlow installed as long as every image it is
given is already encoded (PNG/JPEG bytes); `_cifar10_sources` makes sure of that. The class
lives in a package folder because tfds inspects its module's directory.

One builder config per source: its name is `src_` + 16 hex digits of the source's
fingerprint, so two different sources (official archive, a zip of JPEGs, a test fake) never
share a prepared copy, and the same source is prepared once. What the source was is stored
in the prepared dataset's metadata (`metadata.json`), so a later load can report it.
"""

from __future__ import annotations

import tensorflow_datasets as tfds

from jaxaug.data import _cifar10_sources as sources

VERSION = "1.0.0"


def config_name(fingerprint: str) -> str:
    return "src_" + fingerprint[:16]


class JaxaugCifar10(tfds.core.GeneratorBasedBuilder):
    """CIFAR-10 from a local source; examples keep the source's order (no tfds shuffling)."""

    VERSION = tfds.core.Version(VERSION)
    RELEASE_NOTES = {str(VERSION): "Images as encoded bytes: PNG from the official archives, as stored otherwise."}

    def __init__(self, *, source: sources.Source, fingerprint: str, final_dir: str | None = None, **kwargs):
        """`source` is open for the whole preparation, read once for all splits (a .tar.gz cannot
        seek back cheaply); `fingerprint` names the config; `final_dir` is where the caller moves
        the prepared copy when complete (named in the messages instead of the temporary folder)."""
        self._source = source
        self._final_dir = final_dir
        config = tfds.core.BuilderConfig(name=config_name(fingerprint), description=f"CIFAR-10 from {source.tree.path}")
        super().__init__(config=config, file_format="array_record", **kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(sources.SIDE, sources.SIDE, 3)),
                "label": tfds.features.ClassLabel(names=sources.CLASS_NAMES),
            }),
            supervised_keys=("image", "label"),
            disable_shuffling=True,  # keep the official order (and file order for class folders)
            homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
            metadata=tfds.core.MetadataDict(),
        )

    # tfds' own messages would name the temporary folder the copy is built in.
    def _log_download_bytes(self) -> None:
        print(f"Preparing {self._source.tree.path} ({self._source.kind}) as array_record in "
              f"{self._final_dir or self.data_dir} (once)...", flush=True)

    def _log_download_done(self) -> None:
        pass

    def _split_generators(self, dl_manager):
        del dl_manager  # the source is local; downloading is cifar10.load's job
        src = self._source
        self.info.metadata.update(
            path=src.tree.path, layout=src.layout, kind=src.kind, official_order=src.official_order
        )
        return {split: self._generate_examples(split) for split in sources.SPLITS}

    def _generate_examples(self, split):
        yield from self._source.examples(split)
