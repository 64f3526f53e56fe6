"""Graph data and graph networks against their formulas: SBMs, GCN, DAGNN, sheaf diffusion, aggregators."""

import math

import pytest
import torch

from neuralab.components.graph import GraphConv, normalized_adjacency, sheaf_laplacian
from neuralab.components.graph.aggregators import LCMAggregator
from neuralab.components.graph.sheaf import SheafDiffusionLayer
from neuralab.data import IGNORE_INDEX, load_dataset
from neuralab.data.graph import homophily, pack_graph, unpack_graph
from neuralab.engine.metrics import loss_fn
from neuralab.models import build_model
from neuralab.registry import REGISTRY


def ring(n):
    a = torch.zeros(n, n)
    idx = torch.arange(n)
    a[idx, (idx + 1) % n] = 1
    return a + a.T


def test_pack_and_unpack_a_graph():
    feats, adj = torch.randn(5, 3), ring(5)
    x = pack_graph(feats, adj)
    assert x.shape == (3 + 5, 5)
    f, a = unpack_graph(x.unsqueeze(0), 3)
    torch.testing.assert_close(f[0], feats)
    torch.testing.assert_close(a[0], adj)


@pytest.mark.parametrize("h", [0.9, 0.1])
def test_csbm_has_the_requested_homophily_degree_and_split(h):
    data = load_dataset("csbm", n_nodes=400, n_classes=2, degree=8.0, homophily=h, seed=3)
    feats, adj = unpack_graph(data.x_train, data.spec.node_features)
    labels = torch.where(data.y_train[0] != IGNORE_INDEX, data.y_train[0], data.y_test[0])
    assert torch.equal(adj[0], adj[0].T) and adj[0].diagonal().sum() == 0
    assert homophily(adj[0], labels) == pytest.approx(h, abs=0.06)
    assert adj[0].sum(1).mean().item() == pytest.approx(8.0, rel=0.15)
    train = data.y_train[0] != IGNORE_INDEX
    assert train.sum() == 20 and torch.bincount(data.y_train[0][train]).tolist() == [10, 10]
    assert torch.equal(train, data.y_test[0] == IGNORE_INDEX)  # test nodes are the others
    # features carry the class: the class means differ by about `signal`
    gap = (feats[0][labels == 0].mean(0) - feats[0][labels == 1].mean(0)).norm()
    assert 0.8 < gap.item() < 2.2
    sbm = load_dataset("sbm", n_nodes=50)
    assert sbm.spec.node_features == 50 and sbm.spec.input_shape == (100, 50)


def test_normalized_adjacency_and_graph_conv_follow_gcn():
    a = ring(6)
    a_tilde = a + torch.eye(6)
    d = a_tilde.sum(1)
    ref = a_tilde / torch.sqrt(d[:, None] * d[None, :])
    torch.testing.assert_close(normalized_adjacency(a), ref)
    conv = GraphConv(4, 3)
    h = torch.randn(6, 4)
    torch.testing.assert_close(conv(h, ref), ref @ h @ conv.linear.weight.T + conv.bias)


def test_gcn_is_the_two_layer_formula():
    data = load_dataset("csbm", n_nodes=40)
    model = build_model("gcn", data.spec, {"hidden": 8, "depth": 2}, seed=0).eval()
    feats, adj = unpack_graph(data.x_train, data.spec.node_features)
    a = normalized_adjacency(adj)
    layer = model.layers[0]
    ref = model.head(a @ torch.relu(layer(feats, a)))
    torch.testing.assert_close(model(data.x_train), ref)
    assert model(data.x_train).shape == (1, 40, 2)
    loss_fn(data.spec, model(data.x_train), data.y_train)  # a sequence task over nodes


def test_repeated_propagation_oversmooths():
    a = normalized_adjacency(ring(12) + ring(12).roll(3, 0))
    h = torch.randn(12, 4)
    spread = []
    for k in (1, 4, 64):
        hk = torch.linalg.matrix_power(a, k) @ h
        hk = hk / hk.norm(dim=1, keepdim=True)
        spread.append(float((hk @ hk.T).min()))
    assert spread[0] < spread[1] < spread[2] and spread[2] > 0.99  # all nodes point one way


def test_dagnn_combines_hops_with_retention_scores():
    data = load_dataset("csbm", n_nodes=30)
    model = build_model("dagnn", data.spec, {"hops": 3, "hidden": 8}, seed=0).eval()
    feats, adj = unpack_graph(data.x_train, data.spec.node_features)
    a = normalized_adjacency(adj)
    z = model.mlp(feats)
    out = 0
    for k in range(4):
        hk = torch.linalg.matrix_power(a, k) @ z
        out = out + torch.sigmoid(model.retention(hk)) * hk
    torch.testing.assert_close(model(data.x_train), out, atol=1e-5, rtol=1e-5)


