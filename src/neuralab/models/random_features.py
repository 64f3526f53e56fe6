"""Random-feature regression: a fixed random ReLU layer and a linear read-out, fitted by ridge.

Rahimi & Recht's random features, in the setting of Simon, Karkada, Ghosh & Belkin, "More is
Better in Modern Machine Learning: when Infinite Overparameterization is Optimal and Overfitting
is Obligatory" (arXiv:2311.14646)::

    phi(x) = act(W x) / sqrt(N),   W_ij ~ N(0, 1 / d)   (fixed, N features)
    f(x)   = beta^T phi(x) + b

The read-out is trained like any model (``neuralab train --model random_features``: only the
head learns; ``W`` is a buffer), or fitted in closed form by ridge regression::

    beta(lambda) = argmin ||Phi beta - Y||^2 + lambda ||beta||^2
                 = (Phi^T Phi + lambda I)^-1 Phi^T Y  =  Phi^T (Phi Phi^T + lambda I)^-1 Y

:func:`ridge_path` evaluates a whole grid of ``lambda`` from one eigendecomposition of the
smaller Gram matrix (``N x N`` or ``n x n``), in float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import register, registered_name

ActivationName = registered_name("activation")


class RandomFeatures(Model):
    """``act(W x) / sqrt(N)`` with a fixed Gaussian ``W``, then a trainable linear head."""

    def __init__(self, spec: DataSpec, *, width: int, activation: str = "relu"):
        super().__init__()
        if spec.tokens:
            raise ValueError("random_features takes real-valued inputs, not tokens")
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        d = spec.n_inputs
        self.register_buffer("weight", torch.randn(width, d) / math.sqrt(d))
        self.act = make_activation(activation)
        self.head = nn.Linear(width, spec.n_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)                                                # (B, d)
        return self.act(x @ self.weight.T) / math.sqrt(self.weight.shape[0])  # (B, N)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)                                      # (B, N) -> (B, outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"features": self.act}


@register("model", "random_features", aliases=("rf",),
          paper="More is Better in Modern Machine Learning: when Infinite Overparameterization is "
                "Optimal and Overfitting is Obligatory", arxiv="2311.14646")
def random_features(spec: DataSpec, *, width: int = 1024,
                    activation: ActivationName = "relu") -> RandomFeatures:
    """Random features: a fixed Gaussian layer act(W x)/sqrt(N), a trained linear read-out."""
    return RandomFeatures(spec, width=width, activation=activation)


def ridge_path(phi: torch.Tensor, y: torch.Tensor, phi_test: torch.Tensor, y_test: torch.Tensor,
               lambdas: Sequence[float]) -> tuple[list[float], list[float]]:
    """Train and test mean squared errors of ridge regression ``Y ~ Phi beta`` for each lambda.

    ``phi`` (n, N), ``y`` (n, k), ``phi_test`` (m, N), ``y_test`` (m, k); no intercept (center
    the targets first). One eigendecomposition of ``Phi^T Phi`` (N <= n) or ``Phi Phi^T``
    (N > n) serves every lambda; errors are means over examples and outputs.
    """
    phi, y = phi.double(), y.double()
    phi_test, y_test = phi_test.double(), y_test.double()
    n, N = phi.shape
    if N <= n:  # primal: beta = V diag(1/(s+l)) V^T Phi^T Y
        s, V = torch.linalg.eigh(phi.T @ phi)            # (N,), (N, N)
        rhs = V.T @ (phi.T @ y)                          # (N, k)
        train_basis, test_basis = phi @ V, phi_test @ V  # (n, N), (m, N)
    else:  # dual: predictions K_* U diag(1/(s+l)) U^T Y
        s, U = torch.linalg.eigh(phi @ phi.T)            # (n,), (n, n)
        rhs = U.T @ y                                    # (n, k)
        train_basis, test_basis = U * s, phi_test @ (phi.T @ U)  # K U = U diag(s); (m, n)
    s = s.clamp_min(0.0)
    train, test = [], []
    for lam in lambdas:
        coef = rhs / (s + lam)[:, None]
        train.append(float((train_basis @ coef - y).pow(2).mean()))
        test.append(float((test_basis @ coef - y_test).pow(2).mean()))
    return train, test
