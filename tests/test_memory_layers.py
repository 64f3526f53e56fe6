"""Hopfield layers, the memory network and the key-value bottleneck against their definitions."""

import math

import pytest
import torch
import torch.nn.functional as F

from neuralab.components.memory.hopfield import (
    HopfieldLayer,
    HopfieldPooling,
    hopfield_energy,
    hopfield_update,
)
from neuralab.components.memory.kv_bottleneck import DiscreteKeyValueBottleneck
from neuralab.components.memory.memory_network import position_encoding
from neuralab.components.mixer_utils import merge_heads, split_heads
from neuralab.data.dataset import DataSpec
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY
from neuralab.seed import seeded

G = torch.Generator().manual_seed(0)


def test_one_hopfield_update_is_attention():
    X = torch.randn(2, 30, 8, generator=G)  # stored patterns (rows)
    xi = torch.randn(2, 5, 8, generator=G)  # state patterns
    ref = F.scaled_dot_product_attention(xi, X, X, scale=0.7)
    torch.testing.assert_close(hopfield_update(X, xi, beta=0.7), ref)


def test_update_lowers_the_energy_and_retrieves_a_stored_pattern_in_one_step():
    d, N = 64, 500
    X = torch.sign(torch.randn(N, d, generator=G))
    noisy = X[:20].clone()
    flip = torch.rand(20, d, generator=G).argsort(-1)[:, :12]  # 12 of 64 bits flipped
    noisy.scatter_(1, flip, -noisy.gather(1, flip))
    new = hopfield_update(X, noisy, beta=0.5)
    assert (hopfield_energy(X, new, 0.5) <= hopfield_energy(X, noisy, 0.5) + 1e-5).all()
    assert torch.equal(torch.sign(new), X[:20])  # one update, every pattern retrieved
    uniform = hopfield_update(X, noisy, beta=1e-6)  # tiny beta: the global average
    torch.testing.assert_close(uniform, X.mean(0).expand(20, d), atol=1e-3, rtol=0)


def test_hopfield_mixer_is_attention_on_projected_patterns_and_iterates():
    with seeded(0):
        m = REGISTRY.create("mixer", "hopfield", 16, 2, False)
        m3 = REGISTRY.create("mixer", "hopfield", 16, 2, True, n_updates=2, beta=0.5)
    x = torch.randn(2, 7, 16, generator=G)
    k = m.key(x)
    q, kh, v = split_heads(m.query(x), 2), split_heads(k, 2), split_heads(m.value(k), 2)
    ref = m.out(merge_heads(F.scaled_dot_product_attention(q, kh, v, scale=1 / math.sqrt(8))))
    torch.testing.assert_close(m(x), ref)
    k = m3.key(x)
    q, kh, v = split_heads(m3.query(x), 2), split_heads(k, 2), split_heads(m3.value(k), 2)
    mask = torch.ones(7, 7, dtype=torch.bool).tril()
    for _ in range(2):
        q = F.scaled_dot_product_attention(q, kh, kh, attn_mask=mask, scale=0.5)
    ref = m3.out(merge_heads(F.scaled_dot_product_attention(q, kh, v, attn_mask=mask, scale=0.5)))
    torch.testing.assert_close(m3(x), ref)


def test_hopfield_pooling_and_layer_formulas():
    pool = HopfieldPooling(16, n_heads=2, n_queries=3)
    x = torch.randn(2, 9, 16, generator=G)
    k = pool.key(x)
    q = pool.queries.unsqueeze(0).expand(2, -1, -1, -1)
    ref = pool.out(merge_heads(F.scaled_dot_product_attention(
        q, split_heads(k, 2), split_heads(pool.value(k), 2), scale=1 / math.sqrt(8))))
    torch.testing.assert_close(pool(x), ref)
    assert pool(x[:, torch.randperm(9, generator=G)]).sub(pool(x)).abs().max() < 1e-5  # order-free
    layer = HopfieldLayer(16, 12, beta=0.3)
    probs = torch.softmax(0.3 * layer.query(x) @ layer.patterns.T, -1)
    torch.testing.assert_close(layer(x), probs @ layer.value(layer.patterns))
    assert isinstance(REGISTRY.create("ffn", "hopfield_layer", 16, 12, "gelu"), HopfieldLayer)


def test_memn2n_position_encoding_and_hops():
    l = position_encoding(3, 4)
    for j in range(1, 4):
        for k in range(1, 5):
            assert l[j - 1, k - 1] == pytest.approx((1 - j / 3) - (k / 4) * (1 - 2 * j / 3))
    spec = DataSpec("classification", (9,), 5, vocab_size=12)
    model = build_model("memn2n", spec, {"d_model": 8, "hops": 2, "sentence_length": 2})
    x = torch.randint(0, 12, (3, 9), generator=G)
    mem = model.memory
    story = x[:, :8].view(3, 4, 2)
    enc = position_encoding(2, 8)

    def bag(e, words):
        return (e(words) * enc[: words.shape[-1]]).sum(-2)

    u = bag(mem.embed[0], x[:, 8:9])  # B = A^1
    for k in range(2):  # adjacent tying: hop k reads with E_k, outputs with E_{k+1}
        m_k = bag(mem.embed[k], story) + mem.temporal[k, :4]
        c_k = bag(mem.embed[k + 1], story) + mem.temporal[k + 1, :4]
        u = u + torch.einsum("bs,bsd->bd", torch.softmax(torch.einsum("bd,bsd->bs", u, m_k), -1), c_k)
    torch.testing.assert_close(model(x), model.head(u))
    with pytest.raises(Exception, match="sentences of 3"):
        build_model("memn2n", spec, {"sentence_length": 3})


def test_kv_bottleneck_selects_nearest_keys_and_updates_only_their_values():
    torch.manual_seed(0)
    layer = DiscreteKeyValueBottleneck(10, 3, n_codebooks=4, n_keys=8, d_key=2)
    z = torch.randn(64, 10, generator=G)
    layer.train()
    layer(z)  # the first training batch places the keys (k-means++ seeds are data points)
    assert bool(layer.initialized)
    heads = layer.project(z)
    for c in range(4):
        dists = ((heads[:, c, None, :] - layer.keys[c][None]) ** 2).sum(-1)
        assert torch.equal(layer.select(z)[:, c], dists.argmin(-1))
        on_data = (layer.keys[c][:, None] - heads[None, :, c]).norm(dim=-1).amin(-1)
        assert on_data.max() < 1e-5
    with torch.no_grad():
        layer.values.normal_(generator=G)
    idx = layer.select(z[:5])
    torch.testing.assert_close(layer(z[:5]), layer.values[torch.arange(4), idx].mean(1))
    layer.values.grad = None
    layer(z[:1]).sum().backward()
    touched = (layer.values.grad.abs().sum(-1) > 0).nonzero().tolist()
    assert touched == [[c, int(idx[0, c])] for c in range(4)]  # one value per codebook
    assert not layer.keys.requires_grad and not layer.projections.requires_grad
