"""Neural ODE blocks: ``dh/dt = f(t, h)`` integrated by fixed-step Runge-Kutta, with adjoint gradients.

Chen, Rubanova, Bettencourt & Duvenaud, "Neural Ordinary Differential Equations"
(arXiv:1806.07366). A block maps ``h(0)`` to ``h(T)`` by integrating a learned vector field ``f``
(an ``nn.Module`` called as ``f(t, h)``) with ``steps`` steps of the classical fourth-order
Runge-Kutta method (or Euler's, which makes the block a weight-tied ResNet)::

    k1 = f(t, h), k2 = f(t + dt/2, h + dt k1/2), k3 = f(t + dt/2, h + dt k2/2), k4 = f(t + dt, h + dt k3)
    h <- h + dt (k1 + 2 k2 + 2 k3 + k4) / 6

Gradients either backpropagate through the solver's operations (memory grows with ``steps``) or,
with ``adjoint=True``, come from the adjoint method (constant memory): with ``a(t) = dL/dh(t)``,
integrate backwards from ``T`` to ``0``::

    dh/dt = f(t, h),   da/dt = -a^T df/dh,   d(a_theta)/dt = -a^T df/dtheta,   a_theta(T) = 0

and read ``dL/dh(0) = a(0)``, ``dL/dtheta = a_theta(0)``. The two agree up to the discretization
error (``O(dt^4)`` for RK4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

Method = Literal["rk4", "euler"]
Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def step(f: Field, t: torch.Tensor, h: torch.Tensor, dt: float, method: Method) -> torch.Tensor:
    """One explicit step of ``method`` from ``(t, h)``."""
    if method == "euler":
        return h + dt * f(t, h)
    k1 = f(t, h)
    k2 = f(t + dt / 2, h + dt / 2 * k1)
    k3 = f(t + dt / 2, h + dt / 2 * k2)
    k4 = f(t + dt, h + dt * k3)
    return h + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def odeint(f: Field, h0: torch.Tensor, t0: float, t1: float, steps: int,
           method: Method = "rk4") -> torch.Tensor:
    """``h(t1)`` from ``h(t0) = h0`` in ``steps`` equal steps (``t1 < t0`` integrates backwards)."""
    dt = (t1 - t0) / steps
    h = h0
    for k in range(steps):
        h = step(f, torch.tensor(t0 + k * dt, dtype=h0.dtype), h, dt, method)
    return h


class _Adjoint(torch.autograd.Function):
    """Forward: integrate without a graph. Backward: integrate the adjoint system from t1 to t0."""

    @staticmethod
    def forward(ctx, h0, func, t1, steps, method, *params):  # noqa: D102
        with torch.no_grad():
            h1 = odeint(func, h0, 0.0, t1, steps, method)
        ctx.func, ctx.t1, ctx.steps, ctx.method = func, t1, steps, method
        ctx.save_for_backward(h1, *params)
        return h1

    @staticmethod
    def backward(ctx, grad_h1):  # noqa: D102
        h1, *params = ctx.saved_tensors
        func, n = ctx.func, h1.numel()
        shapes = [p.shape for p in params]

        def augmented(t, state):
            h = state[:n].view_as(h1)
            a = state[n: 2 * n].view_as(h1)
            with torch.enable_grad():
                h = h.detach().requires_grad_(True)
                fh = func(t, h)
                grads = torch.autograd.grad(fh, (h, *params), a, allow_unused=True)
            a_h = grads[0]
            a_p = [torch.zeros(s, dtype=h1.dtype) if g is None else g for g, s in zip(grads[1:], shapes)]
            return torch.cat([fh.detach().flatten(), -a_h.flatten(), *[-g.flatten() for g in a_p]])

        state = torch.cat([h1.flatten(), grad_h1.flatten(),
                           *[torch.zeros(s, dtype=h1.dtype).flatten() for s in shapes]])
        state = odeint(augmented, state, ctx.t1, 0.0, ctx.steps, ctx.method)
        grad_h0 = state[n: 2 * n].view_as(h1)
        out, offset = [], 2 * n
        for s in shapes:
            k = int(torch.Size(s).numel())
            out.append(state[offset: offset + k].view(s))
            offset += k
        return (grad_h0, None, None, None, None, *out)


class ODEBlock(nn.Module):
    """``h(0) -> h(T)`` under ``dh/dt = func(t, h)``; ``adjoint=True`` for constant-memory gradients."""

    def __init__(self, func: nn.Module, *, t1: float = 1.0, steps: int = 8, method: Method = "rk4",
                 adjoint: bool = False):
        super().__init__()
        if steps < 1 or t1 <= 0:
            raise ValueError(f"need steps >= 1 and t1 > 0, got {steps}, {t1}")
        self.func, self.t1, self.steps, self.method, self.adjoint = func, t1, steps, method, adjoint

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.adjoint and torch.is_grad_enabled():
            params = [p for p in self.func.parameters() if p.requires_grad]
            return _Adjoint.apply(h, self.func, self.t1, self.steps, self.method, *params)
        return odeint(self.func, h, 0.0, self.t1, self.steps, self.method)  # (B, D)

    @property
    def function_evaluations(self) -> int:
        """Evaluations of ``func`` per forward pass."""
        return self.steps * (4 if self.method == "rk4" else 1)
