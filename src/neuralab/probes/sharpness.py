"""Adaptive sharpness: how much the loss can rise under a weight perturbation scaled by |w|.

With ``c = |w| + eta`` (element-wise; ``adaptive=False`` uses ``c = 1``) and radius ``rho``,

- worst case:  ``S_max = max_{||delta / c||_p <= rho} L(w + delta) - L(w)``
- average:     ``S_avg = E_{delta ~ N(0, rho^2 diag(c^2))} L(w + delta) - L(w)``

Scaling by ``|w|`` makes the measure invariant to the rescalings ``(a W_1, W_2 / a)`` that leave a
ReLU network's function unchanged (Kwon et al., ASAM). The worst case is found by projected gradient
ascent on ``u = delta / c`` inside the ``l_p`` ball (signed steps and clipping for ``p = inf``,
normalized steps and rescaling for ``p = 2``), keeping the best loss seen; it is a lower bound on
the true maximum, as in the paper (which uses Auto-PGD). Everything runs on
``torch.func.functional_call`` with perturbed copies: the model's weights are never touched.

Papers: Andriushchenko et al., "A Modern Look at the Relationship between Sharpness and
Generalization" (arXiv 2302.07011); Kwon et al., "ASAM: Adaptive Sharpness-Aware Minimization"
(arXiv 2102.11600).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import torch
from torch import nn
from torch.func import functional_call

from neuralab.data.batching import eval_batches
from neuralab.errors import NeuralabError
from neuralab.probes.hessian import Criterion, default_criterion, select_parameters
from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register
from neuralab.seed import generator as make_generator


def _mean_loss(model: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor,
               criterion: Criterion, batch_size: int) -> torch.Tensor:
    """The mean loss over ``(x, y)`` with the selected parameters replaced by ``params``."""
    n = x.shape[0]
    total = 0.0
    for sl in eval_batches(n, batch_size):
        out = functional_call(model, params, (x[sl],), strict=False)
        total = total + criterion(out, y[sl]) * ((sl.stop - sl.start) / n)
    return total  # type: ignore[return-value]


def adaptive_sharpness(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                       criterion: Criterion | None = None, *, rho: float = 0.01,
                       kind: Literal["worst", "average"] = "worst",
                       norm: Literal["linf", "l2"] = "linf", adaptive: bool = True,
                       eta: float = 0.0, steps: int = 20, samples: int = 20,
                       params: Iterable[str] | None = None, batch_size: int = 1024,
                       seed: int = 0) -> float:
    """``S_max`` or ``S_avg`` (see the module docstring) of the mean loss over ``(x, y)``."""
    if rho <= 0:
        raise NeuralabError(f"sharpness radius rho must be > 0, got {rho}")
    if kind not in ("worst", "average") or norm not in ("linf", "l2"):
        raise NeuralabError(f"sharpness kind must be worst|average and norm linf|l2, got {kind!r}, {norm!r}")
    criterion = criterion or default_criterion(y)
    chosen = {n: p.detach() for n, p in select_parameters(model, params).items()}
    scale = {n: (w.abs() + eta) if adaptive else torch.ones_like(w) for n, w in chosen.items()}
    g = make_generator(seed)

    def loss_at(u: dict[str, torch.Tensor]) -> torch.Tensor:
        moved = {n: w + scale[n] * u[n] for n, w in chosen.items()}
        return _mean_loss(model, moved, x, y, criterion, batch_size)

    with model_mode(model, False):
        with torch.no_grad():
            base = float(_mean_loss(model, chosen, x, y, criterion, batch_size))
        if kind == "average":
            with torch.no_grad():
                rises = [float(loss_at({n: rho * torch.randn(w.shape, generator=g).to(w)
                                        for n, w in chosen.items()})) - base for _ in range(samples)]
            return sum(rises) / len(rises)
        return _worst_case(loss_at, chosen, base, rho=rho, norm=norm, steps=steps, g=g)


def _worst_case(loss_at, chosen: dict[str, torch.Tensor], base: float, *, rho: float, norm: str,
                steps: int, g: torch.Generator) -> float:
    """Projected gradient ascent on ``u`` in the ``l_p`` ball of radius ``rho``; the best rise."""
    u = {n: rho * 1e-3 * torch.randn(w.shape, generator=g).to(w) for n, w in chosen.items()}
    first = rho if norm == "l2" else rho / 2  # a step that reaches the boundary at once,
    best = base                               # decayed linearly so the ascent can settle
    for t in range(steps):
        step = first * (1 - t / steps)
        for v in u.values():
            v.requires_grad_(True)
        loss = loss_at(u)
        best = max(best, float(loss.detach()))
        grads = torch.autograd.grad(loss, list(u.values()))
        with torch.no_grad():
            if norm == "linf":
                u = {n: (v + step * gr.sign()).clamp(-rho, rho) for (n, v), gr in zip(u.items(), grads)}
            else:
                gnorm = torch.sqrt(sum((gr ** 2).sum() for gr in grads)).clamp_min(1e-30)
                u = {n: v + step * gr / gnorm for (n, v), gr in zip(u.items(), grads)}
                unorm = torch.sqrt(sum((v ** 2).sum() for v in u.values()))
                if unorm > rho:
                    u = {n: v * (rho / unorm) for n, v in u.items()}
    with torch.no_grad():
        best = max(best, float(loss_at(u)))
    return best - base


@register("probe", "adaptive_sharpness",
          paper="A Modern Look at the Relationship between Sharpness and Generalization",
          arxiv="2302.07011")
def sharpness_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, *,
                    rho: float = 0.01, kind: Literal["worst", "average"] = "worst",
                    norm: Literal["linf", "l2"] = "linf", adaptive: bool = True, steps: int = 20,
                    samples: int = 20, batch_size: int = 1024, seed: int = 0) -> list[dict]:
    """Adaptive worst-case or average sharpness of the loss at radius rho."""
    if y is None:
        raise NeuralabError("the adaptive_sharpness probe needs targets y")
    value = adaptive_sharpness(model, x, y, rho=rho, kind=kind, norm=norm, adaptive=adaptive,
                               steps=steps, samples=samples, batch_size=batch_size, seed=seed)
    return [probe_record(f"sharpness_{kind}_{norm}", value)]
