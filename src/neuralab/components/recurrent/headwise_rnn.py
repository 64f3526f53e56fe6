"""Head-wise LSTM and GRU mixers: small recurrent networks side by side, like attention heads.

Pöppel et al., "FlashRNN: Optimizing Traditional RNNs on Modern Hardware" (arXiv:2412.07752):
split the hidden state into ``n_heads`` heads whose recurrent matrices are independent, i.e. the
full recurrent matrix is block-diagonal. The input projection stays dense. With ``n_heads=1``
these are exactly ``torch.nn.LSTM`` / ``torch.nn.GRU`` (one layer, hidden size ``d_model``); the
cell equations are in :mod:`neuralab.components.recurrent.cells`.

The loop is *fused* in the sense of the paper's baseline: the input projections of all positions
(with the recurrent bias folded in) are one matrix product before the loop, and each step is one
``baddbmm`` over the heads plus the element-wise gates (``bench/lstm.py`` compares it with
``torch.nn.LSTM``).

Layouts: the input projection's ``G * d_model`` outputs are ordered (gate, head, unit), the
recurrent weight is ``(H, G * d_head, d_head)`` (gate, unit) per head. The state for
:meth:`step` is ``(h, c)`` (LSTM) or ``h`` (GRU), each ``(H, B, d_head)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.components.mixer_utils import check_heads, require_causal
from neuralab.components.recurrent.cells import gru_gates, lstm_gates
from neuralab.registry import register

FLASHRNN = dict(paper="FlashRNN: Optimizing Traditional RNNs on Modern Hardware", arxiv="2412.07752")


class _HeadwiseRNN(nn.Module):
    gates = 1

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, bias: bool = True):
        super().__init__()
        require_causal(type(self).__name__, causal)
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        G = self.gates
        self.input = nn.Linear(d_model, G * d_model, bias=bias)
        self.weight_hh = nn.Parameter(torch.empty(n_heads, G * self.d_head, self.d_head))
        self.bias_hh = nn.Parameter(torch.zeros(n_heads, G * self.d_head)) if bias else None
        bound = 1 / math.sqrt(d_model)  # torch.nn.LSTM/GRU's default range
        nn.init.uniform_(self.weight_hh, -bound, bound)

    def _inputs(self, x: torch.Tensor, fold_bias: bool) -> tuple[torch.Tensor, ...]:
        """``(B, T, D) ->`` T tensors ``(H, B, G * d_head)``: every position's input pre-activations.

        With ``fold_bias`` the recurrent bias is added here, once, instead of at every step.
        """
        B, T, _ = x.shape
        gx = self.input(x).view(B, T, self.gates, self.n_heads, self.d_head)
        gx = gx.permute(1, 3, 0, 2, 4).reshape(T, self.n_heads, B, self.gates * self.d_head)
        if fold_bias and self.bias_hh is not None:
            gx = gx + self.bias_hh.unsqueeze(1)
        return gx.unbind(0)  # unbind: its backward stacks the T gradients once

    def _recurrent(self, addend: torch.Tensor, h: torch.Tensor, w_t: torch.Tensor) -> torch.Tensor:
        """``addend + h W_hh^T`` per head: ``(H, B, G d) + (H, B, d) @ (H, d, G d) -> (H, B, G, d)``."""
        return torch.baddbmm(addend, h, w_t).view(*h.shape[:2], self.gates, self.d_head)

    def _zeros(self, batch_size: int, device, dtype) -> torch.Tensor:
        return torch.zeros(self.n_heads, batch_size, self.d_head, device=device,
                           dtype=dtype or self.weight_hh.dtype)

    @staticmethod
    def _output(hs: list[torch.Tensor]) -> torch.Tensor:
        h = torch.stack(hs)  # (T, H, B, d)
        T, H, B, d = h.shape
        return h.permute(2, 0, 1, 3).reshape(B, T, H * d)  # (B, T, D)


class HeadwiseLSTM(_HeadwiseRNN):
    """LSTM with a block-diagonal recurrent matrix (``n_heads`` blocks)."""

    gates = 4

    def init_state(self, batch_size: int, device=None, dtype=None):
        zeros = self._zeros(batch_size, device, dtype)
        return zeros, zeros

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w_t = self.weight_hh.transpose(1, 2)
        h, c = self.init_state(x.shape[0], x.device, x.dtype)
        hs = []
        for gx_t in self._inputs(x, fold_bias=True):  # (H, B, 4 d) per step
            h, c = lstm_gates(self._recurrent(gx_t, h, w_t), c, dim=2)
            hs.append(h)
        return self._output(hs)

    def step(self, x_t: torch.Tensor, state):
        h, c = state
        (gx,) = self._inputs(x_t.unsqueeze(1), fold_bias=True)
        h, c = lstm_gates(self._recurrent(gx, h, self.weight_hh.transpose(1, 2)), c, dim=2)
        return h.transpose(0, 1).reshape(x_t.shape), (h, c)


class HeadwiseGRU(_HeadwiseRNN):
    """GRU with a block-diagonal recurrent matrix (``n_heads`` blocks)."""

    gates = 3

    def init_state(self, batch_size: int, device=None, dtype=None):
        return self._zeros(batch_size, device, dtype)

    def _hidden(self, h: torch.Tensor, w_t: torch.Tensor) -> torch.Tensor:
        bias = self.bias_hh.unsqueeze(1).expand(-1, h.shape[1], -1) if self.bias_hh is not None \
            else h.new_zeros(h.shape[0], h.shape[1], w_t.shape[-1])
        return self._recurrent(bias, h, w_t)  # r * (W_hn h + b_hn) needs its own bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w_t = self.weight_hh.transpose(1, 2)
        h = self.init_state(x.shape[0], x.device, x.dtype)
        hs = []
        for gx_t in self._inputs(x, fold_bias=False):  # (H, B, 3 d) per step
            h = gru_gates(gx_t.view(*h.shape[:2], 3, self.d_head), self._hidden(h, w_t), h, dim=2)
            hs.append(h)
        return self._output(hs)

    def step(self, x_t: torch.Tensor, h: torch.Tensor):
        (gx,) = self._inputs(x_t.unsqueeze(1), fold_bias=False)
        pre_h = self._hidden(h, self.weight_hh.transpose(1, 2))
        h = gru_gates(gx.view(*h.shape[:2], 3, self.d_head), pre_h, h, dim=2)
        return h.transpose(0, 1).reshape(x_t.shape), h


@register("mixer", "lstm", tags={"vmap_safe"}, **FLASHRNN)
def lstm(d_model: int, n_heads: int, causal: bool, *, bias: bool = True) -> HeadwiseLSTM:
    """Head-wise LSTM (block-diagonal recurrence); n_heads=1 is torch.nn.LSTM."""
    return HeadwiseLSTM(d_model, n_heads, causal, bias=bias)


@register("mixer", "gru", tags={"vmap_safe"}, **FLASHRNN)
def gru(d_model: int, n_heads: int, causal: bool, *, bias: bool = True) -> HeadwiseGRU:
    """Head-wise GRU (block-diagonal recurrence); n_heads=1 is torch.nn.GRU."""
    return HeadwiseGRU(d_model, n_heads, causal, bias=bias)
