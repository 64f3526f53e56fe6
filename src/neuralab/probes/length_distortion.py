"""Length distortion: how much a network stretches a curve drawn through its input space.

Hanin, Jeong & Rolnick, "Deep ReLU Networks Preserve Expected Length" (arXiv:2102.10492). For a
curve ``M`` in input space and a network ``N``::

    distortion(N, M) = length(N(M)) / length(M)

Lengths are measured on a fine discretization ``x_0, ..., x_K`` of the curve:
``length = sum_k ||x_{k+1} - x_k||``. For a ReLU network (piecewise linear) this is exact as soon as
every linear piece the curve crosses holds a few points, and otherwise a lower bound. The paper
proves that at standard (He) initialization the *expected* distortion does not grow with depth;
it shrinks slightly, roughly like ``sqrt(n_out / n_in) * exp(-c * depth / width)``.

:func:`length_distortion` measures one model on a batch of curves; :func:`great_circle` draws a
random closed test curve; the probe ``length_distortion`` (kind ``"probe"``) reads the examples
``x`` as one curve in order and returns a tidy record (``run_probe("length_distortion", model,
curve)`` labels it).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def curve_length(points: torch.Tensor) -> torch.Tensor:
    """Polygonal length of curves given as ordered points: ``(..., K+1, D) -> (...)``."""
    return (points[..., 1:, :] - points[..., :-1, :]).norm(dim=-1).sum(dim=-1)


def great_circle(dim: int, n_points: int = 1000, *, radius: float = 1.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """A circle of ``radius`` about the origin in a random 2-D plane of R^dim: ``(n_points + 1, dim)``.

    The last point repeats the first, so the polygon is closed; its length tends to
    ``2 pi radius`` as ``n_points`` grows.
    """
    if dim < 2 or n_points < 3:
        raise ValueError(f"need dim >= 2 and n_points >= 3, got dim={dim}, n_points={n_points}")
    basis, _ = torch.linalg.qr(torch.randn(dim, 2, generator=generator))  # (dim, 2), orthonormal
    theta = torch.linspace(0.0, 2.0 * math.pi, n_points + 1)
    plane = torch.stack([theta.cos(), theta.sin()], dim=-1)  # (n_points + 1, 2)
    return radius * plane @ basis.T  # (n_points + 1, dim)


@torch.no_grad()
def length_distortion(model: nn.Module, curves: torch.Tensor) -> torch.Tensor:
    """``length(model(curve)) / length(curve)`` for each curve.

    ``curves`` is ``(K+1, D)`` (one curve, returns a scalar tensor) or ``(C, K+1, D)``. The model is
    evaluated in eval mode, and its mode is restored afterwards.
    """
    if curves.dim() not in (2, 3):
        raise ValueError(f"curves must be (points, dim) or (curves, points, dim), got {tuple(curves.shape)}")
    with model_mode(model, training=False):
        flat = curves.reshape(-1, curves.shape[-1])  # (C * (K+1), D)
        out = model(flat).reshape(*curves.shape[:-1], -1)  # (..., K+1, D_out)
    return curve_length(out) / curve_length(curves)


@register("probe", "length_distortion", paper="Deep ReLU Networks Preserve Expected Length",
          arxiv="2102.10492")
def length_distortion_probe(model: nn.Module, x: torch.Tensor, y: Any = None) -> list[dict[str, Any]]:
    """Length distortion of the curve through the examples ``x`` (taken in order)."""
    return [probe_record("length_distortion", float(length_distortion(model, x)))]
