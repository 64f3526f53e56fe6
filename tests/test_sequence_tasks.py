"""The sequence tasks' labels, and the encoder-decoder that reads the translation layout."""

import torch

from neuralab.data import IGNORE_INDEX, load_dataset
from neuralab.models.base import build_model


def test_parity_and_modular_sum_label_every_prefix():
    p = load_dataset("parity", length=12, n_train=50, n_test=10)
    assert (p.x_train[:, 0] == 2).all() and (p.y_train[:, 0] == IGNORE_INDEX).all()
    bits = p.x_train[:, 1:]
    assert set(bits.unique().tolist()) == {0, 1}
    assert torch.equal(p.y_train[:, 1:], torch.cumsum(bits, 1) % 2)
    m = load_dataset("modular_sum", modulus=5, length=9, n_train=50, n_test=10)
    assert m.spec.vocab_size == 6 and m.spec.n_outputs == 5
    assert torch.equal(m.y_test[:, -1], m.x_test[:, 1:].sum(1) % 5)


def test_selective_copy_targets_are_the_scattered_tokens_in_order():
    d = load_dataset("selective_copy", length=20, n_data=4, n_symbols=6, n_train=50, n_test=10)
    for x, y in zip(d.x_train, d.y_train):
        region = x[:20]
        data = region[region != 6]  # noise token = n_symbols
        assert data.numel() == 4 and x[20] == 7  # delimiter
        assert torch.equal(y[20:24], data) and (y[:20] == IGNORE_INDEX).all()
    spread = (d.x_train[:, :20] != 6).float().mean(0)
    assert spread.min() > 0  # data tokens appear everywhere in the region


def test_long_range_matching_labels_and_balance():
    d = load_dataset("long_range_matching", length=30, n_train=400, n_test=10)
    assert torch.equal(d.y_train, (d.x_train[:, 0] == d.x_train[:, -1]).long())
    assert 0.4 < d.y_train.float().mean() < 0.6


def test_translation_is_word_for_word_through_one_lexicon():
    d = load_dataset("translation", length=6, n_words=10, n_train=300, n_test=10)
    src, tgt = d.x_train[:, :6], d.y_train[:, 6:]
    assert (d.y_train[:, :6] == IGNORE_INDEX).all() and (d.x_train[:, 6] == 20).all()
    assert torch.equal(d.x_train[:, 7:] - 10, tgt[:, :-1])  # teacher forcing: previous target word
    lexicon = {}
    for s, t in zip(src.reshape(-1).tolist(), tgt.reshape(-1).tolist()):
        assert lexicon.setdefault(s, t) == t
    assert sorted(lexicon.values()) == list(range(10))


def test_seq2seq_reverse_source_reads_the_flipped_source():
    d = load_dataset("translation", length=5, n_words=8, n_train=20, n_test=4)
    fwd = build_model("seq2seq_lstm", d.spec, {"width": 16}, seed=3)
    rev = build_model("seq2seq_lstm", d.spec, {"width": 16, "reverse_source": True}, seed=3)
    x = d.x_train[:4]
    flipped = torch.cat([x[:, :5].flip(1), x[:, 5:]], 1)
    torch.testing.assert_close(rev(x), fwd(flipped))
    # the decoder starts from the encoder's final state: changing the source changes the output
    other = x.clone()
    other[:, 0] = (other[:, 0] + 1) % 8
    assert not torch.allclose(fwd(other)[:, 5:], fwd(x)[:, 5:])
    # and the decoder is causal in its own input
    later = x.clone()
    later[:, 8] = 16
    torch.testing.assert_close(fwd(later)[:, :8], fwd(x)[:, :8])
