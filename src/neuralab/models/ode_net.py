"""ODE-Net: a linear stem, one neural ODE block in place of a stack of residual layers, a head.

Chen et al., "Neural Ordinary Differential Equations" (arXiv:1806.07366). A residual network
``h <- h + f(h)`` is Euler's method for ``dh/dt = f(t, h)``; an ODE-Net integrates a single
time-dependent vector field instead (parameters shared across "depth")::

    h(0) = W_in x,   dh/dt = W_2 tanh(W_1 [h, t] + b_1) + b_2,   y = W_out h(T)
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.ode import Method, ODEBlock
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import register


class TimeMLP(nn.Module):
    """The vector field ``f(t, h) = W_2 tanh(W_1 [h, t] + b_1) + b_2``."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.inp = nn.Linear(dim + 1, hidden)
        self.out = nn.Linear(hidden, dim)

    def forward(self, t: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        tt = t.to(h).expand(*h.shape[:-1], 1)
        return self.out(torch.tanh(self.inp(torch.cat([h, tt], -1))))  # (B, D)


class ODENet(Model):
    """Stem -> ODE block -> head."""

    def __init__(self, spec: DataSpec, *, width: int, hidden: int, t1: float, steps: int,
                 method: Method, adjoint: bool):
        super().__init__()
        self.stem = nn.Linear(spec.n_inputs, width)
        self.ode = ODEBlock(TimeMLP(width, hidden), t1=t1, steps=steps, method=method,
                            adjoint=adjoint)
        self.head = nn.Linear(width, spec.n_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.ode(self.stem(x.flatten(1)))  # (B, width)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"stem": self.stem, "ode": self.ode, "head": self.head}


@register("model", "ode_net", tags={"vmap_safe"}, paper="Neural Ordinary Differential Equations",
          arxiv="1806.07366")
def ode_net(spec: DataSpec, *, width: int = 32, hidden: int = 64, t1: float = 1.0, steps: int = 4,
            method: Method = "rk4", adjoint: bool = False) -> ODENet:
    """A neural ODE block between a linear stem and a linear head (RK4 or Euler; adjoint option)."""
    if spec.tokens or spec.task == "sequence":
        raise ValueError("ode_net takes real inputs with one output each")
    if width < 1 or hidden < 1:
        raise ValueError("need width >= 1 and hidden >= 1")
    return ODENet(spec, width=width, hidden=hidden, t1=t1, steps=steps, method=method,
                  adjoint=adjoint)
