"""The generic population kernel: any model, vmapped over stacked parameters.

``torch.func.vmap`` over ``torch.func.functional_call`` evaluates one template module with every
member's parameters at once (the pattern of PyTorch's model-ensembling tutorial); ordinary
autograd on the summed per-member losses then gives each member's gradient in its slice of the
stacked parameter's gradient (members share no computation, so the sum separates). The template
is rewritten by :func:`~neuralab.engine.vmap_rewrites.vmap_ready` (per-member dropout, unrolled
recurrent layers).

A kernel offers what the population loop needs:

- ``member_chunk``: how many members one ``loss_and_grad`` call takes (the MLP kernel splits a
  population of wide members into chunks on a CPU; this kernel takes all of them);
- ``loss_and_grad(x, y, members) -> (losses, {name: gradient})`` for the members in the slice
  ``members`` (their batches ``x``);
- ``outputs(x) -> (N, B, ...)`` for a batch every member sees (evaluation);
- ``capture(x, y, points)`` per-member activations of the model's probe points and, when ``y`` is
  given, the gradient of each member's loss with respect to them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import torch
from torch import nn
from torch.func import functional_call, vmap

from neuralab.data.dataset import DataSpec
from neuralab.engine.metrics import loss_fn
from neuralab.probes.hooks import Captured, probe_modules


class VmapKernel:
    """Forward, loss and gradients of N members of ``template`` (see the module docstring)."""

    def __init__(self, template: nn.Module, params: dict[str, torch.Tensor],
                 buffers: dict[str, torch.Tensor], spec: DataSpec,
                 compute_dtype: torch.dtype = torch.float32):
        self.template, self.params, self.buffers, self.spec = template, params, buffers, spec
        self.compute_dtype = compute_dtype

        def call(p, b, x):
            return functional_call(self.template, (p, b), (x,))

        self._per_member = vmap(call, in_dims=(0, 0, 0))
        self._shared = vmap(call, in_dims=(0, 0, None))
        self._loss = vmap(lambda out, y: loss_fn(spec, out, y))
        self.member_chunk = next(iter(params.values())).shape[0]

    def _precision(self):
        """bfloat16 autocast when asked for (products in bfloat16, weights stay float32)."""
        if self.compute_dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.params[next(iter(self.params))].device.type, dtype=self.compute_dtype)

    def sync(self) -> None:
        """Nothing to do: the stacked parameters are the kernel's own."""

    def loss_and_grad(self, x: torch.Tensor, y: torch.Tensor, members: slice = slice(None)
                      ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean losses ``(N,)`` on per-member batches ``x: (N, B, ...)`` and the gradients
        ``{name: (N, *shape)}`` (every member: this kernel does not split the population)."""
        if range(self.member_chunk)[members] != range(self.member_chunk):
            raise ValueError("the vmap kernel computes all members at once (member_chunk = N)")
        self.template.train()
        with self._precision():
            out = self._per_member(self.params, self.buffers, x)
        losses = self._loss(out.float(), y)  # (N,)
        names = [k for k, p in self.params.items() if p.requires_grad]
        grads = torch.autograd.grad(losses.sum(), [self.params[k] for k in names], allow_unused=True)
        return losses.detach(), {k: g for k, g in zip(names, grads) if g is not None}

    @torch.no_grad()
    def outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's outputs on the shared batch ``x: (B, ...)`` in eval mode: ``(N, B, ...)``."""
        self.template.eval()
        try:
            with self._precision():
                return self._shared(self.params, self.buffers, x).float()
        finally:
            self.template.train()

    def capture(self, x: torch.Tensor, y: torch.Tensor | None = None,
                points: Iterable[str] | None = None) -> Captured:
        """Per-member outputs of probe points on the shared batch ``x`` (eval mode): ``(N, B, ...)``.

        With targets ``y``, ``result.grads[point]`` is d(member's mean loss)/d(activation), found by
        adding a zero offset to each captured output and differentiating with respect to it.
        """
        modules = probe_modules(self.template, points)
        names = list(modules)

        def call(p, b, offsets, xx):
            acts: dict[str, torch.Tensor] = {}
            handles = []
            for name in names:
                def hook(module, inputs, output, name=name):
                    out = output[0] if isinstance(output, tuple) else output
                    if offsets is not None:
                        out = out + offsets[name]
                    acts[name] = out
                    return (out, *output[1:]) if isinstance(output, tuple) else out
                handles.append(modules[name].register_forward_hook(hook))
            try:
                result = functional_call(self.template, (p, b), (xx,))
            finally:
                for h in handles:
                    h.remove()
            return result, acts

        self.template.eval()
        try:
            with torch.no_grad():
                _, acts = vmap(call, in_dims=(0, 0, None, None))(self.params, self.buffers, None, x)
            captured = Captured({k: v.detach() for k, v in acts.items()})
            if y is not None:
                offsets = {k: torch.zeros_like(v, requires_grad=True) for k, v in acts.items()}
                detached = {k: v.detach() for k, v in self.params.items()}
                out, _ = vmap(call, in_dims=(0, 0, 0, None))(detached, self.buffers, offsets, x)
                losses = vmap(lambda o: loss_fn(self.spec, o, y))(out)
                grads = torch.autograd.grad(losses.sum(), [offsets[k] for k in names],
                                            allow_unused=True)
                captured.set_grads({k: g for k, g in zip(names, grads)})
        finally:
            self.template.train()
        return captured
