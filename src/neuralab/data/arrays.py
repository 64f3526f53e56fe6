"""Your own data as a :class:`~neuralab.data.Dataset`: arrays, tensors, or a torch Dataset.

    ds = nl.Dataset.from_arrays(x_train, y_train, x_test=x_test, y_test=y_test,
                                task="classification")            # numpy arrays or torch tensors
    ds = nl.Dataset.from_torch(torchvision_like_dataset)          # any map-style torch Dataset
    result = nl.train(config, data=ds, store=nl.RunStore())       # the run keeps a copy (data.npz)

Inputs become float32 tensors ``(N, ...)``; classification targets int64 class ids ``(N,)`` in
``[0, n_classes)`` (``n_classes`` defaults to the largest label + 1), regression targets float32
``(N, D)`` (a vector ``(N,)`` becomes ``(N, 1)``). Without a test set, a seeded random
``test_fraction`` of the training examples is held out (:func:`~neuralab.data.dataset.split_indices`).
Every check — matching lengths and shapes, numeric dtypes, finite values, labels in range, no
empty split — fails with a one-line :class:`~neuralab.errors.NeuralabError` naming the array.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch

from neuralab.data.dataset import DataSpec, Dataset, split_indices
from neuralab.errors import NeuralabError
from neuralab.seed import generator

OwnTask = Literal["classification", "regression"]
TASKS = ("classification", "regression")
MAX_BYTES = 4 * 2**30  # what from_torch materializes at most, unless told otherwise
NUMERIC = {torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
           torch.float16, torch.bfloat16, torch.float32, torch.float64}


def as_tensor(name: str, value: Any) -> torch.Tensor:
    """A numpy array, torch tensor or nested sequence as a CPU tensor; non-numeric is an error."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu()
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise NeuralabError(f"{name}: not an array ({exc})") from None
        if array.dtype == object or array.dtype.kind not in "biuf":
            raise NeuralabError(f"{name}: dtype {array.dtype} is not numeric; allowed: bool, "
                                "integer or floating-point arrays")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.dtype not in NUMERIC:
        raise NeuralabError(f"{name}: dtype {tensor.dtype} is not supported; allowed: bool, "
                            "integer or real floating-point")
    if tensor.ndim == 0 or tensor.shape[0] == 0:
        raise NeuralabError(f"{name}: no examples (shape {tuple(tensor.shape)})")
    if tensor.is_floating_point():
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            raise NeuralabError(f"{name}: {bad} non-finite value(s) (NaN or infinity); "
                                "drop or impute them first")
    return tensor


def _inputs(name: str, value: Any) -> torch.Tensor:
    x = as_tensor(name, value)
    if x.ndim == 1:
        raise NeuralabError(f"{name}: shape {tuple(x.shape)} has no feature axis; give (N, features) "
                            "(reshape(-1, 1) for one feature)")
    return x.to(torch.float32).contiguous()


def _targets(name: str, value: Any, task: str) -> torch.Tensor:
    y = as_tensor(name, value)
    if task == "regression":
        y = y.to(torch.float32)
        return (y.unsqueeze(1) if y.ndim == 1 else y.reshape(y.shape[0], -1)).contiguous()
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise NeuralabError(f"{name}: classification targets must be class ids of shape (N,), "
                            f"got {tuple(y.shape)}")
    if y.is_floating_point():
        if not bool((y == y.round()).all()):
            raise NeuralabError(f"{name}: classification targets must be integer class ids, got "
                                "fractional values (use task='regression' for real targets)")
    return y.to(torch.int64).contiguous()


