"""Offline datasets: generated, shipped inside a package, or built from files on the machine."""

from neuralab.data.batching import TensorBatcher
from neuralab.data.dataset import IGNORE_INDEX, DataSpec, Dataset, load_dataset

__all__ = ["IGNORE_INDEX", "DataSpec", "Dataset", "TensorBatcher", "load_dataset"]
