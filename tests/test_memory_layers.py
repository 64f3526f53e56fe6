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


def _hopfield_pooling_by_hand(model, x, beta, n_updates=0):
    """``hopfield_pooling``'s logits written out: embedded inputs ``Y`` (stored patterns), keys
    ``K = Y W_K + b_K``, values ``V = K W_V + b_V``; per head ``h`` the learned state patterns
    ``Q_h`` are updated ``n_updates`` times by ``Q_h <- softmax(beta Q_h K_h^T) K_h``, then
    ``Z_h = softmax(beta Q_h K_h^T) V_h``; heads concatenated, the output map, flattened, the head."""
    pool = model.pool
    Y = x.unsqueeze(-1) * model.stem.embed.weight[:, 0] + model.stem.embed.bias  # (B, T, D)
    K = Y @ pool.key.weight.T + pool.key.bias
    V = K @ pool.value.weight.T + pool.value.bias
    H, d = pool.queries.shape[0], pool.queries.shape[-1]
    heads = []
    for h in range(H):
        Kh, Vh = K[..., h * d:(h + 1) * d], V[..., h * d:(h + 1) * d]  # (B, T, d)
        Qh = pool.queries[h].expand(x.shape[0], -1, -1)  # (B, Q, d)
        for _ in range(n_updates):
            Qh = torch.softmax(beta * Qh @ Kh.transpose(1, 2), -1) @ Kh
        heads.append(torch.softmax(beta * Qh @ Kh.transpose(1, 2), -1) @ Vh)  # (B, Q, d)
    Z = torch.cat(heads, -1) @ pool.out.weight.T + pool.out.bias  # (B, Q, D)
    return Z.flatten(1) @ model.head.weight.T + model.head.bias


@pytest.mark.parametrize("params, beta", [({}, 1 / math.sqrt(4)),  # default beta: 1 / sqrt(d_head)
                                          ({"beta": 0.3, "n_updates": 2}, 0.3)])
def test_hopfield_pooling_model_is_softmax_retrieval_with_its_own_weights(params, beta):
    spec = DataSpec("classification", (9,), 3)
    model = build_model("hopfield_pooling", spec,
                        {"d_model": 8, "n_heads": 2, "n_queries": 3, **params}, seed=0)
    x = torch.randn(5, 9, generator=G)
    ref = _hopfield_pooling_by_hand(model, x, beta, params.get("n_updates", 0))
    torch.testing.assert_close(model(x), ref)
    perm = torch.randperm(9, generator=G)  # a set classifier: the order of the inputs is irrelevant
    torch.testing.assert_close(model(x[:, perm]), model(x), atol=1e-5, rtol=1e-5)


def test_kv_bottleneck_model_returns_the_values_of_the_nearest_keys():
    spec = DataSpec("classification", (2, 2), 3)  # inputs (C, L) = (2, 2), flattened to 4 numbers
    model = build_model("kv_bottleneck", spec, {"n_codebooks": 2, "n_keys": 3, "d_key": 2}, seed=0)
    bottleneck = model.bottleneck
    keys = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    values = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 4.0]],
                           [[8.0, 0.0, 0.0], [0.0, 16.0, 0.0], [0.0, 0.0, 32.0]]])
    with torch.no_grad():  # codebook 0 reads the first two numbers, codebook 1 the last two
        bottleneck.projections.copy_(torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]],
                                                   [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]]))
        bottleneck.keys.copy_(keys.expand(2, 3, 2))
        bottleneck.initialized.fill_(True)  # the keys stay where they were put
        bottleneck.values.copy_(values)
    x = torch.tensor([[[0.9, 0.2], [0.1, 0.7]],     # codebook 0 -> key 1, codebook 1 -> key 2
                      [[0.1, -0.2], [1.2, 0.3]],    # key 0, key 1
                      [[-0.1, 0.8], [0.2, 0.1]]])   # key 2, key 0
    nearest = [(1, 2), (0, 1), (2, 0)]
    expected = torch.stack([(values[0, a] + values[1, b]) / 2 for a, b in nearest])
    assert bottleneck.select(x.flatten(1)).tolist() == [list(p) for p in nearest]
    for mode in (True, False):
        model.train(mode)
        torch.testing.assert_close(model(x), expected)
    assert torch.equal(bottleneck.keys, keys.expand(2, 3, 2))
