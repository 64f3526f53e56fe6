"""Attention variants against their defining formulas and torch references."""

import math

import pytest
import torch
import torch.nn.functional as F

from neuralab.components.attention import linear_forms
from neuralab.components.attention.rotary import rotary
from neuralab.components.attention.tcnca import chunked_attention
from neuralab.components.mixer_utils import merge_heads, split_heads
from neuralab.registry import REGISTRY
from neuralab.seed import seeded

G = torch.Generator().manual_seed(0)
X = torch.randn(2, 9, 16, generator=G)
X11 = torch.randn(2, 11, 16, generator=G)


def make(name, causal=True, **options):
    with seeded(0):
        return REGISTRY.create("mixer", name, 16, 2, causal, **options)


def heads(t):
    return split_heads(t, 2)


def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).tril()


@pytest.mark.parametrize("causal", [True, False])
def test_softmax_attention_is_the_formula(causal):
    m = make("softmax_attention", causal)
    q, k, v = (heads(t) for t in m.qkv(X).chunk(3, -1))
    scores = q @ k.transpose(-1, -2) / math.sqrt(8)
    if causal:
        scores = scores.masked_fill(~causal_mask(9), float("-inf"))
    ref = m.out(merge_heads(scores.softmax(-1) @ v))
    torch.testing.assert_close(m(X), ref)


@pytest.mark.parametrize("causal", [True, False])
def test_relu_attention_divides_relu_scores_by_the_visible_length(causal):
    m = make("relu_attention", causal)
    q, k, v = (heads(t) for t in m.qkv(X).chunk(3, -1))
    scores = torch.relu(q @ k.transpose(-1, -2) / math.sqrt(8))
    if causal:
        scores = scores * causal_mask(9) / torch.arange(1, 10).view(9, 1)
    else:
        scores = scores / 9
    torch.testing.assert_close(m(X), m.out(merge_heads(scores @ v)))
    unscaled = make("relu_attention", causal, scale="none")
    assert not torch.allclose(unscaled(X), m(X))


def test_rela_normalizes_heads_with_rms_and_can_switch_a_head_off():
    m = make("rela", gate=True)
    q, k, v = (heads(t) for t in m.qkv(X).chunk(3, -1))
    mixed = (torch.relu(q @ k.transpose(-1, -2) / math.sqrt(8)) * causal_mask(9)) @ v
    normed = mixed / torch.sqrt(mixed.pow(2).mean(-1, keepdim=True) + 1e-6) * m.gain
    ref = m.out(merge_heads(normed) * torch.sigmoid(m.gate(X)))
    torch.testing.assert_close(m(X), ref)
    with torch.no_grad():  # all scores negative: the head outputs exactly zero (softmax cannot)
        m.qkv.weight.zero_()
        m.qkv.bias.copy_(torch.cat([torch.ones(16), -torch.ones(16), torch.ones(16)]))
        m.gate.weight.zero_(), m.gate.bias.zero_()
        torch.testing.assert_close(m(X), m.out.bias.expand(2, 9, 16))


@pytest.mark.parametrize("causal", [True, False])
def test_linear_attention_is_the_normalized_kernel_sum(causal):
    m = make("linear_attention", causal)
    q, k, v = (heads(t) for t in m.qkv(X).chunk(3, -1))
    q, k = F.elu(q) + 1, F.elu(k) + 1
    scores = q @ k.transpose(-1, -2)
    if causal:
        scores = scores * causal_mask(9)
    ref = m.out(merge_heads((scores @ v) / (scores.sum(-1, keepdim=True) + 1e-6)))
    torch.testing.assert_close(m(X), ref)


def test_retention_parallel_form_is_qk_times_the_decay_matrix():
    m = make("retnet", form="parallel")
    q, k, v = (heads(t) for t in m.qkv(X).chunk(3, -1))
    pos = torch.arange(9)
    q, k = rotary(q, pos), rotary(k, pos) / math.sqrt(8)
    gammas = 1 - 2.0 ** (-5 - torch.arange(2.0))
    n, s = torch.arange(9).view(9, 1), torch.arange(9).view(1, 9)
    D = torch.where(n >= s, gammas.view(2, 1, 1) ** (n - s), torch.zeros(()))  # (H, T, T)
    o = merge_heads((q @ k.transpose(-1, -2) * D) @ v)
    normed = F.group_norm(o.reshape(-1, 16), 2, m.norm.weight, m.norm.bias).view(2, 9, 16)
    ref = m.out(F.silu(m.gate(X)) * normed)
    torch.testing.assert_close(m(X), ref)


