"""B-spline bases on uniform grids, evaluated by the Cox-de Boor recursion.

de Boor, "A Practical Guide to Splines" (1978). For a grid of ``G`` intervals on ``[a, b]`` with
step ``h = (b - a) / G`` and spline order ``k``, the knots are ``t_j = a + (j - k) h`` for
``j = 0 .. G + 2k`` (``k`` extra knots on each side), and the ``G + k`` basis functions are::

    B_{j,0}(x) = 1 if t_j <= x < t_{j+1} else 0
    B_{j,p}(x) = (x - t_j) / (t_{j+p} - t_j) B_{j,p-1}(x)
               + (t_{j+p+1} - x) / (t_{j+p+1} - t_{j+1}) B_{j+1,p-1}(x)

On ``[a, b)`` the ``G + k`` functions of order ``k`` sum to one; outside ``[t_0, t_{G+2k})`` they
vanish. :func:`fit_coefficients` finds the coefficients of the spline nearest (least squares) to
given values, which is how a KAN moves its splines to a finer grid.
"""

from __future__ import annotations

import torch


def uniform_knots(grid_size: int, order: int, low: float, high: float, n: int) -> torch.Tensor:
    """The extended uniform knot vector, repeated for ``n`` inputs: ``(n, grid_size + 2 order + 1)``."""
    h = (high - low) / grid_size
    knots = low + h * torch.arange(-order, grid_size + order + 1, dtype=torch.float32)
    return knots.expand(n, -1).contiguous()


def bspline_basis(x: torch.Tensor, knots: torch.Tensor, order: int) -> torch.Tensor:
    """``B_{j,k}(x_i)`` for every input ``i``: ``x (..., n)``, ``knots (n, m)`` -> ``(..., n, m - 1 - k)``."""
    x = x.unsqueeze(-1)  # (..., n, 1)
    t = knots
    bases = ((x >= t[:, :-1]) & (x < t[:, 1:])).to(x.dtype)  # (..., n, m - 1): order 0
    for p in range(1, order + 1):
        left = (x - t[:, : -(p + 1)]) / (t[:, p:-1] - t[:, : -(p + 1)])
        right = (t[:, p + 1 :] - x) / (t[:, p + 1 :] - t[:, 1:-p])
        bases = left * bases[..., :-1] + right * bases[..., 1:]
    return bases


def fit_coefficients(x: torch.Tensor, values: torch.Tensor, knots: torch.Tensor,
                     order: int) -> torch.Tensor:
    """Least-squares spline coefficients through ``values`` at sample points ``x``.

    ``x``: ``(S, n)`` samples per input, ``values``: ``(S, n, out)`` -> coefficients
    ``(out, n, m - 1 - order)`` with ``sum_j c[o, i, j] B_j(x[s, i]) ~ values[s, i, o]``.
    """
    basis = bspline_basis(x, knots, order).transpose(0, 1)  # (n, S, J)
    target = values.transpose(0, 1)  # (n, S, out)
    coef = torch.linalg.lstsq(basis, target).solution  # (n, J, out)
    return coef.permute(2, 0, 1).contiguous()  # (out, n, J)
