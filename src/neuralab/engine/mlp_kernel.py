"""The fast population kernel for MLPs: forward and backward by hand over stacked weights.

For a plain MLP (``model = "mlp"``, no normalization, real inputs) every layer of every member is
one batched matrix product: with ``W_l: (N, out, in)`` and ``b_l: (N, out)``,

    z_l = baddbmm(b_l, a_{l-1}, W_l^T)    a_l = dropout(act(z_l))        (N, B, out)

and the backward pass of the per-member mean loss is written out (no autograd graph, no vmap):

    dlogits = (softmax(z_L) - onehot(y)) / B          (cross-entropy; 2 (z_L - y) / (B D) for MSE)
    dW_l = dz_l^T a_{l-1}    db_l = sum_B dz_l    dz_{l-1} = (dz_l W_l) * mask_{l-1} * act'(z_{l-1})

so a training step is ``2L + (L - 1)`` batched matmuls (``torch.bmm``) plus a few elementwise
passes. On a CPU, wide members go through in chunks (:data:`CHUNK_BYTES`). The activation
derivatives are those torch's autograd uses. Dropout masks are drawn per member from
its own generator (on the weights' device), in the order and shape of a single run.
``compute_dtype=torch.bfloat16`` runs the products in bfloat16 (AMX / AVX512-BF16 where the CPU
has them) against float32 master weights; gradients are returned in float32.
``compile=True`` runs the forward and backward through ``torch.compile`` (see :class:`MLPKernel`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from neuralab.config import RunConfig
from neuralab.data.dataset import DataSpec
from neuralab.engine.vmap_rewrites import member_noise

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# On a CPU, members pass through forward, backward and update in chunks whose weights together
# take about this many bytes, so that a chunk's weights, activations and gradients stay in the
# cores' caches between those phases instead of streaming through memory once per phase (64
# members of width 256 or 512: about 1.5x the throughput of one pass over all of them; chunks of
# 2 to 16 members were within 10% of each other; measured on the 2-core development CPU with
# 4 MiB of L2 per core).
CHUNK_BYTES = 4 * 2**20

# Activations whose derivative torch computes from their output: the kernel applies them in
# place and keeps only the output for the backward pass.
FROM_OUTPUT = ("relu", "tanh", "sigmoid", "identity")


def _linear(a: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """``a @ w^T + b`` for every member: ``a`` (n, B, in) or a shared (B, in) -> (n, B, out)."""
    if a.dim() == 2:  # a batch every member sees: (B, in) @ (n, in, out)
        z = torch.matmul(a, w.mT)
        return z if b is None else z.add_(b.unsqueeze(1))
    return torch.bmm(a, w.mT) if b is None else torch.baddbmm(b.unsqueeze(1), a, w.mT)


def _act(name: str, z: torch.Tensor, slope: float) -> torch.Tensor:
    """The activation of ``z``; in place for those in :data:`FROM_OUTPUT`."""
    if name == "relu":
        return torch.relu_(z)
    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, slope)
    if name == "tanh":
        return torch.tanh_(z)
    if name == "sigmoid":
        return torch.sigmoid_(z)
    if name == "gelu":
        return torch.nn.functional.gelu(z)
    if name == "silu":
        return torch.nn.functional.silu(z)
    return z  # identity


def _act_grad(name: str, z: torch.Tensor | None, a: torch.Tensor, g: torch.Tensor,
              slope: float) -> torch.Tensor:
    """d loss / d z from d loss / d a, as torch's autograd computes it (``z`` is None for the
    activations in :data:`FROM_OUTPUT`)."""
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
    """Forward, loss and hand-written gradients of N stacked MLPs (see the module docstring).

    ``compile=True`` hands :meth:`loss_and_grad` to ``torch.compile`` (inductor), which fuses the
    elementwise passes around the matmuls into a few generated kernels. Those round differently
    from the eager operators, so members then equal their single runs to float32 tolerance, not
    bit for bit; the first call (per chunk size) pays the compilation, seconds on a CPU. Dropout
    masks come from the members' generators, which the compiler does not trace: they are drawn
    eagerly between compiled pieces, the same masks as without it.
    """

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
                 generators: Sequence[torch.Generator], compute_dtype: torch.dtype = torch.float32,
                 compile: bool = False):
        p = config.model.params
        self.params, self.spec, self.generators = params, spec, generators
        self.activation = p.get("activation", "relu")
        self.slope = 0.01
        if self.activation == "leaky_relu":
            from neuralab.registry import REGISTRY

            self.slope = REGISTRY.get("activation", "leaky_relu").validate({})["negative_slope"]
        self.dropout = float(p.get("dropout", 0.0))
        depth = int(p.get("depth", 2))
        self.names = [f"blocks.{i}.linear" for i in range(depth)] + ["head"]
        self.layers = [(params[f"{n}.weight"], params.get(f"{n}.bias")) for n in self.names]
        self._detached = [(w.detach(), None if b is None else b.detach()) for w, b in self.layers]
        self.compute_dtype = compute_dtype
        self.member_chunk = self.chunk_size(len(generators), self.layers)
        self._loss_and_grad = self._eager_loss_and_grad
        if compile:  # shapes are fixed per chunk: no dynamic shapes, one graph per chunk size
            self._loss_and_grad = torch.compile(self._eager_loss_and_grad, dynamic=False)

    def sync(self) -> None:
        """Nothing to do: the kernel reads and writes the stacked parameters directly."""

    @staticmethod
    def chunk_size(n: int, layers: Sequence[tuple[torch.Tensor, torch.Tensor | None]]) -> int:
        """Members per pass of :meth:`loss_and_grad` (see :data:`CHUNK_BYTES`)."""
        weight = layers[0][0]
        if weight.device.type != "cpu":
            return n
        member_bytes = sum(w[0].numel() * w.element_size() for w, _ in layers)
        if member_bytes * n <= CHUNK_BYTES:
            return n
        return max(1, min(n, round(CHUNK_BYTES / member_bytes)))

    def _weights(self, members: slice = slice(None)) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """The members' weights and biases (views; copies in the compute dtype if not float32)."""
        if self.compute_dtype == torch.float32:
            return [(w[members], None if b is None else b[members]) for w, b in self._detached]
        return [(w[members].to(self.compute_dtype), None if b is None else b[members].to(self.compute_dtype))
                for w, b in self._detached]

    def _masks(self, like: torch.Tensor, members: slice) -> torch.Tensor:
        """Per-member dropout noise for ``like: (n, B, width)``, drawn from the members' generators."""
        return member_noise(like.shape[1:], 1 - self.dropout, self.generators[members], like)

    def _forward(self, x: torch.Tensor, weights, train: bool, members: slice = slice(None)):
        """Logits and the saved (input, z, output, mask) of each layer; ``x``: (n, B, D) or (B, D).

        ``z`` is kept only for activations whose derivative needs it (see :data:`FROM_OUTPUT`).
        """
        a = x.flatten(-(len(self.spec.input_shape))).to(self.compute_dtype)
        saved = []
        for w, b in weights[:-1]:
            z = _linear(a, w, b)  # (n, B, out)
            h = _act(self.activation, z, self.slope)
            mask = None
            if train and self.dropout > 0:
                mask = self._masks(h, members)
                a_out = h * mask
            else:
                a_out = h
            saved.append((a, None if self.activation in FROM_OUTPUT else z, h, mask))
            a = a_out
        w, b = weights[-1]
        saved.append((a, None, None, None))
        return _linear(a, w, b), saved

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
    def loss_and_grad(self, x: torch.Tensor, y: torch.Tensor, members: slice = slice(None)
                      ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean losses ``(n,)`` of ``members`` on their batches ``x: (n, B, ...)`` and their
        gradients ``{name: (n, *shape)}`` (compiled or eager, see the class docstring)."""
        return self._loss_and_grad(x, y, members)

    def _eager_loss_and_grad(self, x: torch.Tensor, y: torch.Tensor, members: slice
                             ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        weights = self._weights(members)
        logits, saved = self._forward(x, weights, train=True, members=members)
        losses, dz = self._loss_and_dlogits(logits.float(), y)
        dz = dz.to(self.compute_dtype)
        grads: dict[str, torch.Tensor] = {}
        for layer in range(len(self.layers) - 1, -1, -1):
            name, (w, b) = self.names[layer], weights[layer]
            a_in = saved[layer][0]
            grads[f"{name}.weight"] = torch.bmm(dz.mT, a_in).float()  # (n, out, in)
            if b is not None:
                grads[f"{name}.bias"] = dz.sum(1, dtype=torch.float32)  # (n, out)
            if layer == 0:
                break
            da = torch.bmm(dz, w)  # (n, B, in)
            _, z, h, mask = saved[layer - 1]
            if mask is not None:
                da = da * mask
            dz = _act_grad(self.activation, z, h, da, self.slope)
        return losses, grads

    @torch.no_grad()
    def outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's outputs on the shared batch ``x: (B, ...)`` (no dropout): ``(N, B, out)``."""
        return self._forward(x, self._weights(), train=False)[0]