def test_gla_decays_are_data_dependent_and_in_the_unit_interval():
    m = make("gla")
    *_, log_alpha = m._inputs(X)
    alpha = log_alpha.exp()
    assert (alpha > 0).all() and (alpha < 1).all() and alpha.std() > 0
    torch.testing.assert_close(alpha, torch.sigmoid(m.decay_up(m.decay_down(X)) + m.decay_bias) ** (1 / 16))


def test_aaren_equals_causal_softmax_attention_with_the_learned_query():
    m = make("aaren")
    k, v = (heads(t) for t in m.kv(X).chunk(2, -1))
    q = m.query.view(1, 2, 1, 8).expand(2, 2, 9, 8)
    ref = m.out(merge_heads(F.scaled_dot_product_attention(q, k, v, is_causal=True)))
    torch.testing.assert_close(m(X), ref)


@pytest.mark.parametrize("causal", [True, False])
def test_chunked_attention_is_attention_with_a_block_diagonal_mask(causal):
    q, k, v = (torch.randn(2, 2, 11, 4, generator=G) for _ in range(3))
    block = torch.arange(11) // 4
    mask = block.view(11, 1) == block.view(1, 11)
    if causal:
        mask = mask & causal_mask(11)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(chunked_attention(q, k, v, 4, causal), ref)


def test_tcnca_receptive_field_and_chunk_locality():
    m = make("tcnca", chunk=32, kernel_size=2, levels=2)  # receptive field 1 + 1 + 2 = 4
    assert m.tcn.receptive_field() == 4
    u = m.tcn(X)
    moved = X.clone()
    moved[:, 2] += 1.0
    changed = (m.tcn(moved) - u).abs().amax((0, 2)) > 0
    assert changed.tolist() == [False, False, True, True, True, True, False, False, False]
    m = make("tcnca", chunk=4)  # outputs in chunk [4, 8) ignore positions outside it except via the TCN
    with torch.no_grad():
        m.tcn.convs.apply(lambda c: c.weight.zero_() if hasattr(c, "weight") else None)
        moved = X.clone()
        moved[:, 0] += 1.0
        torch.testing.assert_close(m(moved)[:, 4:], m(X)[:, 4:])


@pytest.mark.parametrize("causal", [True, False])
def test_tensor_attention_is_softmax_over_the_kronecker_product(causal):
    m = make("tensor_attention", causal)
    q, k1, k2, v1, v2 = (heads(t) for t in m.proj(X).chunk(5, -1))
    T = 9
    K = (k1.unsqueeze(3) * k2.unsqueeze(2)).reshape(2, 2, T * T, 8)  # rows (j, k): k1_j * k2_k
    V = (v1.unsqueeze(3) * v2.unsqueeze(2)).reshape(2, 2, T * T, 8)
    scores = q @ K.transpose(-1, -2) / 8
    if causal:
        j, k = torch.arange(T).repeat_interleave(T), torch.arange(T).repeat(T)
        i = torch.arange(T).view(-1, 1)
        visible = (j.view(1, -1) <= i) & (k.view(1, -1) <= i)
        scores = scores.masked_fill(~visible, float("-inf"))
    ref = m.out(merge_heads(scores.softmax(-1) @ V))
    torch.testing.assert_close(m(X), ref)


def test_rotary_scores_depend_on_relative_position_only():
    q, k = torch.randn(1, 1, 1, 8, generator=G), torch.randn(1, 1, 1, 8, generator=G)

    def score(m, n):
        return float(rotary(q, torch.tensor([m])) @ rotary(k, torch.tensor([n])).transpose(-1, -2))

    assert score(3, 1) == pytest.approx(score(10, 8), rel=1e-5)
    assert score(0, 0) == pytest.approx(float(q @ k.transpose(-1, -2)), rel=1e-5)
    torch.testing.assert_close(rotary(q, torch.tensor([5])).norm(), q.norm())
    m = make("rope_attention", causal=False)  # a permutation-equivariant mixer no longer
    perm = torch.randperm(9, generator=G)
    assert not torch.allclose(m(X[:, perm]), m(X)[:, perm], atol=1e-4)


