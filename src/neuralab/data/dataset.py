"""The in-memory dataset every neuralab task is turned into.

All data is offline and small enough to live in tensors: a :class:`Dataset` holds fixed train and
test splits as tensors plus a :class:`DataSpec` that tells a model what it will see. Datasets are
registered under kind ``"dataset"``; their factories take keyword-only parameters (including the
data seed) and are deterministic in them. :func:`load_dataset` builds (and memoizes) one by name.

Tasks:
- ``classification``: ``y`` is ``(N,)`` int64 class ids.
- ``regression``: ``y`` is ``(N, D)`` float32 targets.
- ``sequence``: ``y`` is ``(N, T)`` int64 per-position targets; ``IGNORE_INDEX`` marks positions
  with no target (a character LM is a sequence task with ``y = x`` shifted by one).

Graphs are sequence tasks over nodes: an example is a whole graph of ``n`` nodes laid out
channel-first as ``(F + n, n)`` — column ``j`` holds node ``j``'s ``F`` features followed by its
row of the dense adjacency matrix (:mod:`neuralab.data.graph`) — and ``y`` is ``(N, n)`` per-node
labels, ``IGNORE_INDEX`` on unlabelled nodes. ``DataSpec.node_features = F`` marks the layout.
Node classification on one graph (transductive) is a dataset of one training example (the graph
with its training labels) and one test example (the same graph with its test labels).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import torch

from neuralab.errors import ConfigError, NeuralabError, oversized_as_config_error
from neuralab.registry import REGISTRY

Task = Literal["classification", "regression", "sequence"]
IGNORE_INDEX = -100


@dataclass(frozen=True)
class DataSpec:
    """What a model needs to know about its data.

    ``input_shape`` is per example: ``(40,)`` for MNIST-1D, ``(1, 8, 8)`` for digits, ``(T,)`` for
    token sequences. ``vocab_size`` is set when inputs are integer tokens. ``n_outputs`` is the
    number of classes (classification, sequence) or the target dimension (regression).
    ``node_features`` is set for graphs: inputs ``(node_features + n_nodes, n_nodes)``.
    """

    task: Task
    input_shape: tuple[int, ...]
    n_outputs: int
    vocab_size: int | None = None
    node_features: int | None = None

    @property
    def is_graph(self) -> bool:
        return self.node_features is not None

    @property
    def tokens(self) -> bool:
        return self.vocab_size is not None

    @property
    def n_inputs(self) -> int:
        n = 1
        for d in self.input_shape:
            n *= d
        return n


@dataclass(frozen=True, eq=False)
class Dataset:
    """Fixed train/test splits held as tensors, with a spec and a description."""

    name: str
    spec: DataSpec
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    description: str = ""
    classes: tuple[str, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for split, x, y in (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test)):
            if x.shape[0] != y.shape[0]:
                raise ValueError(f"{self.name}: {split} inputs and targets differ in length")
            if tuple(x.shape[1:]) != self.spec.input_shape:
                raise ValueError(f"{self.name}: {split} input shape {tuple(x.shape[1:])} "
                                 f"does not match spec {self.spec.input_shape}")

    @classmethod
    def from_arrays(cls, x_train: Any, y_train: Any, x_test: Any = None, y_test: Any = None,
                    **options: Any) -> Dataset:
        """Your own arrays or tensors as a Dataset: see :func:`neuralab.data.arrays.from_arrays`."""
        from neuralab.data.arrays import from_arrays

        return from_arrays(x_train, y_train, x_test, y_test, **options)

    @classmethod
    def from_torch(cls, dataset: Any, test: Any = None, **options: Any) -> Dataset:
        """A map-style torch Dataset, materialized: see :func:`neuralab.data.arrays.from_torch`."""
        from neuralab.data.arrays import from_torch

        return from_torch(dataset, test, **options)

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        if name == "train":
            return self.x_train, self.y_train
        if name == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {name!r} (known: train, test)")

    def card(self) -> dict[str, Any]:
        """A JSON-ready summary: sizes, shapes, classes, task."""
        card: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "task": self.spec.task,
            "train_size": int(self.x_train.shape[0]),
            "test_size": int(self.x_test.shape[0]),
            "input_shape": list(self.spec.input_shape),
            "input_dtype": str(self.x_train.dtype).removeprefix("torch."),
            "target_shape": list(self.y_train.shape[1:]),
            "n_outputs": self.spec.n_outputs,
            "vocab_size": self.spec.vocab_size,
            "node_features": self.spec.node_features,
            "params": self.params,
        }
        if self.spec.task == "classification":
            counts = torch.bincount(self.y_train, minlength=self.spec.n_outputs)
            card["classes"] = list(self.classes) if self.classes else list(range(self.spec.n_outputs))
            card["train_class_counts"] = counts.tolist()
        return card


def load_dataset(name: str, **params: Any) -> Dataset:
    """Build the registered dataset ``name`` with validated ``params`` (memoized per process)."""
    entry = REGISTRY.get("dataset", name)
    checked = entry.validate(params, where=f"data ({entry.name})")
    return _build(entry.name, json.dumps(checked, sort_keys=True))


@lru_cache(maxsize=16)
def _build(name: str, params_json: str) -> Dataset:
    params = json.loads(params_json)
    too_large = (f"dataset {name!r} with {params} does not fit in memory; choose smaller sizes "
                 "(n_train, n_test, ...)")  # e.g. n_train=10**12
    try:
        with oversized_as_config_error(too_large):
            dataset = REGISTRY.get("dataset", name).factory(**params)
    except ValueError as exc:
        if isinstance(exc, NeuralabError):
            raise
        raise ConfigError(f"dataset {name!r}: {exc}") from exc
    object.__setattr__(dataset, "params", params)
    for t in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        t.requires_grad_(False)
    return dataset


def split_indices(n: int, test_fraction: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random train/test split of ``range(n)``."""
    perm = torch.randperm(n, generator=generator)
    n_test = int(round(n * test_fraction))
    return perm[n_test:], perm[:n_test]
