"""Linear interpreters: a ReLU network on one input is exactly an affine map ``A(x) x + b(x)``.

Freezing every ReLU-like gate at its value on ``x`` (:func:`~neuralab.probes.hooks.frozen_gates`)
turns the network into the affine map it computes on ``x``'s linear region:

- ``A(x)``: the Jacobian of the frozen network (equal to ``df/dx`` at ``x``), ``(K, *input)``;
- ``b(x)``: the frozen network evaluated at the zero input — the contribution of every bias;
- ``f(x) = A(x) x + b(x)`` exactly, and ``A_c(x) * x`` are the per-input "votes" for class ``c``.

The *bias share* of a prediction is ``|b_c(x)| / (|A_c(x) x| + |b_c(x)|)`` for the predicted
class ``c``: how much of the winning logit the biases, not the input, account for. Exact for
networks whose non-linearities are ReLU, leaky ReLU or PReLU modules (max-pooling is not frozen).

Paper: Navarrete Michelini, Liu, Lu & Jiang, "A Tour of Convolutional Networks Guided by Linear
Interpreters" (arXiv 1908.05168).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import jacrev

from neuralab.probes.hooks import frozen_gates, model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def linear_interpreter(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(A (K, *input), b (K,))`` of the affine map ``model`` computes on one input ``x``."""
    x = x.detach().unsqueeze(0)
    with model_mode(model, False), frozen_gates(model, x):
        a = jacrev(lambda z: model(z).squeeze(0))(x).squeeze(1)  # (K, *input)
        with torch.no_grad():
            b = model(torch.zeros_like(x)).squeeze(0)  # (K,)
    return a.detach(), b


def bias_share(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``(B,)`` share of the predicted logit carried by the bias path ``b(x)``."""
    shares = []
    for xi in x:
        a, b = linear_interpreter(model, xi)
        linear = (a.flatten(1) @ xi.flatten())  # (K,)
        c = int((linear + b).argmax())
        shares.append(b[c].abs() / (linear[c].abs() + b[c].abs()).clamp_min(1e-12))
    return torch.stack(shares)


@register("probe", "linear_interpreter",
          paper="A Tour of Convolutional Networks Guided by Linear Interpreters", arxiv="1908.05168")
def linear_interpreter_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                             examples: int = 32) -> list[dict]:
    """Mean bias share of the winning logit, and the largest |A x + b - f(x)| (exactness check)."""
    x = x[:examples]
    with torch.no_grad(), model_mode(model, False):
        out = model(x)
    worst = 0.0
    for xi, fi in zip(x, out):
        a, b = linear_interpreter(model, xi)
        worst = max(worst, float((a.flatten(1) @ xi.flatten() + b - fi).abs().max()))
    return [probe_record("bias_share", float(bias_share(model, x).mean())),
            probe_record("affine_max_error", worst)]
