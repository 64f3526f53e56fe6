"""SAM: sharpness-aware minimization, as a wrapper around a base optimizer.

Foret et al., "Sharpness-Aware Minimization for Efficiently Improving Generalization"
(arXiv:2010.01412); the adaptive variant ASAM is Kwon et al., arXiv:2102.11600. SAM minimizes
``max_{||e|| <= rho} L(w + e)`` with one ascent step of the first-order solution::

    g   = grad L(w)
    e   = rho * T^2 g / ||T g||          (T = I for SAM; T = |w| elementwise for adaptive ASAM)
    g_s = grad L(w + e)                  (the gradient at the perturbed weights)
    w  <- base_step(w, g_s)              (e.g. SGD with momentum, at the *unperturbed* w)

Each step needs two gradients, so :meth:`SAM.step` takes a ``closure`` that zeroes the gradients,
recomputes the loss, calls ``backward`` and returns the loss; the trainer supplies one for every
optimizer with ``needs_closure = True``::

    opt = SAM(model.parameters(), base="sgd", lr=0.1, rho=0.05, momentum=0.9)
    def closure():
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        return loss
    loss = opt.step(closure)   # the loss at w, before the update
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from neuralab.errors import NeuralabError
from neuralab.registry import register, registered_name

OptimizerName = registered_name("optimizer")


class SAM(torch.optim.Optimizer):
    """Sharpness-aware minimization around the registered base optimizer ``base``."""

    needs_closure = True

    def __init__(self, params, *, base: str = "sgd", rho: float = 0.05, adaptive: bool = False,
                 eps: float = 1e-12, **base_hyper: Any):
        if rho < 0:
            raise ValueError(f"rho must be non-negative, got {rho}")
        from neuralab.optim.build import make_optimizer

        super().__init__(params, dict(rho=rho, adaptive=adaptive, eps=eps, **base_hyper))
        self.base = make_optimizer(base, self.param_groups, base_hyper)
        self.param_groups = self.base.param_groups  # one set of groups: lr schedules reach both
        self.defaults.update(self.base.defaults)

    @torch.no_grad()
    def _perturb(self) -> None:
        scaled = []  # T g for every parameter with a gradient
        for group in self.param_groups:
            for w in group["params"]:
                if w.grad is not None:
                    scaled.append(w.grad * w.abs() if group["adaptive"] else w.grad)
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in scaled])) \
            if scaled else torch.tensor(0.0)
        for group in self.param_groups:
            factor = group["rho"] / (norm + group["eps"])
            for w in group["params"]:
                if w.grad is None:
                    continue
                e = w.grad * w.square() if group["adaptive"] else w.grad.clone()
                e.mul_(factor)
                w.add_(e)
                self.state[w]["e"] = e

    @torch.no_grad()
    def _restore(self) -> None:
        for group in self.param_groups:
            for w in group["params"]:
                e = self.state[w].pop("e", None)
                if e is not None:
                    w.sub_(e)

    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor:
        """Ascent to ``w + e``, gradient there, back to ``w``, base step; returns L(w)."""
        if closure is None:
            raise NeuralabError("SAM needs a closure that recomputes the loss and calls backward()")
        with torch.enable_grad():
            loss = closure()  # gradient at w
        self._perturb()
        try:
            with torch.enable_grad():
                closure()  # gradient at w + e
        finally:
            self._restore()
        self.base.step()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.base.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return self.base.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.base.load_state_dict(state_dict)
        self.param_groups = self.base.param_groups


@register("optimizer", "sam",
          paper="Sharpness-Aware Minimization for Efficiently Improving Generalization",
          arxiv="2010.01412")
def sam(params, *, lr: float = 0.1, rho: float = 0.05, adaptive: bool = False,
        base: OptimizerName = "sgd", momentum: float = 0.9, weight_decay: float = 0.0) -> SAM:
    """SAM around a base optimizer (SGD with momentum by default; adaptive=True for ASAM)."""
    hyper: dict[str, Any] = {"lr": lr, "weight_decay": weight_decay}
    if base == "sgd":
        hyper["momentum"] = momentum
    return SAM(params, base=base, rho=rho, adaptive=adaptive, **hyper)
