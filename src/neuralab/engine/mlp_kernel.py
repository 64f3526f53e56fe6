"""The fast population kernel for MLPs: forward and backward by hand over stacked weights.

For a plain MLP (``model = "mlp"``, no normalization, real inputs) every layer of every member is
one batched matrix product: with ``W_l: (N, out, in)`` and ``b_l: (N, out)``,

    z_l = baddbmm(b_l, a_{l-1}, W_l^T)    a_l = dropout(act(z_l))        (N, B, out)

and the backward pass of the per-member mean loss is written out (no autograd graph, no vmap):

    dlogits = (softmax(z_L) - onehot(y)) / B          (cross-entropy; 2 (z_L - y) / (B D) for MSE)
    dW_l = dz_l^T a_{l-1}    db_l = sum_B dz_l    dz_{l-1} = (dz_l W_l) * mask_{l-1} * act'(z_{l-1})

so a training step is ``2L + (L - 1)`` batched matmuls (``torch.bmm``, or a loop of ``torch.mm``
for large members, see :func:`batched_mm`) plus a few elementwise passes. The
activation derivatives are those torch's autograd uses. Dropout masks are drawn per member from
its own generator, in the order and shape of a single run. ``compute_dtype=torch.bfloat16``
runs the products in bfloat16 (AMX / AVX512-BF16 where the CPU has them) against float32 master
weights; gradients are returned in float32.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from neuralab.config import RunConfig
from neuralab.data.dataset import DataSpec

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# Per-member products at least this large (multiply-adds) run as a loop of torch.mm into one
# output: on CPU that is several times faster than torch.bmm for, e.g., 64 x (128x512 @ 512x512)
# (measured on the 2-core development CPU); smaller ones are dominated by per-call overhead.
LOOP_MIN_MACS = 4_000_000


def batched_mm(x: torch.Tensor, y: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``x[i] @ y[i] (+ bias[i])`` for every member: ``(N, M, K) @ (N, K, P) -> (N, M, P)``."""
    if x.shape[1] * x.shape[2] * y.shape[2] < LOOP_MIN_MACS:
        return torch.bmm(x, y) if bias is None else torch.baddbmm(bias.unsqueeze(1), x, y)
    out = x.new_empty(x.shape[0], x.shape[1], y.shape[2])
    for i in range(x.shape[0]):
        if bias is None:
            torch.mm(x[i], y[i], out=out[i])
        else:
            torch.addmm(bias[i], x[i], y[i], out=out[i])
    return out


