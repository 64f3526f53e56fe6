"""The neural tangent kernel: empirical (from Jacobians) and analytic for infinitely wide ReLU MLPs.

**Empirical NTK** of a network ``f(x; theta)`` with ``K`` outputs:
``Theta(x, x') = sum_p s_p (df(x)/dtheta_p) (df(x')/dtheta_p)^T`` — ``(N, M)`` after summing the
output diagonal (``outputs="trace"``) or ``(N, M, K, K)``. Jacobians come from ``torch.func``
(``jacrev`` of ``functional_call``, ``vmap`` over examples). The scales ``s_p`` (default 1) turn
a network written in the standard parametrization (``W ~ N(0, sigma_w^2 / fan_in)``) into the
NTK parametrization (``W = sqrt(sigma_w^2 / fan_in) * omega``, ``omega ~ N(0, 1)``) whose kernel has
an infinite-width limit: :func:`ntk_scales` gives ``s = sigma_w^2 / fan_in`` for weights and
``sigma_b^2`` for biases.

**Analytic NTK** of an ``L``-hidden-layer ReLU MLP in the NTK parametrization (Jacot et al.), with
the arc-cosine expectations of Cho & Saul: for ``(u, v) ~ N(0, [[a, c], [c, b]])``,
``rho = c / sqrt(ab)``, ``theta = arccos rho``,
``E[relu(u) relu(v)] = sqrt(ab) (sin theta + (pi - theta) cos theta) / (2 pi)`` and
``E[relu'(u) relu'(v)] = (pi - theta) / (2 pi)``. With ``Sigma^1 = sigma_w^2 x.x' / d + sigma_b^2``
and ``Theta^1 = Sigma^1``, for each layer ``Sigma^{l+1} = sigma_w^2 E[relu relu] + sigma_b^2``,
``Theta^{l+1} = Sigma^{l+1} + sigma_w^2 E[relu' relu'] Theta^l``; the kernel is ``Theta^{L+1}``.

Papers: Jacot, Gabriel & Hongler, "Neural Tangent Kernel: Convergence and Generalization in Neural
Networks" (arXiv 1806.07572); Cho & Saul, "Kernel Methods for Deep Learning" (NeurIPS 2009);
Fort et al., "Deep learning versus kernel learning" (arXiv 2010.15110) for the kernel distance.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def ntk_scales(model: nn.Module, sigma_w2: float = 2.0, sigma_b2: float = 0.0,
               last_sigma_w2: float | None = None) -> dict[str, float]:
    """Per-parameter scales ``sigma_w^2 / fan_in`` (weights) and ``sigma_b^2`` (biases) of every
    ``nn.Linear``; the last linear layer uses ``last_sigma_w2`` (default ``sigma_w2``)."""
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    scales = {}
    for i, (name, m) in enumerate(linears):
        s2 = last_sigma_w2 if (i == len(linears) - 1 and last_sigma_w2 is not None) else sigma_w2
        prefix = f"{name}." if name else ""
        scales[prefix + "weight"] = s2 / m.in_features
        if m.bias is not None:
            scales[prefix + "bias"] = sigma_b2
    return scales


def jacobians(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """``{parameter: (N, K, *shape)}`` Jacobians of the ``K`` outputs for each example."""
    params = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach() for n, b in model.named_buffers()}

    def single(p, xi):
        return functional_call(model, {**p, **buffers}, (xi.unsqueeze(0),)).reshape(-1)

    with model_mode(model, False):
        return vmap(jacrev(single), in_dims=(None, 0))(params, x)


def empirical_ntk(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None, *,
                  scales: dict[str, float] | None = None,
                  outputs: Literal["trace", "full"] = "trace") -> torch.Tensor:
    """``(N, M)`` (or ``(N, M, K, K)``) empirical NTK between ``x1`` and ``x2`` (default ``x1``)."""
    j1 = jacobians(model, x1)
    j2 = j1 if x2 is None else jacobians(model, x2)
    total = None
    for name, a in j1.items():
        s = 1.0 if scales is None else scales.get(name, 0.0)
        if s == 0.0:
            continue
        a, b = a.flatten(2), j2[name].flatten(2)  # (N, K, P), (M, K, P)
        term = s * (torch.einsum("nkp,mkp->nm", a, b) if outputs == "trace"
                    else torch.einsum("nkp,mlp->nmkl", a, b))
        total = term if total is None else total + term
    if total is None:
        raise NeuralabError("no parameter has a non-zero NTK scale")
    return total


def _arccos_moments(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    norm = torch.sqrt(a * b).clamp_min(1e-300)
    theta = torch.arccos((c / norm).clamp(-1.0, 1.0))
    e_relu = norm * (torch.sin(theta) + (math.pi - theta) * torch.cos(theta)) / (2 * math.pi)
    e_step = (math.pi - theta) / (2 * math.pi)
    return e_relu, e_step


def relu_ntk(x1: torch.Tensor, x2: torch.Tensor | None = None, *, depth: int = 1,
             sigma_w2: float = 2.0, sigma_b2: float = 0.0,
             last_sigma_w2: float | None = None) -> torch.Tensor:
    """The ``(N, M)`` infinite-width NTK of a ReLU MLP with ``depth`` hidden layers (see above)."""
    if depth < 1:
        raise NeuralabError(f"relu_ntk needs depth >= 1, got {depth}")
    x1 = x1.double().flatten(1)
    x2 = x1 if x2 is None else x2.double().flatten(1)
    d = x1.shape[1]
    cross = sigma_w2 * x1 @ x2.T / d + sigma_b2
    diag1 = sigma_w2 * (x1 * x1).sum(1) / d + sigma_b2
    diag2 = sigma_w2 * (x2 * x2).sum(1) / d + sigma_b2
    theta = cross
    for layer in range(depth):
        s2 = last_sigma_w2 if (layer == depth - 1 and last_sigma_w2 is not None) else sigma_w2
        e_cross, e_step = _arccos_moments(diag1[:, None], diag2[None, :], cross)
        e1, _ = _arccos_moments(diag1, diag1, diag1)
        e2, _ = _arccos_moments(diag2, diag2, diag2)
        cross = s2 * e_cross + sigma_b2
        diag1, diag2 = s2 * e1 + sigma_b2, s2 * e2 + sigma_b2
        theta = cross + s2 * e_step * theta
    return theta


def kernel_distance(k1: torch.Tensor, k2: torch.Tensor) -> float:
    """``1 - <K1, K2>_F / (||K1|| ||K2||)``: 0 for kernels equal up to scale (Fort et al.)."""
    k1, k2 = k1.double().flatten(), k2.double().flatten()
    return float(1 - (k1 @ k2) / (k1.norm() * k2.norm()).clamp_min(1e-300))


@register("probe", "empirical_ntk",
          paper="Neural Tangent Kernel: Convergence and Generalization in Neural Networks",
          arxiv="1806.07572")
def ntk_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
              other: nn.Module | None = None, examples: int = 64) -> list[dict]:
    """Trace, condition number and top-eigenvalue share of the empirical NTK on ``examples``
    inputs; with ``other`` (e.g. the same network at initialization), the kernel distance."""
    x = x[:examples]
    k = empirical_ntk(model, x).double()
    eig = torch.linalg.eigvalsh(k)
    rows = [probe_record("ntk_trace", float(eig.sum())),
            probe_record("ntk_condition", float(eig[-1] / eig[0].clamp_min(1e-300))),
            probe_record("ntk_top_eigenvalue_share", float(eig[-1] / eig.sum()))]
    if other is not None:
        rows.append(probe_record("ntk_kernel_distance", kernel_distance(k, empirical_ntk(other, x))))
    return rows