def test_sheaf_laplacian_of_identity_maps_is_the_graph_laplacian():
    adj = ring(5).unsqueeze(0)
    maps = torch.ones(1, 5, 5, 1, 1)
    lap = sheaf_laplacian(maps, adj, normalize=False)[0]
    torch.testing.assert_close(lap, torch.diag(adj[0].sum(1)) - adj[0])
    norm = sheaf_laplacian(maps, adj)[0]
    s = (adj[0].sum(1) + 1).rsqrt()
    torch.testing.assert_close(norm, s[:, None] * lap * s[None, :])


def test_sheaf_laplacian_is_symmetric_psd_and_kills_global_sections():
    torch.manual_seed(0)
    n, d = 6, 3
    adj = ring(n).unsqueeze(0)
    q = torch.linalg.matrix_exp((lambda m: m - m.transpose(-1, -2))(torch.randn(1, n, n, d, d)))
    lap = sheaf_laplacian(q, adj, normalize=False)[0]
    torch.testing.assert_close(lap, lap.T)
    assert torch.linalg.eigvalsh(lap).min() > -1e-4
    # with every map equal to one rotation R, constant stalks form a global section: L x = 0
    r = q[0, 0, 1]
    same = r.expand(1, n, n, d, d)
    x = torch.randn(d).repeat(n)
    torch.testing.assert_close(sheaf_laplacian(same, adj, normalize=False)[0] @ x,
                               torch.zeros(n * d), atol=1e-5, rtol=0)


def test_sheaf_diffusion_layer_formula():
    layer = SheafDiffusionLayer(2, 3, torch.nn.Identity())
    with torch.no_grad():
        layer.w2.weight.copy_(torch.eye(3))
    x = torch.randn(1, 8, 3)
    delta = torch.randn(1, 8, 8)
    torch.testing.assert_close(layer(x, delta), x - delta @ x)


def test_fixed_aggregators_respect_the_mask():
    m = torch.tensor([[[1.0], [5.0], [3.0]], [[2.0], [-1.0], [9.0]]])
    mask = torch.tensor([[True, False, True], [False, False, False]])
    out = {name: REGISTRY.create("aggregator", name, 1)(m, mask) for name in ("sum", "mean", "max")}
    torch.testing.assert_close(out["sum"], torch.tensor([[4.0], [0.0]]))
    torch.testing.assert_close(out["mean"], torch.tensor([[2.0], [0.0]]))
    torch.testing.assert_close(out["max"], torch.tensor([[3.0], [0.0]]))


def test_lcm_operator_is_commutative_and_reduces_over_a_balanced_tree(monkeypatch):
    agg = LCMAggregator(4)
    a, b = torch.randn(7, 4), torch.randn(7, 4)
    torch.testing.assert_close(agg.combine(a, b), agg.combine(b, a))
    m, mask = torch.randn(3, 5, 4), torch.tensor([[True] * 5, [True, False] * 2 + [True], [False] * 5])
    levels = []
    monkeypatch.setattr(agg, "combine", lambda x, y: levels.append(x.shape[1]) or x + y)
    with torch.no_grad():
        agg.identity.zero_()
    out = agg(m, mask)  # with a + b and identity 0 the tree computes the masked sum
    torch.testing.assert_close(out, (m * mask.unsqueeze(-1)).sum(1))
    assert levels == [4, 2, 1] and len(levels) == math.ceil(math.log2(5))
    assert agg.associativity_gap(a, b, b) < 1e-10  # addition is associative


def test_gru_aggregator_handles_empty_and_partial_multisets():
    agg = REGISTRY.create("aggregator", "gru", 3).eval()
    m, mask = torch.randn(2, 4, 3), torch.tensor([[True, True, False, False], [False] * 4])
    out = agg(m, mask)
    assert out.shape == (2, 3) and torch.equal(out[1], torch.zeros(3))
    torch.testing.assert_close(out[0], agg(m[:1, :2], mask[:1, :2])[0])


def test_mpnn_with_sum_aggregation_is_gin():
    data = load_dataset("csbm", n_nodes=30)
    model = build_model("mpnn", data.spec, {"hidden": 8, "depth": 1}, seed=0).eval()
    feats, adj = unpack_graph(data.x_train, data.spec.node_features)
    layer = model.layers[0]
    h = model.embed(feats)
    ref = model.head(h + torch.relu(layer.mlp((1 + layer.eps) * h + adj @ h)))
    torch.testing.assert_close(model(data.x_train), ref, atol=1e-5, rtol=1e-5)
    for name in ("lcm", "gru", "mean", "max"):
        assert build_model("mpnn", data.spec, {"aggregator": name}, seed=0)(data.x_train).shape == (1, 30, 2)


