"""The experiment of the mission: CIFAR-10, the tutorial's CNN in Flax NNX + Optax, augmented by jaxaug.

    python examples/cifar_flax.py --quick --data ../shared/data/cifar10-jpeg.zip
    python examples/cifar_flax.py --recipe best --data PATH

The program is `examples/cifar10/train.py` (with its modules beside it); this file runs it
unchanged, so both take the same flags and give the same results.
"""

import runpy
from pathlib import Path

if __name__ == "__main__":
    runpy.run_path(str(Path(__file__).resolve().parent / "cifar10" / "train.py"), run_name="__main__")
