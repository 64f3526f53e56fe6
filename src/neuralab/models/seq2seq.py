"""An LSTM encoder-decoder for token sequences laid out as ``source | decoder input``.

Sutskever et al., "Sequence to Sequence Learning with Neural Networks" (arXiv:1409.3215): one
LSTM reads the source, a second LSTM starts from its final state ``(h, c)`` and predicts the
target word by word (teacher forcing: it reads the previous target word). The paper's finding:
feeding the source in *reverse* order (``reverse_source=True``) makes learning much easier,
because the first target words then sit close to the source words they depend on.

The input of ``T`` tokens holds the source in its first ``source_length`` positions (default
``T // 2``, the ``translation`` dataset's layout) and the decoder's input after them. Features
are per position ``(B, T, width)``: the encoder's outputs on source positions (a sequence task
gives them no targets) and the decoder's on the rest. LSTMs are ``torch.nn.LSTM``.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.init import initialize
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import InitName
from neuralab.registry import register


class Seq2SeqLSTM(Model):
    """Embedding -> encoder LSTM -> (h, c) -> decoder LSTM -> linear head."""

    def __init__(self, spec: DataSpec, *, width: int, layers: int, source_length: int | None,
                 reverse_source: bool, init: str):
        super().__init__()
        if spec.task != "sequence" or not spec.tokens or len(spec.input_shape) != 1:
            raise ValueError("seq2seq_lstm needs a sequence task on (T,) tokens")
        T = spec.input_shape[0]
        self.source_length = source_length if source_length is not None else T // 2
        if not 1 <= self.source_length < T:
            raise ValueError(f"source_length must be in [1, {T - 1}], got {self.source_length}")
        self.reverse_source = reverse_source
        self.embed = nn.Embedding(spec.vocab_size, width)
        self.encoder = nn.LSTM(width, width, num_layers=layers, batch_first=True)
        self.decoder = nn.LSTM(width, width, num_layers=layers, batch_first=True)
        self.head = nn.Linear(width, spec.n_outputs)
        initialize(self.encoder, init, "tanh")
        initialize(self.decoder, init, "tanh")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        source, target_in = x[:, : self.source_length], x[:, self.source_length:]
        if self.reverse_source:
            source = source.flip(1)
        enc, state = self.encoder(self.embed(source))  # (B, S, W), ((L, B, W), (L, B, W))
        dec, _ = self.decoder(self.embed(target_in), state)  # (B, T - S, W)
        return torch.cat([enc, dec], dim=1)  # (B, T, W)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, T, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder, "head": self.head}


@register("model", "seq2seq_lstm", paper="Sequence to Sequence Learning with Neural Networks",
          arxiv="1409.3215")
def seq2seq_lstm(spec: DataSpec, *, width: int = 64, layers: int = 1,
                 source_length: int | None = None, reverse_source: bool = False,
                 init: InitName = "default") -> Seq2SeqLSTM:
    """LSTM encoder-decoder (source | decoder input layout), optionally reading the source reversed."""
    if width < 1 or layers < 1:
        raise ValueError(f"need width >= 1 and layers >= 1, got width={width}, layers={layers}")
    return Seq2SeqLSTM(spec, width=width, layers=layers, source_length=source_length,
                       reverse_source=reverse_source, init=init)