def from_arrays(x_train: Any, y_train: Any, x_test: Any = None, y_test: Any = None, *,
                task: OwnTask = "classification", name: str = "arrays", n_classes: int | None = None,
                classes: Sequence[str] | None = None, test_fraction: float = 0.2, seed: int = 0,
                description: str = "", params: dict[str, Any] | None = None) -> Dataset:
    """A :class:`Dataset` from arrays or tensors (see the module docstring for the checks)."""
    if task not in TASKS:
        raise NeuralabError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if (x_test is None) != (y_test is None):
        raise NeuralabError("give both x_test and y_test, or neither (then a seeded "
                            f"{test_fraction:g} of the training examples is held out)")
    x, y = _inputs("x_train", x_train), _targets("y_train", y_train, task)
    if x.shape[0] != y.shape[0]:
        raise NeuralabError(f"x_train has {x.shape[0]} examples but y_train has {y.shape[0]}")
    if x_test is None:
        if not 0 < test_fraction < 1:
            raise NeuralabError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
        train_idx, test_idx = split_indices(x.shape[0], test_fraction, generator(seed))
        if len(train_idx) == 0 or len(test_idx) == 0:
            raise NeuralabError(f"{x.shape[0]} example(s) cannot be split into non-empty train and "
                                f"test sets with test_fraction={test_fraction:g}")
        x, xt, y, yt = x[train_idx], x[test_idx], y[train_idx], y[test_idx]
    else:
        xt, yt = _inputs("x_test", x_test), _targets("y_test", y_test, task)
        if xt.shape[0] != yt.shape[0]:
            raise NeuralabError(f"x_test has {xt.shape[0]} examples but y_test has {yt.shape[0]}")
        if xt.shape[1:] != x.shape[1:]:
            raise NeuralabError(f"x_test examples have shape {tuple(xt.shape[1:])} but x_train "
                                f"examples {tuple(x.shape[1:])}")
        if yt.shape[1:] != y.shape[1:]:
            raise NeuralabError(f"y_test targets have shape {tuple(yt.shape[1:])} but y_train "
                                f"targets {tuple(y.shape[1:])}")
    if task == "classification":
        n_outputs = _check_labels(y, yt, n_classes, classes)
    else:
        n_outputs = int(y.shape[1])
    spec = DataSpec(task, tuple(int(d) for d in x.shape[1:]), n_outputs)
    return Dataset(name, spec, x, y, xt, yt, description=description or
                   f"{task} on {x.shape[0] + xt.shape[0]} examples of shape {tuple(x.shape[1:])}",
                   classes=tuple(classes) if classes else None, params=dict(params or {}))


def _check_labels(y: torch.Tensor, yt: torch.Tensor, n_classes: int | None,
                  classes: Sequence[str] | None) -> int:
    if classes is not None:
        n_classes = len(classes) if n_classes is None else n_classes
        if n_classes != len(classes):
            raise NeuralabError(f"n_classes={n_classes} but {len(classes)} class names were given")
    low = int(min(y.min(), yt.min()))
    high = int(max(y.max(), yt.max()))
    if low < 0:
        raise NeuralabError(f"classification labels must be 0..n_classes-1; found {low}")
    n = high + 1 if n_classes is None else int(n_classes)
    if n < 2:
        raise NeuralabError(f"classification needs at least 2 classes, got {n}")
    if high >= n:
        raise NeuralabError(f"label {high} is out of range for n_classes={n} (labels 0..{n - 1})")
    return n


def from_torch(dataset: Any, test: Any = None, *, task: OwnTask = "classification",
               max_bytes: int = MAX_BYTES, **options: Any) -> Dataset:
    """Materialize a map-style ``torch.utils.data.Dataset`` (``len`` and ``[i] -> (x, y)``) into
    tensors, refusing one larger than ``max_bytes``; ``test`` is an optional second one. Other
    ``options`` go to :func:`from_arrays`."""
    x, y = _materialize("dataset", dataset, max_bytes)
    xt, yt = _materialize("test", test, max_bytes) if test is not None else (None, None)
    return from_arrays(x, y, xt, yt, task=task, **options)


def _materialize(name: str, dataset: Any, max_bytes: int) -> tuple[torch.Tensor, torch.Tensor]:
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        raise NeuralabError(f"{name}: not a map-style dataset (needs __len__ and __getitem__; "
                            "an IterableDataset cannot be sized)")
    n = len(dataset)
    if n == 0:
        raise NeuralabError(f"{name}: the dataset is empty")
    first = _pair(name, 0, dataset[0])
    per_example = sum(t.numel() * max(t.element_size(), 4) for t in first)
    if per_example * n > max_bytes:
        raise NeuralabError(f"{name}: {n} examples of {per_example} bytes would take "
                            f"{per_example * n / 2**30:.2f} GiB in memory, over max_bytes="
                            f"{max_bytes} ({max_bytes / 2**30:.2f} GiB); pass a larger max_bytes")
    pairs = [first] + [_pair(name, i, dataset[i]) for i in range(1, n)]
    try:
        return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
    except RuntimeError:
        shapes = sorted({tuple(p[0].shape) for p in pairs})[:3]
        raise NeuralabError(f"{name}: examples differ in shape ({shapes}); all must match") from None


def _pair(name: str, i: int, item: Any) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise NeuralabError(f"{name}[{i}]: expected an (input, target) pair, got "
                            f"{type(item).__name__}")
    return tuple(torch.as_tensor(np.asarray(v) if not isinstance(v, torch.Tensor) else v)
                 for v in item)  # type: ignore[return-value]
