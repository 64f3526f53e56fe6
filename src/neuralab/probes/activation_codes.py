"""ReLU activation patterns as codes: how networks behave as hash encoders.

A ReLU network's input space is cut into linear regions, one per activation pattern: the binary
vector ``c(x) = [h_l(x) > 0]`` over every hidden unit of every layer. The paper's two properties:

- **determinism**: almost every region holds at most one training example — measured here as the
  share of examples whose code no other example in the set shares (``unique_code_fraction``);
- **categorization**: simple classifiers on the codes work — a k-nearest-neighbour classifier with
  Hamming distance (``sklearn.neighbors.KNeighborsClassifier``) and logistic regression
  (``sklearn.linear_model.LogisticRegression``) trained on train codes, scored on test codes.

Hidden units are read at the model's probe points (every point but ``head``); an output that is
positive exactly when the unit's pre-activation is positive (ReLU, leaky ReLU, GELU-like) gives the
pattern.

Paper: He, Lei, Ji & Tao, "Neural networks behave as hash encoders: An empirical study"
(arXiv 2101.05490).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def activation_codes(model: nn.Module, x: torch.Tensor, layers: list[str] | None = None,
                     batch_size: int = 1024) -> torch.Tensor:
    """``(B, hidden units)`` boolean activation patterns over the hidden probe points."""
    if layers is None:
        layers = [n for n in getattr(model, "probe_points", dict)() if n != "head"]
        if not layers:
            raise NeuralabError("the model has no hidden probe points; name layers= explicitly")
    chunks = []
    with torch.no_grad(), model_mode(model, False):
        for i in range(0, len(x), batch_size):
            with capture(model, layers) as acts:
                model(x[i:i + batch_size])
            chunks.append(torch.cat([acts[n].flatten(1) > 0 for n in layers], 1))
    return torch.cat(chunks)


def unique_code_fraction(codes: torch.Tensor) -> float:
    """The share of examples whose code no other example has (the paper's determinism)."""
    _, inverse, counts = torch.unique(codes, dim=0, return_inverse=True, return_counts=True)
    return float((counts[inverse] == 1).double().mean())


def region_count(codes: torch.Tensor) -> int:
    """The number of distinct codes (linear regions visited by the examples)."""
    return int(torch.unique(codes, dim=0).shape[0])


def knn_code_accuracy(train_codes: torch.Tensor, train_y: torch.Tensor, test_codes: torch.Tensor,
                      test_y: torch.Tensor, *, k: int = 1) -> float:
    """Test accuracy of a Hamming-distance k-NN classifier fitted on the train codes."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=k, metric="hamming", algorithm="brute")
    knn.fit(train_codes.numpy().astype(np.uint8), train_y.numpy())
    return float((knn.predict(test_codes.numpy().astype(np.uint8)) == test_y.numpy()).mean())


def logistic_code_accuracy(train_codes: torch.Tensor, train_y: torch.Tensor,
                           test_codes: torch.Tensor, test_y: torch.Tensor) -> float:
    """Test accuracy of logistic regression fitted on the train codes."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=2000).fit(train_codes.numpy().astype(np.float32), train_y.numpy())
    return float((clf.predict(test_codes.numpy().astype(np.float32)) == test_y.numpy()).mean())


@register("probe", "activation_codes",
          paper="Neural networks behave as hash encoders: An empirical study", arxiv="2101.05490")
def activation_codes_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                           layers: list[str] | None = None, k: int = 1) -> list[dict]:
    """Unique-code fraction and region count; with labels, k-NN on codes (first half -> second half)."""
    codes = activation_codes(model, x, layers)
    rows = [probe_record("unique_code_fraction", unique_code_fraction(codes)),
            probe_record("regions", region_count(codes)),
            probe_record("code_bits", codes.shape[1])]
    if y is not None and len(x) >= 4:
        half = len(x) // 2
        rows.append(probe_record("code_knn_accuracy",
                                 knn_code_accuracy(codes[:half], y[:half], codes[half:], y[half:], k=k)))
    return rows
