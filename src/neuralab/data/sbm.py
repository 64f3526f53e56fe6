"""Stochastic block models: random graphs whose edges depend on hidden classes, with or without
node features that carry class information.

- Stochastic block model (Holland, Laskey & Leinhardt, "Stochastic blockmodels: First steps",
  1983): ``n`` nodes in ``K`` equal classes; an edge joins two nodes of the same class with
  probability ``p_in`` and of different classes with ``p_out``. Node features are one-hot node
  identities, so only the structure carries the classes.
- Contextual SBM (Deshpande et al., "Contextual Stochastic Block Models", arXiv:1807.09596): the
  same graph plus Gaussian node features ``x_i = mu_{y_i} + eps_i``, ``eps_i ~ N(0, I_F)``, with
  class means ``mu_k`` of norm ``signal`` in random directions.

Both are parametrized by the expected degree ``d`` and the edge homophily ``h`` (the expected
fraction of a node's edges that stay in its class): ``p_in = h d K / n`` and
``p_out = (1 - h) d K / (n (K - 1))``. ``h`` near 1 is homophilic, ``h`` below ``1 / K``
heterophilic (most edges cross classes). A node classification split labels ``train_per_class``
nodes of each class for training and scores the rest (see :mod:`neuralab.data.dataset` for the
graph layout).
"""

from __future__ import annotations

import numpy as np
import torch

from neuralab.data.dataset import IGNORE_INDEX, DataSpec, Dataset
from neuralab.data.graph import pack_graph
from neuralab.registry import register
from neuralab.seed import numpy_rng


def block_model(rng: np.random.Generator, n_nodes: int, n_classes: int, degree: float,
                homophily: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels ``(n,)`` and a symmetric 0/1 adjacency ``(n, n)`` without self-loops."""
    if n_nodes < 2 * n_classes or n_classes < 2:
        raise ValueError(f"need n_classes >= 2 and n_nodes >= 2 * n_classes, got {n_nodes}, {n_classes}")
    if not 0.0 <= homophily <= 1.0 or degree <= 0:
        raise ValueError(f"need homophily in [0, 1] and degree > 0, got {homophily}, {degree}")
    labels = rng.permutation(np.arange(n_nodes) % n_classes)
    p_in = homophily * degree * n_classes / n_nodes
    p_out = (1 - homophily) * degree * n_classes / (n_nodes * (n_classes - 1))
    if max(p_in, p_out) > 1:
        raise ValueError(f"degree {degree} and homophily {homophily} need an edge probability > 1")
    same = labels[:, None] == labels[None, :]
    upper = np.triu(rng.random((n_nodes, n_nodes)) < np.where(same, p_in, p_out), k=1)
    return labels, (upper | upper.T).astype(np.float32)


def node_split(rng: np.random.Generator, labels: np.ndarray, n_classes: int,
               train_per_class: int) -> np.ndarray:
    """A boolean mask of ``train_per_class`` labelled training nodes per class."""
    train = np.zeros(len(labels), dtype=bool)
    for k in range(n_classes):
        nodes = np.flatnonzero(labels == k)
        if train_per_class >= len(nodes):
            raise ValueError(f"train_per_class ({train_per_class}) must leave test nodes in class {k}")
        train[rng.choice(nodes, train_per_class, replace=False)] = True
    return train


def node_classification(name: str, features: np.ndarray, adjacency: np.ndarray, labels: np.ndarray,
                        train: np.ndarray, n_classes: int, description: str) -> Dataset:
    """One graph: a training example with the training labels, a test example with the rest."""
    x = pack_graph(torch.as_tensor(features, dtype=torch.float32),
                   torch.as_tensor(adjacency, dtype=torch.float32)).unsqueeze(0)
    y = torch.as_tensor(labels, dtype=torch.int64)
    y_train = torch.where(torch.as_tensor(train), y, IGNORE_INDEX).unsqueeze(0)
    y_test = torch.where(torch.as_tensor(~train), y, IGNORE_INDEX).unsqueeze(0)
    spec = DataSpec("sequence", tuple(x.shape[1:]), n_classes, node_features=features.shape[1])
    return Dataset(name=name, spec=spec, x_train=x, y_train=y_train, x_test=x.clone(),
                   y_test=y_test, description=description,
                   classes=tuple(str(k) for k in range(n_classes)))


@register("dataset", "sbm", tags={"graph", "generated"},
          paper="Stochastic blockmodels: First steps")
def sbm(*, seed: int = 0, n_nodes: int = 200, n_classes: int = 2, degree: float = 5.0,
        homophily: float = 0.9, train_per_class: int = 10) -> Dataset:
    """Stochastic block model; one-hot node identities as features (structure only)."""
    rng = numpy_rng(seed)
    labels, adjacency = block_model(rng, n_nodes, n_classes, degree, homophily)
    train = node_split(rng, labels, n_classes, train_per_class)
    return node_classification("sbm", np.eye(n_nodes, dtype=np.float32), adjacency, labels, train,
                               n_classes, f"SBM, {n_nodes} nodes, degree {degree}, "
                               f"homophily {homophily}")


@register("dataset", "csbm", tags={"graph", "generated"}, paper="Contextual Stochastic Block Models",
          arxiv="1807.09596")
def csbm(*, seed: int = 0, n_nodes: int = 200, n_classes: int = 2, degree: float = 5.0,
         homophily: float = 0.9, n_features: int = 16, signal: float = 1.0,
         train_per_class: int = 10) -> Dataset:
    """Contextual SBM: a block model plus Gaussian features around per-class means."""
    if n_features < 1 or signal < 0:
        raise ValueError(f"need n_features >= 1 and signal >= 0, got {n_features}, {signal}")
    rng = numpy_rng(seed)
    labels, adjacency = block_model(rng, n_nodes, n_classes, degree, homophily)
    means = rng.standard_normal((n_classes, n_features))
    means *= signal / np.linalg.norm(means, axis=1, keepdims=True)
    features = means[labels] + rng.standard_normal((n_nodes, n_features))
    train = node_split(rng, labels, n_classes, train_per_class)
    return node_classification("csbm", features.astype(np.float32), adjacency, labels, train,
                               n_classes, f"contextual SBM, {n_nodes} nodes, degree {degree}, "
                               f"homophily {homophily}, signal {signal}")
