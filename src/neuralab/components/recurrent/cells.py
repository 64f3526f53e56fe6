"""LSTM and GRU cells written out from their equations, parameter-compatible with torch.nn.

LSTM (Hochreiter & Schmidhuber, "Long Short-Term Memory", 1997; forget gate of Gers et al., 2000),
with the gate order of ``torch.nn.LSTMCell``::

    i, f, g, o = sigma(.), sigma(.), tanh(.), sigma(.)   of   W_ih x + b_ih + W_hh h + b_hh
    c' = f * c + i * g;      h' = o * tanh(c')

GRU (Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder for Statistical
Machine Translation", arXiv:1406.1078), gate order of ``torch.nn.GRUCell``::

    r = sigma(W_ir x + b_ir + W_hr h + b_hr);   z = sigma(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn));   h' = (1 - z) * n + z * h

The parameters (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) have torch's names and
shapes, so a torch cell's ``state_dict`` loads into these and back. :func:`lstm_gates` and
:func:`gru_gates` hold the element-wise part, shared with the head-wise layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def lstm_gates(pre: torch.Tensor, c: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(h', c')`` from the pre-activations ``pre`` whose ``dim`` holds the 4 gates i, f, g, o."""
    i, f, _, o = torch.sigmoid(pre).unbind(dim)  # one sigmoid kernel for all gates
    c = f * c + i * torch.tanh(pre.select(dim, 2))
    return o * torch.tanh(c), c


def gru_gates(pre_x: torch.Tensor, pre_h: torch.Tensor, h: torch.Tensor, dim: int) -> torch.Tensor:
    """``h'`` from input and hidden pre-activations whose ``dim`` holds the 3 gates r, z, n."""
    xr, xz, xn = pre_x.unbind(dim)
    hr, hz, hn = pre_h.unbind(dim)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h


class _Cell(nn.Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(self.gates * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(self.gates * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(self.gates * hidden_size)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(self.gates * hidden_size)) if bias else None
        bound = 1 / math.sqrt(hidden_size)  # torch's default: U(-1/sqrt(H), 1/sqrt(H))
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _pre(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pre_x = nn.functional.linear(x, self.weight_ih, self.bias_ih)
        pre_h = nn.functional.linear(h, self.weight_hh, self.bias_hh)
        B = x.shape[0]
        return pre_x.view(B, self.gates, self.hidden_size), pre_h.view(B, self.gates, self.hidden_size)


class LSTMCell(_Cell):
    """One LSTM step: ``(x (B, I), (h, c) (B, H)) -> (h', c')``."""

    gates = 4

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        h, c = state
        pre_x, pre_h = self._pre(x, h)
        return lstm_gates(pre_x + pre_h, c, dim=1)  # (B, H) each


class GRUCell(_Cell):
    """One GRU step: ``(x (B, I), h (B, H)) -> h'``."""

    gates = 3

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        pre_x, pre_h = self._pre(x, h)
        return gru_gates(pre_x, pre_h, h, dim=1)  # (B, H)
