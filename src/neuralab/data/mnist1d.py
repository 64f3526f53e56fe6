"""MNIST-1D: ten 1-D digit templates, randomly padded, translated, scaled, sheared and noised.

Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D" (arXiv:2011.14439). Generated with
the reference generator of the ``mnist1d`` package (nothing is downloaded). The default arguments
give the paper's dataset: 5000 sequences of length 40, 4000 for training and 1000 for testing.
With ``shuffle_seq=True`` the 40 positions are permuted by one fixed permutation for every example,
which destroys spatial structure but keeps the information: the paper's test of spatial priors.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import seeded


@register(
    "dataset",
    "mnist1d",
    paper="Scaling Down Deep Learning with MNIST-1D",
    arxiv="2011.14439",
    tags={"classification", "generated"},
)
def mnist1d(
    *, seed: int = 42, num_samples: int = 5000, train_split: float = 0.8, shuffle_seq: bool = False
) -> Dataset:
    """MNIST-1D (10 classes, length-40 signals), from the package's generator."""
    from mnist1d.data import get_dataset_args, make_dataset

    if num_samples < 20:
        raise ValueError("num_samples must be at least 20")
    args = get_dataset_args()
    args.seed, args.num_samples, args.train_split, args.shuffle_seq = (
        seed, num_samples, train_split, shuffle_seq)
    with seeded(seed):  # the generator draws from numpy's global RNG; keep the caller's intact
        data = make_dataset(args)
    x, x_test = (torch.as_tensor(data[k], dtype=torch.float32) for k in ("x", "x_test"))
    y, y_test = (torch.as_tensor(data[k], dtype=torch.int64) for k in ("y", "y_test"))
    name = "mnist1d_shuffled" if shuffle_seq else "mnist1d"
    return Dataset(
        name=name,
        spec=DataSpec("classification", (x.shape[1],), 10),
        x_train=x, y_train=y, x_test=x_test, y_test=y_test,
        description="MNIST-1D" + (" with spatially shuffled positions" if shuffle_seq else ""),
        classes=tuple(str(i) for i in range(10)),
    )
