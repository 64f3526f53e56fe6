"""A synthetic translation task: word-for-word through a fixed random lexicon, order kept.

For encoder-decoder experiments in the manner of Sutskever et al., "Sequence to Sequence Learning
with Neural Networks" (arXiv:1409.3215): source sentences are ``length`` words from a source
vocabulary of ``n_words``; the translation maps each word through a lexicon (a permutation drawn
from the seed) and keeps the order, so target word ``i`` aligns with source word ``i``.

Layout (one token sequence per pair, as a sequence task): source words are tokens
``0..n_words-1``, target words ``n_words..2 n_words-1`` and ``BOS = 2 n_words``::

    x = s_1 .. s_L  BOS  t_1 .. t_{L-1}         (teacher forcing: the decoder reads t_<i)
    y = -    ..  -  t_1  t_2 .. t_L              (target word ids 0..n_words-1; source ignored)

so the first ``L`` positions are the source (the encoder's input) and the next ``L`` the decoder.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import IGNORE_INDEX, DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import generator


@register("dataset", "translation", tags={"sequence", "synthetic", "tokens"},
          paper="Sequence to Sequence Learning with Neural Networks", arxiv="1409.3215")
def translation(*, seed: int = 0, length: int = 10, n_words: int = 16, n_train: int = 4000,
                n_test: int = 1000) -> Dataset:
    """Translate ``length`` words through a random one-to-one lexicon, keeping the order."""
    if length < 1 or n_words < 2:
        raise ValueError(f"need length >= 1 and n_words >= 2, got {length} and {n_words}")
    g = generator(seed)
    lexicon = torch.randperm(n_words, generator=g)
    n = n_train + n_test
    source = torch.randint(0, n_words, (n, length), generator=g)
    target = lexicon[source]  # (N, L) target word ids
    bos = torch.full((n, 1), 2 * n_words)
    x = torch.cat([source, bos, target[:, :-1] + n_words], dim=1)  # (N, 2L)
    y = torch.cat([torch.full((n, length), IGNORE_INDEX), target], dim=1)
    return Dataset(
        name="translation",
        spec=DataSpec("sequence", (2 * length,), n_words, vocab_size=2 * n_words + 1),
        x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
        description=f"word-for-word translation of {length} words through a {n_words}-word lexicon",
    )
