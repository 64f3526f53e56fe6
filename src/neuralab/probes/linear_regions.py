"""Linear regions of a piecewise-linear network along a line and on a 2-D slice of input space.

A ReLU network is affine on each region of constant activation pattern (the on/off state of every
hidden unit). Along the segment ``x(t) = x0 + t (x1 - x0)``, ``t in [0, 1]``, the pattern changes
at finitely many breakpoints; :func:`breakpoints_along_line` finds them by sampling ``points`` values
of ``t`` and bisecting every interval whose end patterns differ until it is shorter than ``tol``,
so breakpoints closer than the sampling step are still separated (two within ``tol`` count as one).
:func:`regions_on_plane` counts the distinct patterns on a ``resolution x resolution`` grid of the
slice ``x0 + u d1 + v d2``, ``u, v in [-1, 1]`` (a lower bound on the regions it cuts).

Papers: Hanin & Rolnick, "Complexity of Linear Regions in Deep Networks" (arXiv 1901.09021);
Hanin & Rolnick, "Deep ReLU Networks Have Surprisingly Few Activation Patterns"
(arXiv 1906.00904).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.activation_codes import activation_codes, region_count
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def _codes_at(model: nn.Module, x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor,
              layers: list[str] | None) -> torch.Tensor:
    points = x0.unsqueeze(0) + t.view(-1, *([1] * x0.dim())) * (x1 - x0).unsqueeze(0)
    dtype = next(model.parameters()).dtype
    return activation_codes(model, points.to(dtype), layers)


def breakpoints_along_line(model: nn.Module, x0: torch.Tensor, x1: torch.Tensor, *,
                           points: int = 1025, tol: float = 1e-6,
                           layers: list[str] | None = None) -> torch.Tensor:
    """The ``t`` in ``(0, 1)`` where the activation pattern changes along ``x0 -> x1`` (sorted)."""
    if x0.shape != x1.shape:
        raise NeuralabError(f"line ends differ in shape: {tuple(x0.shape)} and {tuple(x1.shape)}")
    t = torch.linspace(0, 1, points, dtype=torch.float64)
    x0, x1 = x0.double(), x1.double()
    codes = _codes_at(model, x0, x1, t, layers)
    changed = (codes[1:] != codes[:-1]).any(1).nonzero().flatten().tolist()
    found: list[float] = []
    stack = [(float(t[i]), float(t[i + 1]), codes[i], codes[i + 1]) for i in changed]
    while stack:
        lo, hi, c_lo, c_hi = stack.pop()
        if hi - lo <= tol:
            found.append((lo + hi) / 2)
            continue
        mid = (lo + hi) / 2
        c_mid = _codes_at(model, x0, x1, torch.tensor([mid], dtype=torch.float64), layers)[0]
        if (c_mid != c_lo).any():
            stack.append((lo, mid, c_lo, c_mid))
        if (c_mid != c_hi).any():
            stack.append((mid, hi, c_mid, c_hi))
    return torch.tensor(sorted(found), dtype=torch.float64)


def regions_along_line(model: nn.Module, x0: torch.Tensor, x1: torch.Tensor, **kw) -> int:
    """The number of linear regions the segment ``x0 -> x1`` crosses."""
    return len(breakpoints_along_line(model, x0, x1, **kw)) + 1


def regions_on_plane(model: nn.Module, x0: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor, *,
                     resolution: int = 128, layers: list[str] | None = None) -> int:
    """Distinct activation patterns on a grid over the slice ``x0 + u d1 + v d2``, ``|u|, |v| <= 1``."""
    g = torch.linspace(-1, 1, resolution)
    u, v = torch.meshgrid(g, g, indexing="ij")
    shape = [1] * x0.dim()
    points = (x0.unsqueeze(0) + u.reshape(-1, *shape) * d1.unsqueeze(0)
              + v.reshape(-1, *shape) * d2.unsqueeze(0))
    return region_count(activation_codes(model, points, layers))


@register("probe", "linear_regions", paper="Complexity of Linear Regions in Deep Networks",
          arxiv="1901.09021")
def linear_regions_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                         pairs: int = 8, points: int = 513, resolution: int = 64) -> list[dict]:
    """Regions crossed per unit length on segments between consecutive examples, and on the plane
    through the first three examples."""
    if len(x) < 3:
        raise NeuralabError("the linear_regions probe needs at least 3 examples")
    densities = []
    for i in range(min(pairs, len(x) - 1)):
        n = regions_along_line(model, x[i], x[i + 1], points=points)
        densities.append(n / float((x[i + 1] - x[i]).norm()))
    plane = regions_on_plane(model, x[0], x[1] - x[0], x[2] - x[0], resolution=resolution)
    return [probe_record("regions_per_unit_length", sum(densities) / len(densities)),
            probe_record("regions_on_plane", plane)]
