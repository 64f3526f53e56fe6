"""scikit-learn's handwritten digits: 1797 grey-scale 8x8 images of ten digits.

Shipped inside scikit-learn (the UCI optical digits test set), so it needs no download. Pixels are
scaled from 0..16 to 0..1 and images are shaped ``(1, 8, 8)`` for convolutional models.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import DataSpec, Dataset, split_indices
from neuralab.registry import register
from neuralab.seed import generator


@register("dataset", "digits", tags={"classification", "images"},
          paper="Optical Recognition of Handwritten Digits (UCI)")
def digits(*, seed: int = 0, test_fraction: float = 0.25) -> Dataset:
    """scikit-learn digits (10 classes, 1x8x8 images), a fixed seeded train/test split."""
    from sklearn.datasets import load_digits

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    bunch = load_digits()
    x = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.as_tensor(bunch.target, dtype=torch.int64)
    train, test = split_indices(len(y), test_fraction, generator(seed))
    return Dataset(
        name="digits",
        spec=DataSpec("classification", (1, 8, 8), 10),
        x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test],
        description="scikit-learn handwritten digits, 8x8 grey-scale",
        classes=tuple(str(i) for i in range(10)),
    )