def _explicit(q, k, v, log_alpha):
    """o_t = sum_{s<=t} (q_t * prod_{s<r<=t} alpha_r) . k_s v_s, term by term."""
    B, H, T, _ = q.shape
    alpha = log_alpha.expand_as(q).exp()
    out = torch.zeros(B, H, T, v.shape[-1])
    for t in range(T):
        for s in range(t + 1):
            decay = alpha[:, :, s + 1:t + 1].prod(2)  # (B, H, d_k)
            out[:, :, t] += ((q[:, :, t] * decay * k[:, :, s]).sum(-1, keepdim=True)) * v[:, :, s]
    return out


@pytest.mark.parametrize("scalar", [False, True])
def test_gated_linear_attention_forms_agree_with_the_definition(scalar):
    g = torch.Generator().manual_seed(3)
    q, k = torch.randn(2, 2, 11, 3, generator=g), torch.randn(2, 2, 11, 3, generator=g)
    v = torch.randn(2, 2, 11, 4, generator=g)
    shape = (1, 2, 1, 1) if scalar else (2, 2, 11, 3)
    log_alpha = -torch.rand(shape, generator=g)
    ref = _explicit(q, k, v, log_alpha)
    torch.testing.assert_close(linear_forms.parallel(q, k, v, log_alpha), ref)
    o, state = linear_forms.recurrent(q, k, v, log_alpha)
    torch.testing.assert_close(o, ref)
    for chunk in (1, 4, 16):
        o_c, state_c = linear_forms.chunkwise(q, k, v, log_alpha, chunk)
        torch.testing.assert_close(o_c, ref)
        torch.testing.assert_close(state_c, state)
    # the final state is sum_s (prod_{r>s} alpha_r) k_s v_s^T
    alpha = log_alpha.expand_as(q).exp()
    S = sum(alpha[:, :, s + 1:].prod(2).unsqueeze(-1) * k[:, :, s].unsqueeze(-1) * v[:, :, s].unsqueeze(-2)
            for s in range(11))
    torch.testing.assert_close(state, S)


def test_hgrn2_is_an_outer_product_recurrence_with_tied_keys():
    m = make("hgrn2", lower_bound=0.3, form="recurrent")
    q, f, i = m.proj(X11).chunk(3, -1)
    f = 0.3 + 0.7 * torch.sigmoid(f)
    q = F.silu(q)
    S, out = torch.zeros(2, 2, 8, 8), []
    for t in range(11):
        ft, qt, it = (a[:, t].view(2, 2, 8) for a in (f, q, i))
        S = ft.unsqueeze(-1) * S + (1 - ft).unsqueeze(-1) * it.unsqueeze(-2)
        out.append(torch.einsum("bhd,bhde->bhe", qt, S).reshape(2, 16))
    o = torch.stack(out, 1)
    ref = m.out(m.norm(o.reshape(-1, 16)).view(2, 11, 16))
    torch.testing.assert_close(m(X11), ref)


@pytest.mark.parametrize("causal", [True, False])
def test_local_attention_is_softmax_inside_the_band_and_its_cache_stays_bounded(causal):
    m = make("local_attention", causal, window=3)
    q, k, v = (heads(t) for t in m.qkv(X).chunk(3, -1))
    i, j = torch.arange(9).view(9, 1), torch.arange(9).view(1, 9)
    band = ((i - j >= 0) & (i - j < 3)) if causal else (i - j).abs() < 3
    scores = (q @ k.transpose(-1, -2) / math.sqrt(8)).masked_fill(~band, float("-inf"))
    torch.testing.assert_close(m(X), m.out(merge_heads(scores.softmax(-1) @ v)))
    if causal:
        state = m.init_state(2)
        for t in range(9):
            _, state = m.step(X[:, t], state)
        assert state[0].shape[2] == 3
