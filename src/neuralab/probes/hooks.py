"""One hook mechanism for every probe: capture the outputs of named probe points.

``capture(model)`` registers forward hooks on ``model.probe_points()`` (or on the modules named in
``points``) and collects what they output while the block runs; the hooks are removed on exit, so
the model is left exactly as it was::

    with capture(model) as acts:
        model(x)
    acts["block0"]  # (B, width), detached

With ``keep_grad=True`` the captured tensors stay in the graph (for gradients with respect to
activations, as Grad-CAM needs); gradients of the loss with respect to each captured tensor can be
read after ``backward`` via ``acts.grads`` (``retain_grad`` is set on them).

``frozen_gates(model, x)`` (a hook that replaces outputs) records the gate ``g = output / input`` of every piecewise-linear
activation module (ReLU, leaky ReLU, PReLU) on ``x`` and, inside the block, replaces each one's
output by ``g * input``: the network becomes the affine map it is on ``x``'s linear region.

``model_mode(model, training=False)`` runs a block with the model in eval (or train) mode and
restores every submodule's own flag afterwards: probes that need deterministic outputs use it so
that they leave the model as they found it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import nn


class Captured(dict):
    """``{point name: output tensor}`` plus, with ``keep_grad``, ``grads`` after backward.

    A population's capture (:meth:`neuralab.engine.population.Population.capture`) holds
    ``(N, B, ...)`` tensors, one slice per member, and sets the per-member gradients explicitly.
    """

    _explicit_grads: dict[str, torch.Tensor | None] | None = None

    @property
    def grads(self) -> dict[str, torch.Tensor | None]:
        if self._explicit_grads is not None:
            return dict(self._explicit_grads)
        return {k: v.grad for k, v in self.items()}

    def set_grads(self, grads: dict[str, torch.Tensor | None]) -> None:
        self._explicit_grads = dict(grads)


def probe_modules(model: nn.Module, points: Iterable[str] | None = None) -> dict[str, nn.Module]:
    """The modules to hook: the model's probe points (all, or those named in ``points``)."""
    available = model.probe_points() if hasattr(model, "probe_points") else {}
    if points is None:
        return dict(available)
    named = dict(model.named_modules())
    out = {}
    for p in points:
        if p in available:
            out[p] = available[p]
        elif p in named:
            out[p] = named[p]
        else:
            from neuralab.errors import UnknownNameError

            raise UnknownNameError("probe point", p, list(available) or list(named))
    return out


@contextmanager
def capture(model: nn.Module, points: Iterable[str] | None = None, *,
            keep_grad: bool = False) -> Iterator[Captured]:
    """Collect the outputs of ``points`` (default: all probe points) while the block runs."""
    acts = Captured()
    handles = []

    def hook_for(name: str):
        def hook(module: nn.Module, inputs: tuple, output) -> None:
            out = output[0] if isinstance(output, tuple) else output
            if keep_grad:
                if out.requires_grad:
                    out.retain_grad()
                acts[name] = out
            else:
                acts[name] = out.detach()
        return hook

    for name, module in probe_modules(model, points).items():
        handles.append(module.register_forward_hook(hook_for(name)))
    try:
        yield acts
    finally:
        for h in handles:
            h.remove()


GATED = (nn.ReLU, nn.LeakyReLU, nn.PReLU)


@contextmanager
def frozen_gates(model: nn.Module, x: torch.Tensor) -> Iterator[dict[str, torch.Tensor]]:
    """Freeze the gates of every ReLU-like module at their values on ``x`` while the block runs."""
    modules = {n: m for n, m in model.named_modules() if isinstance(m, GATED)}
    gates: dict[str, torch.Tensor] = {}

    def record(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            z = inputs[0].detach()
            gates[name] = torch.where(z != 0, output.detach() / torch.where(z != 0, z, 1), 0)
        return hook

    def apply(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> torch.Tensor:
            return inputs[0] * gates[name]
        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in modules.items()]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    handles = [m.register_forward_hook(apply(n)) for n, m in modules.items()]
    try:
        yield gates
    finally:
        for h in handles:
            h.remove()


@contextmanager
def model_mode(model: nn.Module, training: bool = False) -> Iterator[nn.Module]:
    """Run a block with ``model.train(training)``; restore each submodule's flag on exit."""
    flags = [(m, m.training) for m in model.modules()]
    model.train(training)
    try:
        yield model
    finally:
        for m, flag in flags:
            m.training = flag