def _act(name: str, z: torch.Tensor, slope: float) -> torch.Tensor:
    if name == "relu":
        return torch.relu(z)
    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, slope)
    if name == "tanh":
        return torch.tanh(z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "gelu":
        return torch.nn.functional.gelu(z)
    if name == "silu":
        return torch.nn.functional.silu(z)
    return z  # identity


def _act_grad(name: str, z: torch.Tensor, a: torch.Tensor, g: torch.Tensor, slope: float) -> torch.Tensor:
    """d loss / d z from d loss / d a, as torch's autograd computes it."""
    if name == "relu":
        return torch.ops.aten.threshold_backward(g, a, 0)
    if name == "leaky_relu":
        return torch.where(z > 0, g, g * slope)
    if name == "tanh":
        return g * (1 - a * a)
    if name == "sigmoid":
        return g * ((1 - a) * a)
    if name == "gelu":
        cdf = 0.5 * (1 + torch.erf(z * _SQRT1_2))
        return g * (cdf + z * torch.exp(-0.5 * z * z) * _INV_SQRT_2PI)
    if name == "silu":
        s = torch.sigmoid(z)
        return g * (s * (1 + z * (1 - s)))
    return g


class MLPKernel:
    """Forward, loss and hand-written gradients of N stacked MLPs (see the module docstring)."""

    ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "silu", "identity")

    @classmethod
    def supports(cls, config: RunConfig, template: torch.nn.Module) -> bool:
        p = config.model.params
        from neuralab.data.dataset import load_dataset

        spec = load_dataset(config.data.name, **config.data.params).spec
        return (config.model.name == "mlp" and p.get("norm", "none") == "none"
                and p.get("activation", "relu") in cls.ACTIVATIONS and not spec.tokens
                and spec.task in ("classification", "regression"))

    def __init__(self, config: RunConfig, params: dict[str, torch.Tensor],
                 buffers: dict[str, torch.Tensor], spec: DataSpec,
                 generators: Sequence[torch.Generator], compute_dtype: torch.dtype = torch.float32):
        p = config.model.params
        self.params, self.spec, self.generators = params, spec, generators
        self.activation = p.get("activation", "relu")
        self.slope = 0.01
        if self.activation == "leaky_relu":
            from neuralab.registry import REGISTRY

            self.slope = REGISTRY.get("activation", "leaky_relu").validate({})["negative_slope"]
        self.dropout = float(p.get("dropout", 0.0))
        depth = int(p.get("depth", 2))
        names = [f"blocks.{i}.linear" for i in range(depth)] + ["head"]
        self.layers = [(params[f"{n}.weight"], params.get(f"{n}.bias")) for n in names]
        self.compute_dtype = compute_dtype
        self.training = True

    def sync(self) -> None:
        """Nothing to do: the kernel reads and writes the stacked parameters directly."""

    def _weights(self) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        if self.compute_dtype == torch.float32:
            return [(w.detach(), None if b is None else b.detach()) for w, b in self.layers]
        return [(w.detach().to(self.compute_dtype), None if b is None else b.detach().to(self.compute_dtype))
                for w, b in self.layers]

    def _masks(self, like: torch.Tensor) -> torch.Tensor:
        """Per-member dropout noise for ``like: (N, B, width)``, drawn from the members' generators."""
        keep = 1 - self.dropout
        masks = torch.stack([torch.empty(like.shape[1:]).bernoulli_(keep, generator=g).div_(keep)
                             for g in self.generators])  # (N, B, width), drawn on the CPU
        return masks.to(device=like.device, dtype=like.dtype)

    def _forward(self, x: torch.Tensor, weights, train: bool):
        """Logits and the saved (z, a, mask) of each hidden layer; ``x``: (N, B, D) or (B, D)."""
        a = x.flatten(-(len(self.spec.input_shape))).to(self.compute_dtype)
        saved = []
        for w, b in weights[:-1]:
            if a.dim() == 2:  # a batch every member sees: (B, D) @ (N, D, out) -> (N, B, out)
                z = torch.matmul(a, w.mT)
                if b is not None:
                    z = z + b.unsqueeze(1)
            else:
                z = batched_mm(a, w.mT, b)
            h = _act(self.activation, z, self.slope)
            mask = None
            if train and self.dropout > 0:
                mask = self._masks(h)
                a_out = h * mask
            else:
                a_out = h
            saved.append((a, z, h, mask))
            a = a_out
        w, b = weights[-1]
        if a.dim() == 2:
            logits = torch.matmul(a, w.mT) + b.unsqueeze(1)
        else:
            logits = batched_mm(a, w.mT, b)
        saved.append((a, None, None, None))
        return logits, saved

    def _loss_and_dlogits(self, logits: torch.Tensor, y: torch.Tensor):
        B = logits.shape[1]
        if self.spec.task == "regression":
            diff = logits - y
            d = diff[0].numel()
            losses = diff.square().flatten(1).mean(1)
            return losses, diff * (2.0 / d)
        # log-softmax written out: torch's kernel is slow for a short last dimension
        shifted = logits - logits.amax(-1, keepdim=True)  # (N, B, C)
        e = shifted.exp()
        total = e.sum(-1, keepdim=True)
        picked = shifted.gather(-1, y.unsqueeze(-1)) - total.log()  # log p(y): (N, B, 1)
        losses = -picked.squeeze(-1).mean(1)  # (N,)
        dlogits = e.div_(total * B)
        dlogits.scatter_add_(-1, y.unsqueeze(-1), torch.full_like(picked, -1.0 / B))
        return losses, dlogits

    @torch.no_grad()
    def loss_and_grad(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-member mean losses on per-member batches ``x: (N, B, ...)``; fills ``.grad``."""
        weights = self._weights()
        logits, saved = self._forward(x, weights, train=True)
        losses, dz = self._loss_and_dlogits(logits.float(), y)
        dz = dz.to(self.compute_dtype)
        for layer in range(len(self.layers) - 1, -1, -1):
            w, b = self.layers[layer]
            a_in = saved[layer][0]
            w.grad = batched_mm(dz.mT, a_in).float()  # (N, out, in)
            if b is not None:
                b.grad = dz.sum(1, dtype=torch.float32)  # (N, out)
            if layer == 0:
                break
            da = batched_mm(dz, weights[layer][0])  # (N, B, in)
            _, z, h, mask = saved[layer - 1]
            if mask is not None:
                da = da * mask
            dz = _act_grad(self.activation, z, h, da, self.slope)
        return losses

    @torch.no_grad()
    def outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's outputs on the shared batch ``x: (B, ...)`` (no dropout): ``(N, B, out)``."""
        return self._forward(x, self._weights(), train=False)[0]
