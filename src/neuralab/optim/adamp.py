"""AdamP and SGDP: momentum optimizers that do not inflate scale-invariant weights.

Heo et al., "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights"
(arXiv:2006.08217). For a weight ``w`` whose loss does not change when it is rescaled (a conv
followed by BatchNorm), the gradient is orthogonal to ``w``, but momentum carries stale directions
that have a radial component: the norm ``||w||`` grows, and the effective step ``lr / ||w||^2``
decays prematurely. AdamP removes the radial component of the update when ``w`` looks
scale-invariant.

Update (Adam's moments ``m``, ``v`` with bias corrections; SGDP uses the momentum buffer)::

    p = m_hat / (sqrt(v_hat) + eps)                                   (Adam's step direction)
    if max over views of |cos(g, w)| < delta / sqrt(dim(view)):       (scale-invariant test)
        p = p - (w_unit . p) w_unit                                   (project out the radial part)
        weight decay is multiplied by wd_ratio
    w <- w * (1 - lr * weight_decay * ratio / k) - lr * p

with ``k = 1`` for AdamP and ``k = 1 - momentum`` for SGDP, as in the authors' ``adamp`` package
(github.com/clovaai/AdamP): SGDP's decay is divided by ``1 - momentum`` (10x stronger at momentum
0.9), matching the size of the momentum step ``lr * g / (1 - momentum)``. Also as in their code,
SGDP without Nesterov projects the momentum buffer itself (the buffer is the step direction), so
the removed radial part does not come back through momentum; with Nesterov only the step is
projected. The buffer starts at zero (``buf = (1 - dampening) g`` on the first step).

The test is made per output channel (``w`` viewed as ``(out, -1)``) and then for the whole tensor;
the first view that passes is projected in. Vectors and scalars (biases, norm gains) are updated
exactly as by Adam/SGD. Defaults ``delta = 0.1``, ``wd_ratio = 0.1`` are the paper's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from neuralab.registry import register

PAPER = dict(paper="AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant "
             "Weights", arxiv="2006.08217")


def _views(w: torch.Tensor) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    return [lambda t: t.reshape(t.shape[0], -1), lambda t: t.reshape(1, -1)]


def project_radial(w: torch.Tensor, grad: torch.Tensor, step: torch.Tensor, *, delta: float,
                   eps: float) -> tuple[torch.Tensor, bool]:
    """``step`` without its component along ``w`` if ``(w, grad)`` look scale-invariant.

    Returns the (possibly projected) step and whether it was projected.
    """
    for view in _views(w):
        wv, gv = view(w), view(grad)
        cosine = F.cosine_similarity(gv, wv, dim=1, eps=eps).abs()  # (rows,)
        if cosine.max() < delta / math.sqrt(wv.shape[1]):
            unit = wv / (wv.norm(dim=1, keepdim=True) + eps)
            sv = view(step)
            sv = sv - unit * (unit * sv).sum(dim=1, keepdim=True)
            return sv.reshape(step.shape), True
    return step, False


class ProjectedOptimizer(torch.optim.Optimizer):
    """The shared step: a base direction, the radial projection, decoupled weight decay."""

    def direction(self, w: torch.Tensor, g: torch.Tensor, state: dict,
                  group: dict) -> tuple[torch.Tensor, float]:
        """The base optimizer's step direction and step size for ``w`` with gradient ``g``."""
        raise NotImplementedError

    def decay_divisor(self, group: dict) -> float:
        """``k`` in the weight decay ``lr * weight_decay * ratio / k``."""
        return 1.0

    def projected(self, direction: torch.Tensor, state: dict, group: dict) -> None:
        """Called with the projected direction; SGDP writes it back into its momentum buffer."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for w in group["params"]:
                if w.grad is None:
                    continue
                state = self.state[w]
                direction, step_size = self.direction(w, w.grad, state, group)
                ratio = 1.0
                if w.dim() > 1:
                    direction, projected = project_radial(w, w.grad, direction, delta=group["delta"],
                                                          eps=group["eps"])
                    ratio = group["wd_ratio"] if projected else 1.0
                    if projected:
                        self.projected(direction, state, group)
                if group["weight_decay"] > 0:
                    w.mul_(1 - group["lr"] * group["weight_decay"] * ratio / self.decay_divisor(group))
                w.add_(direction, alpha=-step_size)
        return loss


class AdamP(ProjectedOptimizer):
    """Adam with the radial component of updates removed for scale-invariant weights."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, delta: float = 0.1,
                 wd_ratio: float = 0.1, nesterov: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, delta=delta,
                        wd_ratio=wd_ratio, nesterov=nesterov)
        super().__init__(params, defaults)

    def direction(self, w, g, state, group):
        b1, b2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(w)
            state["exp_avg_sq"] = torch.zeros_like(w)
        state["step"] += 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        bc1, bc2 = 1 - b1 ** state["step"], 1 - b2 ** state["step"]
        denom = (v.sqrt() / math.sqrt(bc2)).add_(group["eps"])
        direction = (b1 * m + (1 - b1) * g) / denom if group["nesterov"] else m / denom
        return direction, group["lr"] / bc1


class SGDP(ProjectedOptimizer):
    """SGD with momentum, with the radial component removed for scale-invariant weights."""

    def __init__(self, params, lr: float = 0.1, momentum: float = 0.9, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, eps: float = 1e-8,
                 delta: float = 0.1, wd_ratio: float = 0.1):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, eps=eps, delta=delta, wd_ratio=wd_ratio)
        super().__init__(params, defaults)

    def direction(self, w, g, state, group):
        mu = group["momentum"]
        if "momentum" not in state:
            state["momentum"] = torch.zeros_like(w)
        buf = state["momentum"]
        buf.mul_(mu).add_(g, alpha=1 - group["dampening"])
        return (g + mu * buf if group["nesterov"] else buf), group["lr"]

    def decay_divisor(self, group):
        return 1.0 - group["momentum"]

    def projected(self, direction, state, group):
        if not group["nesterov"]:  # the buffer is the direction: project it too (authors' code)
            state["momentum"].copy_(direction)


@register("optimizer", "adamp", **PAPER)
def adamp(params, *, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 0.0, delta: float = 0.1, wd_ratio: float = 0.1,
          nesterov: bool = False) -> AdamP:
    """AdamP: Adam without radial updates of scale-invariant weights."""
    return AdamP(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, delta=delta,
                 wd_ratio=wd_ratio, nesterov=nesterov)


@register("optimizer", "sgdp", **PAPER)
def sgdp(params, *, lr: float = 0.1, momentum: float = 0.9, weight_decay: float = 0.0,
         nesterov: bool = False, delta: float = 0.1, wd_ratio: float = 0.1) -> SGDP:
    """SGDP: momentum SGD without radial updates of scale-invariant weights."""
    return SGDP(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov,
                delta=delta, wd_ratio=wd_ratio)
