"""Datasets as NumPy arrays: bundled digits, optional MNIST-5k, downloaded .npz files, and
your own data (an .npz file or arrays).

>>> from nplearn.data import load_dataset
>>> data = load_dataset("digits")
>>> data.n_features, data.n_classes
(64, 10)
"""
from .dataset import Dataset
from .datasets import DATASET_NAMES, load_dataset
from .files import data_home
from .user import from_arrays

__all__ = ["DATASET_NAMES", "Dataset", "data_home", "from_arrays", "load_dataset"]