def test_the_standard_trainer_trains_node_classification():
    from neuralab.config import build_config
    from neuralab.engine.trainer import train

    config = build_config(overrides=["data.name=csbm", "data.homophily=0.9", "model.name=gcn",
                                     "optim.lr=1e-2", "train.steps=40", "train.eval_every=0"])
    result = train(config, progress="none")
    assert result.metrics["test_accuracy"] > 0.75  # one graph: every step is full batch
    card = load_dataset("csbm").card()
    assert card["node_features"] == 16 and card["train_size"] == 1


def _restriction_map(kind, raw, d):
    """``F`` from the ``Phi`` output ``raw`` of one edge end: ``diag(tanh raw)``, ``tanh`` of the
    ``d x d`` matrix, or (orth, d = 2) the rotation ``exp(M - M^T)`` by ``a = M_10 - M_01``."""
    if kind == "diag":
        return torch.diag(torch.tanh(raw))
    m = raw.view(d, d)
    if kind == "general":
        return torch.tanh(m)
    a = m[1, 0] - m[0, 1]  # M - M^T = [[0, -a], [a, 0]], whose exponential rotates by a
    return torch.stack([torch.stack([torch.cos(a), -torch.sin(a)]),
                        torch.stack([torch.sin(a), torch.cos(a)])])


@pytest.mark.parametrize("kind", ["orth", "diag", "general"])
def test_sheaf_diffusion_model_takes_the_diffusion_step_of_its_restriction_maps(kind):
    """One layer of ``sheaf_diffusion`` on a triangle plus an isolated node, written out edge by
    edge: ``L_vv = sum_{e ∋ v} F_{v<e}^T F_{v<e}``, ``L_vu = -F_{v<e}^T F_{u<e}``,
    ``Delta = (D + I)^{-1/2} L (D + I)^{-1/2}`` (``D``: the diagonal of ``L``), then
    ``X <- X - elu(Delta (I ⊗ W_1) X W_2)`` and the head on each node's stalk."""
    from neuralab.data.dataset import DataSpec

    n, F_in, d, f = 4, 3, 2, 3
    edges = [(0, 1), (1, 2), (0, 2)]  # node 3 has no edge
    adj = torch.zeros(n, n)
    for v, u in edges:
        adj[v, u] = adj[u, v] = 1
    spec = DataSpec("sequence", (F_in + n, n), 2, node_features=F_in)
    model = build_model("sheaf_diffusion", spec, {"stalk_dim": d, "channels": f, "depth": 1,
                                                  "maps": kind}, seed=0).eval()
    layer = model.layers[0]
    with torch.no_grad():
        layer.w1.weight.add_(0.3 * torch.randn(d, d))  # W_1 starts as the identity
    feats = torch.randn(n, F_in)
    h = feats @ model.lift[1].weight.T + model.lift[1].bias  # (n, d f)
    phi = model.maps[0].linear
    F_map = {(v, u): _restriction_map(kind, torch.cat([h[v], h[u]]) @ phi.weight.T + phi.bias, d)
             for v in range(n) for u in range(n)}  # F_{v<(v,u)}
    L = torch.zeros(n * d, n * d)
    blk = lambda v: slice(v * d, (v + 1) * d)  # noqa: E731
    for v, u in edges:
        Fv, Fu = F_map[v, u], F_map[u, v]
        L[blk(v), blk(v)] += Fv.T @ Fv
        L[blk(u), blk(u)] += Fu.T @ Fu
        L[blk(v), blk(u)] = -Fv.T @ Fu
        L[blk(u), blk(v)] = -Fu.T @ Fv
    s = (torch.diagonal(L) + 1).rsqrt()
    delta = s[:, None] * L * s[None, :]
    X = h.reshape(n * d, f)  # node v's stalk: rows v d .. v d + d - 1
    W1, W2 = layer.w1.weight, layer.w2.weight.T
    mixed = torch.cat([W1 @ X[blk(v)] for v in range(n)])  # (I_n ⊗ W_1) X
    X = X - torch.nn.functional.elu(delta @ mixed @ W2)
    ref = X.reshape(n, d * f) @ model.head.weight.T + model.head.bias
    graph = pack_graph(feats, adj).unsqueeze(0)
    torch.testing.assert_close(model(graph)[0], ref, atol=1e-5, rtol=1e-5)
    # the isolated node has no entries in Delta: its stalk passes the layer unchanged
    torch.testing.assert_close(delta[blk(3)], torch.zeros(d, n * d))
    # a self-loop has no coboundary (F_{v<e} x_v - F_{v<e} x_v = 0): the Laplacian ignores it
    looped = adj.clone()
    looped[0, 0] = 1
    maps = model.maps[0](h.unsqueeze(0))
    torch.testing.assert_close(sheaf_laplacian(maps, looped.unsqueeze(0)),
                               sheaf_laplacian(maps, adj.unsqueeze(0)))
