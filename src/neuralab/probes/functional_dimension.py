"""Functional dimension: the rank of the Jacobian of a network's outputs w.r.t. its parameters.

Over a batch of ``N`` inputs, ``J = d[f(x_1); ...; f(x_N)] / d theta`` is an ``(N K, P)`` matrix; its
rank is the number of independent directions in which the parameters move the function on those
inputs, a lower bound on the network's *functional dimension* that grows to it with ``N``. Each
hidden ReLU neuron has a positive scaling symmetry (``(a w_in, w_out / a)`` computes the same
function), so for a ReLU MLP the rank is at most ``P - (number of hidden neurons)``; parameters with
no other ("hidden") symmetries reach that bound.

Paper: Grigsby, Lindsey & Rolnick, "Hidden symmetries of ReLU networks" (arXiv 2306.06179).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.probes.ntk import jacobians
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def parameter_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The ``(N * K, P)`` Jacobian of all outputs on ``x`` w.r.t. all parameters."""
    jac = jacobians(model, x)
    n, k = next(iter(jac.values())).shape[:2]
    return torch.cat([j.reshape(n * k, -1) for j in jac.values()], 1)


def functional_dimension(model: nn.Module, x: torch.Tensor, *, rtol: float | None = None) -> int:
    """The numerical rank of the parameter Jacobian on ``x`` (double precision SVD)."""
    return int(torch.linalg.matrix_rank(parameter_jacobian(model, x).double(), rtol=rtol))


def scaling_bound(model: nn.Module) -> int:
    """``#parameters - #hidden neurons`` of an MLP (every ``nn.Linear`` but the last one is hidden)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    hidden = sum(m.out_features for m in linears[:-1])
    return sum(p.numel() for p in model.parameters()) - hidden


@register("probe", "functional_dimension", paper="Hidden symmetries of ReLU networks",
          arxiv="2306.06179")
def functional_dimension_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> list[dict]:
    """Jacobian rank on ``x``, the scaling-symmetry bound, and the parameter count."""
    return [probe_record("functional_dimension", functional_dimension(model, x)),
            probe_record("scaling_bound", scaling_bound(model)),
            probe_record("parameters", sum(p.numel() for p in model.parameters()))]
