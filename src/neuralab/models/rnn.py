"""Recurrent classifiers and sequence models with GRU, LSTM or Elman cells (torch.nn).

Inputs pass through a :class:`~neuralab.models.stems.SequenceStem` to ``(B, T, width)`` and a
stacked ``torch.nn`` recurrent layer. For classification and regression the features are the last
step's hidden state ``(B, width)``; for sequence tasks every step's ``(B, T, width)``.

GRU: Cho et al., arXiv:1406.1078. LSTM: Hochreiter & Schmidhuber, "Long Short-Term Memory" (1997).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from neuralab.components.init import initialize
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import InitName
from neuralab.models.stems import SequenceStem
from neuralab.registry import register

Cell = Literal["gru", "lstm", "rnn"]


class RecurrentNet(Model):
    """Stem -> torch recurrent stack -> linear head."""

    def __init__(self, spec: DataSpec, *, cell: Cell, width: int, layers: int, dropout: float,
                 init: str):
        super().__init__()
        self.per_step = spec.task == "sequence"
        self.stem = SequenceStem(spec, width)
        rnn_cls = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[cell]
        self.rnn = rnn_cls(width, width, num_layers=layers, batch_first=True,
                           dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(width, spec.n_outputs)
        initialize(self.rnn, init, "tanh")
        initialize(self.head, "xavier", "linear")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.stem(x))  # (B, T, width)
        return h if self.per_step else h[:, -1]  # (B, T, width) or (B, width)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, [T,] n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"stem": self.stem, "rnn": self.rnn, "head": self.head}


def _recurrent(spec: DataSpec, cell: Cell, width: int, layers: int, dropout: float, init: str) -> RecurrentNet:
    if width < 1 or layers < 1:
        raise ValueError(f"need width >= 1 and layers >= 1, got width={width}, layers={layers}")
    return RecurrentNet(spec, cell=cell, width=width, layers=layers, dropout=dropout, init=init)


@register("model", "gru", paper="Learning Phrase Representations using RNN Encoder-Decoder for "
          "Statistical Machine Translation", arxiv="1406.1078")
def gru(spec: DataSpec, *, width: int = 64, layers: int = 1, dropout: float = 0.0,
        init: InitName = "default") -> RecurrentNet:
    """GRU network (torch.nn.GRU): classifier on the last state, or per-step outputs."""
    return _recurrent(spec, "gru", width, layers, dropout, init)


@register("model", "lstm", paper="Long Short-Term Memory")
def lstm(spec: DataSpec, *, width: int = 64, layers: int = 1, dropout: float = 0.0,
         init: InitName = "default") -> RecurrentNet:
    """LSTM network (torch.nn.LSTM): classifier on the last state, or per-step outputs."""
    return _recurrent(spec, "lstm", width, layers, dropout, init)


@register("model", "elman_rnn", paper="Finding Structure in Time")
def elman_rnn(spec: DataSpec, *, width: int = 64, layers: int = 1, dropout: float = 0.0,
              init: InitName = "default") -> RecurrentNet:
    """Elman tanh RNN (torch.nn.RNN)."""
    return _recurrent(spec, "rnn", width, layers, dropout, init)
