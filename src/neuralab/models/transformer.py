"""A small Transformer: an encoder classifier or a causal (character) language model.

Vaswani et al., "Attention Is All You Need" (arXiv:1706.03762); the decoder-only LM follows
Radford et al. (GPT-2) and nanoGPT. Inputs pass through a
:class:`~neuralab.models.stems.SequenceStem` plus learned position embeddings to ``(B, T, D)``,
then ``n_layers`` blocks; the mixer, the feed-forward block (``ffn``), its ``activation`` and the
``norm`` are registered parts chosen by name.

Where the norms sit is one option, ``norm_position``:

- ``"pre"`` (Xiong et al., arXiv:2002.04745): ``x = x + mixer(norm_1(x)); x = x + ffn(norm_2(x))``.
- ``"post"`` (the original): ``x = norm_1(x + mixer(x)); x = norm_2(x + ffn(x))``.
- ``"mix"`` (Mix-LN; Li et al., "Mix-LN: Unleashing the Power of Deeper Layers by Combining Pre-LN
  and Post-LN", arXiv:2412.13795): Post-LN in the first ``floor(mix_ratio * n_layers)`` blocks,
  Pre-LN in the rest.
- ``"scaled"`` (LayerNorm Scaling; Sun et al., "The Curse of Depth in Large Language Models",
  arXiv:2502.05795): Pre-LN whose norm outputs in block ``l`` (counted from 1) are scaled by
  ``1 / sqrt(l)``: ``x = x + mixer(norm_1(x) / sqrt(l)); x = x + ffn(norm_2(x) / sqrt(l))``.

A stack whose last block is Pre-LN ends with a final norm. Classification and regression read the
mean over positions (encoder) or the last position (causal); sequence tasks read every position.
``causal`` defaults to True for sequence tasks and False otherwise.

``mixer`` names any registered mixer and ``mixer_options`` sets its hyper-parameters
(``--set 'model.mixer_options={negative_eigenvalues=true}'``); ``positions="none"`` drops the
position embeddings (recurrent mixers know order by themselves and then run at any length).

Evaluation tools of the char-LM testbed: ``with model.dropping_blocks([5]): ...`` skips blocks
(each becomes the identity on the residual stream), and a causal model generates token by token
through its mixers' ``init_state`` / ``step`` interface (a KV cache for softmax attention):
:meth:`Transformer.step` and :meth:`Transformer.generate`, which give the same logits as
recomputing the whole prefix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.errors import NeuralabError
from neuralab.models.base import Model
from neuralab.models.mlp import ActivationName, InitName, NormName
from neuralab.models.stems import SequenceStem, sequence_shape
from neuralab.registry import REGISTRY, register, registered_name

MixerName = registered_name("mixer")
FFNName = registered_name("ffn")
Positions = Literal["learned", "none"]
NormPosition = Literal["pre", "post", "mix", "scaled"]


def block_layouts(position: NormPosition, n_layers: int, mix_ratio: float) -> list[tuple[str, float]]:
    """``(pre | post, norm-output scale)`` for each block of a ``position`` stack."""
    if position == "mix":
        n_post = math.floor(mix_ratio * n_layers)
        return [("post" if i < n_post else "pre", 1.0) for i in range(n_layers)]
    if position == "scaled":
        return [("pre", 1.0 / math.sqrt(i + 1)) for i in range(n_layers)]
    return [(position, 1.0)] * n_layers


class TransformerBlock(nn.Module):
    """A residual mixer sub-layer and a residual feed-forward sub-layer, with norms."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, *, causal: bool, mixer: str, ffn: str,
                 activation: str, norm: str, norm_position: Literal["pre", "post"], dropout: float,
                 norm_scale: float = 1.0, mixer_options: dict[str, Any] | None = None):
        super().__init__()
        self.norm_position, self.norm_scale = norm_position, norm_scale
        self.norm1 = make_norm(norm, d_model)
        self.mixer = REGISTRY.create("mixer", mixer, d_model, n_heads, causal, **(mixer_options or {}))
        self.norm2 = make_norm(norm, d_model)
        self.ffn = REGISTRY.create("ffn", ffn, d_model, d_ff, activation)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def _sublayers(self, x: torch.Tensor, mix) -> torch.Tensor:
        """The block on ``x`` (``(B, T, D)`` or one token ``(B, D)``), ``mix`` the mixer call."""
        if self.norm_position == "pre":
            s = self.norm_scale
            x = x + self.dropout(mix(self.norm1(x) * s if s != 1.0 else self.norm1(x)))
            h = self.norm2(x)
            return x + self.dropout(self.ffn(h * s if s != 1.0 else h))
        x = self.norm1(x + self.dropout(mix(x)))
        return self.norm2(x + self.dropout(self.ffn(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._sublayers(x, self.mixer)  # (B, T, D) -> (B, T, D)

    def step(self, x_t: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """One position ``(B, D)`` through the block, the mixer carrying ``state``."""
        new_state = []

        def mix(h: torch.Tensor) -> torch.Tensor:
            y, s = self.mixer.step(h, state)
            new_state.append(s)
            return y

        return self._sublayers(x_t, mix), new_state[0]  # (B, D)


@dataclass
class GenerationState:
    """Where a causal model is in a sequence: the next position and each block's mixer state."""

    position: int
    blocks: list[Any]


class Transformer(Model):
    """Stem + position embedding -> blocks -> (final norm) -> pooling -> linear head."""

    def __init__(self, spec: DataSpec, *, d_model: int, n_layers: int, n_heads: int, d_ff: int,
                 causal: bool, mixer: str, ffn: str, activation: str, norm: str,
                 norm_position: NormPosition, mix_ratio: float, dropout: float, init: str,
                 mixer_options: dict[str, Any] | None = None, positions: Positions = "learned"):
        super().__init__()
        self.per_step = spec.task == "sequence"
        self.causal = causal
        self.tokens = spec.tokens
        length, _ = sequence_shape(spec)
        self.stem = SequenceStem(spec, d_model)
        self.pos = nn.Parameter(torch.zeros(length, d_model)) if positions == "learned" else None
        layouts = block_layouts(norm_position, n_layers, mix_ratio)
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, d_ff, causal=causal, mixer=mixer, ffn=ffn,
                             activation=activation, norm=norm, norm_position=where,
                             norm_scale=scale, dropout=dropout, mixer_options=mixer_options)
            for where, scale in layouts)
        ends_pre = bool(layouts) and layouts[-1][0] == "pre"
        self.final_norm = make_norm(norm, d_model) if ends_pre else nn.Identity()
        self.head = nn.Linear(d_model, spec.n_outputs)
        self.skipped: frozenset[int] = frozenset()
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")
        if self.pos is not None:
            with torch.no_grad():
                nn.init.normal_(self.pos, std=0.02)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[-1]
        h = self.stem(x)  # (B, T, D)
        if self.pos is not None:
            h = h + self.pos[:T]
        for i, block in enumerate(self.blocks):
            if i not in self.skipped:
                h = block(h)  # (B, T, D)
        h = self.final_norm(h)
        if self.per_step:
            return h  # (B, T, D)
        return h[:, -1] if self.causal else h.mean(1)  # (B, D)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, [T,] n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"stem": self.stem, **{f"block{i}": b for i, b in enumerate(self.blocks)},
                "head": self.head}

    # -- evaluation tools -----------------------------------------------------------------------
    @contextmanager
    def dropping_blocks(self, indices: Iterable[int]) -> Iterator[Transformer]:
        """Skip the blocks ``indices`` (0-based) inside the ``with`` block, then restore."""
        indices = frozenset(int(i) for i in indices)
        bad = sorted(i for i in indices if not 0 <= i < len(self.blocks))
        if bad:
            raise NeuralabError(f"cannot drop blocks {bad}: the model has blocks "
                                f"0..{len(self.blocks) - 1}")
        before, self.skipped = self.skipped, self.skipped | indices
        try:
            yield self
        finally:
            self.skipped = before

    def init_state(self, batch_size: int, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> GenerationState:
        """The state before the first position: every block's mixer state, position 0."""
        if not self.causal:
            raise NeuralabError("only a causal transformer generates token by token")
        device = device or self.head.weight.device
        dtype = dtype or self.head.weight.dtype
        states = []
        for block in self.blocks:
            if not hasattr(block.mixer, "step"):
                raise NeuralabError(f"mixer {type(block.mixer).__name__} has no step(); it cannot "
                                    "generate token by token")
            states.append(block.mixer.init_state(batch_size, device=device, dtype=dtype))
        return GenerationState(0, states)

    def step(self, x_t: torch.Tensor, state: GenerationState) -> tuple[torch.Tensor, GenerationState]:
        """One input position (``(B,)`` tokens or ``(B, C)`` features) -> head outputs ``(B, n_out)``."""
        t = state.position
        h = self.stem(x_t.unsqueeze(-1))[:, 0]  # (B, D)
        if self.pos is not None:
            if t >= self.pos.shape[0]:
                raise NeuralabError(f"position {t} is beyond the model's context of {self.pos.shape[0]}")
            h = h + self.pos[t]
        blocks = list(state.blocks)
        for i, block in enumerate(self.blocks):
            if i not in self.skipped:
                h, blocks[i] = block.step(h, blocks[i])  # (B, D)
        return self.head(self.final_norm(h)), GenerationState(t + 1, blocks)

    @torch.no_grad()
    def generate(self, prompt: torch.Tensor, max_new_tokens: int, *, temperature: float = 1.0,
                 greedy: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
        """Continue token prompts ``(B, T0)`` by ``max_new_tokens`` sampled (or argmax) tokens."""
        if not (self.tokens and self.per_step):
            raise NeuralabError("generate() needs a causal language model over tokens")
        B, T0 = prompt.shape
        context = self.pos.shape[0] if self.pos is not None else T0 + max_new_tokens
        if T0 < 1 or T0 + max_new_tokens > context:
            raise NeuralabError(f"prompt length {T0} plus {max_new_tokens} new tokens must fit the "
                                f"context of {context}")
        was_training = self.training
        self.eval()
        try:
            state = self.init_state(B)
            out = [prompt]
            for t in range(T0):
                logits, state = self.step(prompt[:, t], state)
            for _ in range(max_new_tokens):
                if greedy:
                    token = logits.argmax(-1)
                else:
                    probs = torch.softmax(logits / temperature, dim=-1)
                    token = torch.multinomial(probs, 1, generator=generator).squeeze(1)
                out.append(token.unsqueeze(1))
                logits, state = self.step(token, state)
            return torch.cat(out, dim=1)  # (B, T0 + max_new_tokens)
        finally:
            self.train(was_training)


@register("model", "transformer", aliases=("char_lm",), paper="Attention Is All You Need",
          arxiv="1706.03762")
def transformer(
    spec: DataSpec,
    *,
    d_model: int = 64,
    n_layers: int = 2,
    n_heads: int = 4,
    d_ff: int | None = None,
    causal: bool | None = None,
    mixer: MixerName = "softmax_attention",
    mixer_options: dict[str, Any] | None = None,
    ffn: FFNName = "mlp",
    activation: ActivationName = "gelu",
    norm: NormName = "layer",
    norm_position: NormPosition = "pre",
    mix_ratio: float = 0.25,
    dropout: float = 0.0,
    init: InitName = "xavier",
    positions: Positions = "learned",
) -> Transformer:
    """Transformer encoder classifier, or causal LM for sequence tasks."""
    if d_model < 1 or n_layers < 0 or n_heads < 1:
        raise ValueError("need d_model >= 1, n_layers >= 0 and n_heads >= 1")
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    if not 0.0 <= mix_ratio <= 1.0:
        raise ValueError(f"mix_ratio must be in [0, 1], got {mix_ratio}")
    return Transformer(
        spec, d_model=d_model, n_layers=n_layers, n_heads=n_heads, d_ff=d_ff or 4 * d_model,
        causal=spec.task == "sequence" if causal is None else causal, mixer=mixer, ffn=ffn,
        activation=activation, norm=norm, norm_position=norm_position, mix_ratio=mix_ratio,
        dropout=dropout, init=init, mixer_options=mixer_options, positions=positions)
