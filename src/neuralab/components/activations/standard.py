"""The standard activations, as torch implements them.

- ReLU: ``max(0, x)`` (Nair & Hinton, "Rectified Linear Units Improve Restricted Boltzmann
  Machines", 2010).
- Leaky ReLU: ``max(0, x) + a * min(0, x)`` (Maas et al., "Rectifier Nonlinearities Improve Neural
  Network Acoustic Models", 2013).
- GELU: ``x * Phi(x)`` (Hendrycks & Gimpel, "Gaussian Error Linear Units", arXiv:1606.08415).
- SiLU / Swish-1: ``x * sigmoid(x)`` (Elfwing et al., arXiv:1702.03118); Swish with a trainable
  ``beta`` is ``swish`` in :mod:`neuralab.components.activations.self_gated`.
- tanh, sigmoid, and the identity.
"""

from __future__ import annotations

from typing import Literal

from torch import nn

from neuralab.registry import register

SAFE = {"vmap_safe", "elementwise"}


@register("activation", "relu", tags=SAFE, gain="relu",
          paper="Rectified Linear Units Improve Restricted Boltzmann Machines")
def relu() -> nn.Module:
    """ReLU: max(0, x)."""
    return nn.ReLU()


@register("activation", "leaky_relu", tags=SAFE, gain="leaky_relu",
          paper="Rectifier Nonlinearities Improve Neural Network Acoustic Models")
def leaky_relu(*, negative_slope: float = 0.01) -> nn.Module:
    """Leaky ReLU: max(0, x) + a * min(0, x)."""
    return nn.LeakyReLU(negative_slope)


@register("activation", "gelu", tags=SAFE, gain="relu", paper="Gaussian Error Linear Units (GELUs)",
          arxiv="1606.08415")
def gelu(*, approximate: Literal["none", "tanh"] = "none") -> nn.Module:
    """GELU: x * Phi(x), Phi the standard normal CDF."""
    return nn.GELU(approximate=approximate)


@register("activation", "silu", tags=SAFE, gain="relu", aliases=("swish1",),
          paper="Sigmoid-Weighted Linear Units for Neural Network Function Approximation in "
          "Reinforcement Learning", arxiv="1702.03118")
def silu() -> nn.Module:
    """SiLU / Swish-1: x * sigmoid(x)."""
    return nn.SiLU()


@register("activation", "tanh", tags=SAFE, gain="tanh")
def tanh() -> nn.Module:
    """Hyperbolic tangent."""
    return nn.Tanh()


@register("activation", "sigmoid", tags=SAFE, gain="sigmoid")
def sigmoid() -> nn.Module:
    """Logistic sigmoid: 1 / (1 + exp(-x))."""
    return nn.Sigmoid()


@register("activation", "identity", tags=SAFE, gain="linear", aliases=("linear", "none"))
def identity() -> nn.Module:
    """The identity (a linear network)."""
    return nn.Identity()
