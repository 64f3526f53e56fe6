"""Recurrent layers against torch.nn and their defining equations."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.recurrent.cells import GRUCell, LSTMCell
from neuralab.registry import REGISTRY
from neuralab.seed import seeded

G = torch.Generator().manual_seed(0)
X = torch.randn(2, 11, 16, generator=G)


def make(name, causal=True, heads=2, **options):
    with seeded(0):
        return REGISTRY.create("mixer", name, 16, heads, causal, **options)


def test_cells_match_torch_cells_with_the_same_parameters():
    x, h, c = torch.randn(3, 8, generator=G), torch.randn(3, 5, generator=G), torch.randn(3, 5, generator=G)
    ours, ref = LSTMCell(8, 5), nn.LSTMCell(8, 5)
    ref.load_state_dict(ours.state_dict())
    for a, b in zip(ours(x, (h, c)), ref(x, (h, c))):
        torch.testing.assert_close(a, b)
    ours, ref = GRUCell(8, 5), nn.GRUCell(8, 5)
    ours.load_state_dict(ref.state_dict())
    torch.testing.assert_close(ours(x, h), ref(x, h))
    torch.testing.assert_close(ours(x), ref(x))


def _block_diagonal(weight: torch.Tensor, gates: int) -> torch.Tensor:
    """Head-wise ``(H, G d, d)`` recurrent weights as torch's full ``(G D, D)`` matrix."""
    H, _, d = weight.shape
    full = torch.zeros(gates * H * d, H * d)
    for h in range(H):
        for g in range(gates):
            full[g * H * d + h * d: g * H * d + (h + 1) * d, h * d:(h + 1) * d] = weight[h, g * d:(g + 1) * d]
    return full


@pytest.mark.parametrize("name, gates, torch_rnn", [("lstm", 4, nn.LSTM), ("gru", 3, nn.GRU)])
@pytest.mark.parametrize("heads", [1, 4])
def test_headwise_rnn_is_torch_rnn_with_a_block_diagonal_recurrence(name, gates, torch_rnn, heads):
    m = make(name, heads=heads)
    with torch.no_grad():
        m.bias_hh.normal_(generator=G)
        ref = torch_rnn(16, 16, batch_first=True)
        ref.weight_ih_l0.copy_(m.input.weight)
        ref.bias_ih_l0.copy_(m.input.bias)
        ref.weight_hh_l0.copy_(_block_diagonal(m.weight_hh, gates))
        ref.bias_hh_l0.copy_(m.bias_hh.view(heads, gates, -1).transpose(0, 1).reshape(-1))
    torch.testing.assert_close(m(X), ref(X)[0])


def test_min_rnns_follow_their_equations_and_parameter_counts():
    g, l = make("min_gru", scan="sequential"), make("min_lstm", scan="sequential")
    z, cand = g.proj(X).chunk(2, -1)
    h, ref = torch.zeros(2, 16), []
    for t in range(11):
        h = (1 - torch.sigmoid(z[:, t])) * h + torch.sigmoid(z[:, t]) * cand[:, t]
        ref.append(h)
    torch.testing.assert_close(g(X), torch.stack(ref, 1))
    f, i, cand = l.proj(X).chunk(3, -1)
    f, i = torch.sigmoid(f), torch.sigmoid(i)
    h, ref = torch.zeros(2, 16), []
    for t in range(11):
        h = f[:, t] / (f[:, t] + i[:, t]) * h + i[:, t] / (f[:, t] + i[:, t]) * cand[:, t]
        ref.append(h)
    torch.testing.assert_close(l(X), torch.stack(ref, 1))
    d = 16
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert (count(g), count(l)) == (2 * d * (d + 1), 3 * d * (d + 1))
    assert count(g) < count(nn.GRU(d, d)) == 3 * (2 * d * d + 2 * d)
    assert count(l) < count(nn.LSTM(d, d)) == 4 * (2 * d * d + 2 * d)


def test_hgrn_recurrence_with_lower_bound_and_rotation():
    m = make("hgrn", lower_bound=0.6)
    lam = 0.6 + 0.4 * torch.sigmoid(m.forget(X))
    assert lam.min() >= 0.6
    c = F.silu(m.input(X))
    h, hs = torch.zeros(2, 16, dtype=torch.complex64), []
    for t in range(11):
        h = lam[:, t] * torch.exp(1j * m.theta) * h + (1 - lam[:, t]) * c[:, t]
        hs.append(h)
    h = torch.stack(hs, 1)
    ref = m.out(m.norm(F.silu(m.gate(X)) * torch.cat([h.real, h.imag], -1)))
    torch.testing.assert_close(m(X), ref, atol=1e-5, rtol=1e-4)


def test_rg_lru_recurrence_after_a_causal_short_convolution():
    m = make("hawk")
    gate, u = m.branches(X).chunk(2, -1)
    padded = F.pad(u, (0, 0, 3, 0))
    conv = torch.stack([(padded[:, t:t + 4] * m.conv.weight[:, 0].T).sum(1) + m.conv.bias
                        for t in range(11)], 1)
    r, i = torch.sigmoid(m.gates(conv)).chunk(2, -1)
    a = torch.sigmoid(m.a_logit) ** (8 * r)
    h, hs = torch.zeros(2, 16), []
    for t in range(11):
        h = a[:, t] * h + torch.sqrt(1 - a[:, t] ** 2) * i[:, t] * conv[:, t]
        hs.append(h)
    ref = m.out(F.gelu(gate) * torch.stack(hs, 1))
    torch.testing.assert_close(m(X), ref, atol=1e-5, rtol=1e-4)
    a_c = torch.sigmoid(m.a_logit) ** 8
    assert a_c.min() >= 0.9 - 1e-4 and a_c.max() <= 0.999 + 1e-4


