"""Critical initialization and the statistics of preactivations over random initializations.

Roberts, Yaida & Hanin, "The Principles of Deep Learning Theory" (arXiv:2106.10165), chapters 4-5.
An MLP with ``z^(1) = b^(1) + W^(1) x`` and ``z^(l+1) = b^(l+1) + W^(l+1) act(z^(l))``, weights
``W_ij ~ N(0, C_W / n_(l-1))`` and biases ``b_i ~ N(0, C_b)``, propagates the kernel (the
preactivation second moment over initializations) by the recursion

    K^(l+1) = C_b + C_W * E_{z ~ N(0, K^(l))}[act(z)^2]        (infinite width)

Criticality is the choice of ``(C_b, C_W)`` that makes this map marginal at its fixed point, so
that the kernel neither explodes nor vanishes exponentially with depth:

- scale-invariant activations (ReLU, leaky ReLU with slope ``a``): ``C_b = 0``,
  ``C_W = 2 / (1 + a^2)`` (``2`` for ReLU); then ``K^(l)`` is exactly constant in ``l``;
- the ``K* = 0`` universality class (tanh, sin): ``C_b = 0``, ``C_W = 1``;
- linear networks: ``C_b = 0``, ``C_W = 1``.

At finite width ``n`` the preactivation distribution over initializations is not Gaussian: its
connected four-point function grows with depth, so a unit's excess kurtosis is of order ``L / n``
(the depth-to-width aspect ratio). :func:`preactivation_ensemble` samples many random networks at
once to measure both effects.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.registry import REGISTRY, register

_K_STAR_ZERO = ("tanh",)


def critical_constants(activation: str) -> tuple[float, float]:
    """``(C_W, C_b)`` at criticality for the registered ``activation`` (at its default settings)."""
    name = REGISTRY.get("activation", activation).name
    if name == "relu":
        return 2.0, 0.0
    if name == "leaky_relu":
        slope = REGISTRY.create("activation", name).negative_slope
        return 2.0 / (1.0 + slope**2), 0.0
    if name in _K_STAR_ZERO or name == "identity":
        return 1.0, 0.0
    raise NeuralabError(f"no known critical initialization for activation {name!r}; "
                        "known: relu, leaky_relu, tanh, identity")


@register("init", "critical", paper="The Principles of Deep Learning Theory", arxiv="2106.10165")
def critical(module: nn.Module, *, gain: float = math.sqrt(2.0), activation: str | None = None,
             c_w: float | None = None, c_b: float | None = None) -> None:
    """Critical init: W ~ N(0, C_W / fan_in), b ~ N(0, C_b), (C_W, C_b) critical for the activation."""
    from neuralab.components.init import bias_tensors, fans, weight_tensors

    if activation is not None:
        crit_w, crit_b = critical_constants(activation)
    else:
        crit_w, crit_b = gain**2, 0.0
    c_w = crit_w if c_w is None else c_w
    c_b = crit_b if c_b is None else c_b
    with torch.no_grad():
        for w in weight_tensors(module):
            nn.init.normal_(w, 0.0, math.sqrt(c_w / fans(w)[0]))
        for b in bias_tensors(module):
            nn.init.normal_(b, 0.0, math.sqrt(c_b)) if c_b > 0 else b.zero_()


def preactivation_ensemble(x: torch.Tensor, width: int, depth: int, activation: str, *,
                           c_w: float, c_b: float = 0.0, n_networks: int = 1000,
                           generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """Preactivations of ``n_networks`` random MLPs at initialization, all fed the inputs ``x``.

    ``x`` is ``(P, n_0)``; returns ``depth`` tensors ``z^(l)`` of shape ``(n_networks, P, width)``
    for ``l = 1..depth``, with ``W ~ N(0, C_W / fan_in)`` and ``b ~ N(0, C_b)`` drawn
    independently per network. The networks are evaluated together with batched matrix products.
    """
    act = REGISTRY.create("activation", activation)
    M, (P, n_in) = n_networks, x.shape
    h = x.expand(M, P, n_in)
    out = []
    for _ in range(depth):
        fan_in = h.shape[-1]
        w = torch.randn(M, fan_in, width, generator=generator, dtype=x.dtype) * math.sqrt(c_w / fan_in)
        z = torch.bmm(h, w)  # (M, P, width)
        if c_b > 0:
            z = z + torch.randn(M, 1, width, generator=generator, dtype=x.dtype) * math.sqrt(c_b)
        out.append(z)
        h = act(z)
    return out


def layer_kernel(z: torch.Tensor) -> float:
    """The kernel ``K = E[z^2]`` of one layer's preactivations ``(networks, P, width)``."""
    return float(z.square().mean())


def excess_kurtosis(z: torch.Tensor) -> float:
    """Excess kurtosis over initializations, ``E[z^4] / E[z^2]^2 - 3``, averaged over units.

    Moments are taken over the network dimension for each (input, unit) and then averaged; it is
    0 for Gaussian preactivations (infinite width).
    """
    m2 = z.square().mean(0)
    m4 = z.pow(4).mean(0)
    return float((m4 / m2.square()).mean() - 3.0)
