"""Module rewrites that let any neuralab model run as a population under ``torch.func.vmap``.

A population evaluates one *template* module with ``functional_call`` over stacked parameters
inside ``vmap``. Two kinds of torch module cannot be used there as they are:

- ``nn.Dropout`` draws its mask from the global generator, and under vmap all members would share
  one draw. :class:`MemberDropout` draws member ``i``'s mask from member ``i``'s own generator,
  seeded like a single run's (``derive_seed(seed, "dropout")``) and drawn in the same order and
  shape, so each member sees exactly the masks its single run sees:
  ``y = x * (bernoulli(1 - p) / (1 - p))`` (Srivastava et al., "Dropout: A Simple Way to Prevent
  Neural Networks from Overfitting", JMLR 2014), as ``torch.nn.functional.dropout`` computes it.
- ``nn.GRU`` / ``nn.LSTM`` / ``nn.RNN`` call fused kernels that have no batching rule.
  :class:`UnrolledRNN` computes the same cell equations step by step with the same parameter
  names and layout (so a member's ``nn.GRU`` weights load unchanged), e.g. for the GRU (Cho et al.,
  arXiv:1406.1078)::

      r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h

Batch norm needs no rewrite: with per-member stacked running statistics passed as buffers, its
in-place update under vmap updates each member's own statistics.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from neuralab.errors import NeuralabError


def member_noise(shape: Sequence[int], keep: float, generators: Sequence[torch.Generator],
                 like: torch.Tensor) -> torch.Tensor:
    """``bernoulli(keep) / keep`` of ``shape`` per member, ``(len(generators), *shape)``, each drawn
    from its member's generator on ``like``'s device (where the generators live) and cast to its
    dtype."""
    masks = torch.stack([torch.empty(shape, device=like.device).bernoulli_(keep, generator=g).div_(keep)
                         for g in generators])
    return masks.to(like.dtype)


class _MemberMask(torch.autograd.Function):
    """The dropout noise ``bernoulli(1 - p) / (1 - p)`` shaped like ``x``, one draw per member."""

    generators: Sequence[torch.Generator] = ()

    @staticmethod
    def forward(x: torch.Tensor, p: float, generators: Sequence[torch.Generator]) -> torch.Tensor:
        # outside vmap: a population of one
        return member_noise(x.shape, 1 - p, generators[:1], x)[0]

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.mark_non_differentiable(output)

    @staticmethod
    def vmap(info, in_dims, x, p, generators):
        if in_dims[0] is None:  # the same input for every member: each still draws its own mask
            x = x.unsqueeze(0).expand(len(generators), *x.shape)
        else:
            x = x.movedim(in_dims[0], 0)
        return member_noise(x.shape[1:], 1 - p, generators, x), 0  # (N, *member shape)


class MemberDropout(nn.Module):
    """Dropout whose masks come from per-member generators (see the module docstring)."""

    def __init__(self, p: float, generators: Sequence[torch.Generator]):
        super().__init__()
        self.p = float(p)
        self.generators = generators

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        return x * _MemberMask.apply(x, self.p, self.generators)  # (*) -> (*)


_GATES = {"GRU": 3, "LSTM": 4, "RNN_TANH": 1, "RNN_RELU": 1}


class UnrolledRNN(nn.Module):
    """``nn.GRU`` / ``nn.LSTM`` / ``nn.RNN`` (unidirectional, no projection) computed step by step."""

    def __init__(self, rnn: nn.RNNBase):
        super().__init__()
        if rnn.bidirectional or getattr(rnn, "proj_size", 0):
            raise NeuralabError("population training supports unidirectional recurrent layers "
                                "without projections only")
        if rnn.dropout > 0 and rnn.num_layers > 1:
            raise NeuralabError("population training does not support dropout between stacked "
                                "recurrent layers (torch draws it inside a fused kernel); "
                                "set model.dropout=0 or train these runs one at a time")
        self.mode, self.num_layers = rnn.mode, rnn.num_layers
        self.hidden_size, self.batch_first = rnn.hidden_size, rnn.batch_first
        for name, param in rnn.named_parameters():
            self.register_parameter(name, nn.Parameter(param.detach().clone()))

    def _cell(self, x_proj: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None, layer: int):
        w_hh = getattr(self, f"weight_hh_l{layer}")
        b_hh = getattr(self, f"bias_hh_l{layer}", None)
        h_proj = nn.functional.linear(h, w_hh, b_hh)  # (B, gates * H)
        if self.mode == "GRU":
            xr, xz, xn = x_proj.chunk(3, -1)
            hr, hz, hn = h_proj.chunk(3, -1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            return (1 - z) * n + z * h, None
        if self.mode == "LSTM":
            i, f, g, o = (x_proj + h_proj).chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(c), c
        act = torch.tanh if self.mode == "RNN_TANH" else torch.relu
        return act(x_proj + h_proj), None

    def forward(self, x: torch.Tensor, hx=None):
        if hx is not None:
            raise NeuralabError("population recurrent layers start from a zero state")
        if not self.batch_first:
            x = x.transpose(0, 1)
        B, T, _ = x.shape
        for layer in range(self.num_layers):
            x_proj = nn.functional.linear(x, getattr(self, f"weight_ih_l{layer}"),
                                          getattr(self, f"bias_ih_l{layer}", None))  # (B, T, G*H)
            h = x.new_zeros(B, self.hidden_size)
            c = x.new_zeros(B, self.hidden_size) if self.mode == "LSTM" else None
            outs = []
            for t in range(T):
                h, c = self._cell(x_proj[:, t], h, c, layer)
                outs.append(h)
            x = torch.stack(outs, 1)  # (B, T, H)
        out = x if self.batch_first else x.transpose(0, 1)
        return out, None


def vmap_ready(template: nn.Module, generators: Sequence[torch.Generator]) -> nn.Module:
    """A copy of ``template`` with dropout and recurrent layers rewritten for population use."""
    model = copy.deepcopy(template)
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Dropout):
                setattr(parent, name, MemberDropout(child.p, generators))
            elif isinstance(child, nn.RNNBase):
                setattr(parent, name, UnrolledRNN(child))
            elif isinstance(child, (nn.AlphaDropout, nn.FeatureAlphaDropout, nn.Dropout1d,
                                    nn.Dropout2d, nn.Dropout3d)):
                raise NeuralabError(f"population training does not support {type(child).__name__}")
    return model
