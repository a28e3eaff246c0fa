"""Data sets as numpy arrays, prepared with tensorflow-datasets without TensorFlow.

Modules (import them explicitly; each pulls in tensorflow_datasets):

- `jaxaug.data.cifar10`: CIFAR-10 from the official archives, a zip or a folder of images.
"""
