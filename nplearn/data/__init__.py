"""Datasets as NumPy arrays: bundled digits, optional MNIST-5k, downloaded .npz files.

>>> from nplearn.data import load_dataset
>>> data = load_dataset("digits")
>>> data.n_features, data.n_classes
(64, 10)
"""
from .datasets import DATASET_NAMES, Dataset, load_dataset
from .files import data_home

__all__ = ["DATASET_NAMES", "Dataset", "data_home", "load_dataset"]