def test_rwkv_wkv_is_the_normalized_decayed_sum():
    m = make("rwkv")
    x_prev = torch.cat([torch.zeros(2, 1, 16), X[:, :-1]], 1)
    r, k, v = (lin(mu * X + (1 - mu) * x_prev) for lin, mu in zip(m.rkv, m.mix))
    w, u = torch.exp(m.w_log), m.u
    wkv = []
    for t in range(11):
        weights = [torch.exp(-(t - 1 - i) * w + k[:, i]) for i in range(t)] + [torch.exp(u + k[:, t])]
        values = [v[:, i] for i in range(t + 1)]
        num = sum(a * b for a, b in zip(weights, values))
        wkv.append(num / sum(weights))
    ref = m.out(torch.sigmoid(r) * torch.stack(wkv, 1))
    torch.testing.assert_close(m(X), ref, atol=1e-5, rtol=1e-4)


def test_gated_linear_rnn_implements_linear_self_attention():
    """The paper's construction: input gates form v_i k_j, the recurrence sums them (lambda = 1),
    the output gate multiplies by q_j and W_o sums over j: causal linear attention exactly."""
    d = 2  # x = [q (2), k (2), v (2), unused (2)], state slots (i, j): 4
    m = REGISTRY.create("mixer", "gated_linear_rnn", 8, 1, True, d_state=4)
    with torch.no_grad():
        for lin in (m.value, m.key, m.readout, m.query, m.out):
            lin.weight.zero_(), lin.bias.zero_()
        m.nu.fill_(40.0)  # sigmoid(40) == 1 in float32: no decay
        for i in range(d):
            for j in range(d):
                slot = i * d + j
                m.value.weight[slot, 4 + i] = 1  # v_i
                m.key.weight[slot, 2 + j] = 1  # k_j
                m.readout.weight[slot, slot] = 1  # S_ij
                m.query.weight[slot, j] = 1  # q_j
                m.out.weight[i, slot] = 1  # sum over j -> output channel i
    x = torch.randn(3, 7, 8, generator=G)
    q, k, v = x[..., 0:2], x[..., 2:4], x[..., 4:6]
    scores = (q @ k.transpose(-1, -2)) * torch.ones(7, 7).tril()
    ref = torch.cat([scores @ v, torch.zeros(3, 7, 6)], -1)
    torch.testing.assert_close(m(x), ref)
    ungated = make("gated_linear_rnn", gated=False)
    assert ungated.key is None and ungated.query is None
    lam = torch.sigmoid(ungated.nu)
    h, hs = torch.zeros(2, 16), []
    for t in range(11):
        h = lam * h + ungated.value(X[:, t])
        hs.append(h)
    torch.testing.assert_close(ungated(X), ungated.out(ungated.readout(torch.stack(hs, 1))))


def _elman_states(model, u):
    """Every step's top-layer state of the Elman recurrence, written out with ``model``'s weights:
    ``h^l_t = tanh(W_ih^l h^{l-1}_t + b_ih^l + W_hh^l h^l_{t-1} + b_hh^l)``, ``h^0_t = u_t``,
    ``h^l_0 = 0``."""
    rnn = model.rnn
    for l in range(rnn.num_layers):
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{l}"), getattr(rnn, f"weight_hh_l{l}")
        b_ih, b_hh = getattr(rnn, f"bias_ih_l{l}"), getattr(rnn, f"bias_hh_l{l}")
        h, hs = torch.zeros(u.shape[0], rnn.hidden_size), []
        for t in range(u.shape[1]):
            h = torch.tanh(u[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
            hs.append(h)
        u = torch.stack(hs, 1)
    return u  # (B, T, width)


def test_elman_rnn_model_is_the_tanh_recurrence_with_its_own_weights():
    from neuralab.data.dataset import DataSpec
    from neuralab.models import build_model

    # real inputs (C=2, L=7): step t reads the two channels at position t through the stem
    spec = DataSpec("classification", (2, 7), 3)
    model = build_model("elman_rnn", spec, {"width": 5, "layers": 2, "init": "orthogonal"}, seed=0)
    with torch.no_grad():
        for name, p in model.rnn.named_parameters():
            if name.startswith("bias"):
                p.normal_(generator=G)  # the init zeroes them; make them count
    x = torch.randn(4, 2, 7, generator=G)
    u = x.transpose(1, 2) @ model.stem.embed.weight.T + model.stem.embed.bias  # (B, T, C) -> (B, T, 5)
    h = _elman_states(model, u)
    torch.testing.assert_close(model(x), h[:, -1] @ model.head.weight.T + model.head.bias)
    assert isinstance(model.rnn, nn.RNN) and model.rnn.nonlinearity == "tanh"
    # a sequence task over tokens: one output per step, from the embedded tokens
    spec = DataSpec("sequence", (6,), 4, vocab_size=9)
    model = build_model("elman_rnn", spec, {"width": 3}, seed=1)
    tokens = torch.randint(0, 9, (2, 6), generator=G)
    h = _elman_states(model, model.stem.embed.weight[tokens])
    torch.testing.assert_close(model(tokens), h @ model.head.weight.T + model.head.bias)
