"""Training without end-to-end backprop: layer-local losses, forward-forward, Hebbian memory."""

import pytest
import torch

from neuralab.components.hebbian import DenseHebbianMemory
from neuralab.data import load_dataset
from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.registry import REGISTRY
from neuralab.training.forward_forward import layer_losses
from neuralab.training.local_supervised import layer_stack, local_losses


def _no_gradient_crosses(losses, layers):
    for i, loss in enumerate(losses):
        for j, layer in enumerate(layers):
            grads = torch.autograd.grad(loss, list(layer.parameters()), retain_graph=True,
                                        allow_unused=True)
            reached = any(g is not None and g.abs().sum() > 0 for g in grads)
            assert reached == (i == j), f"loss {i} reaches layer {j}: {reached}"


@pytest.mark.parametrize("name", ["mlp", "gcn"])
def test_local_losses_reach_only_their_own_layer(name):
    data = load_dataset("csbm", n_nodes=30) if name == "gcn" else load_dataset("digits")
    model = build_model(name, data.spec, {"depth": 3} if name == "gcn" else {"depth": 2}, seed=0)
    widths = layer_stack(model).widths
    heads = torch.nn.ModuleList(torch.nn.Linear(w, data.spec.n_outputs) for w in widths)
    losses = local_losses(model, heads, data.x_train[:16], data.y_train[:16], data.spec)
    layers = list(model.layers if name == "gcn" else model.blocks) + [model.head]
    _no_gradient_crosses(losses, layers)


def test_local_supervised_gcn_learns_a_homophilic_graph():
    data = load_dataset("csbm", n_nodes=200, homophily=0.9, signal=1.0, seed=1)
    model = build_model("gcn", data.spec, {"depth": 2}, seed=0)
    rows = REGISTRY.create("method", "local_supervised", model, data, steps=60)
    acc = next(r["value"] for r in rows if r["metric"] == "test_accuracy")
    assert acc > 0.75


def test_forward_forward_losses_are_layer_local_and_goodness_scores_labels():
    data = load_dataset("digits")
    model = build_model("ff_mlp", data.spec, {"width": 32, "depth": 3}, seed=0)
    x, y = data.x_train[:8], data.y_train[:8]
    losses = layer_losses(model, x, y, (y + 1) % 10, 2.0)
    _no_gradient_crosses(losses, list(model.layers))
    scores = model(x)
    u = model.embed(x[:1], torch.tensor([3]))
    goodness = sum(h.square().sum() for h in model.activities(u)[1:])
    torch.testing.assert_close(scores[0, 3], goodness)


def test_forward_forward_training_beats_chance_clearly():
    data = load_dataset("digits")
    model = build_model("ff_mlp", data.spec, {"width": 128, "depth": 2}, seed=0)
    rows = REGISTRY.create("method", "forward_forward", model, data, steps=150, lr=3e-3)
    assert rows[-1]["metric"] == "test_accuracy" and rows[-1]["value"] > 0.6


def test_p2_dynamics_is_the_hopfield_network():
    torch.manual_seed(0)
    xi = torch.where(torch.rand(5, 40) < 0.5, 1.0, -1.0)
    mem = DenseHebbianMemory(xi, p=2)
    sigma = torch.where(torch.rand(3, 40) < 0.5, 1.0, -1.0)
    j = xi.T @ xi / 40
    torch.testing.assert_close(mem.energy(sigma), -(sigma @ (xi.T @ xi) / 40 * sigma).sum(1))
    # one asynchronous update of unit i follows the sign of its local field sum_{j != i} J_ij s_j
    i, state = 7, sigma[:1]
    field = (j[i] @ state[0]) - j[i, i] * state[0, i]
    rest = state @ xi.T - state[:, i:i + 1] * xi[:, i]
    gain = (rest + xi[:, i]).pow(2).sum() - (rest - xi[:, i]).pow(2).sum()
    assert torch.sign(gain) == torch.sign(field)


def test_dense_memory_stores_beyond_the_hopfield_capacity():
    g = torch.Generator().manual_seed(0)
    n, k = 120, 36  # load 0.3, above the Hopfield network's ~0.14
    xi = torch.where(torch.rand(k, n, generator=g) < 0.5, 1.0, -1.0)
    start = xi[:12] * torch.where(torch.rand(12, n, generator=g) < 0.05, -1.0, 1.0)  # 5% flipped
    final = {}
    for p in (2, 4):
        mem = DenseHebbianMemory(xi, p=p)
        out = mem.retrieve(start, generator=torch.Generator().manual_seed(1))
        final[p] = float((out * xi[:12]).mean(1).mean())  # overlap with the pattern started near
    assert final[4] > 0.99 and final[2] < 0.9


def test_dense_hebbian_classifies_digits():
    data = load_dataset("digits")
    dense = REGISTRY.create("method", "dense_hebbian", None, data, p=8)[0]["value"]
    pairwise = REGISTRY.create("method", "dense_hebbian", None, data, p=2)[0]["value"]
    assert dense > 0.6 and pairwise < 0.3  # correlated digit patterns: p = 2 collapses
    with pytest.raises(ValueError, match="even"):
        DenseHebbianMemory(torch.ones(2, 4), p=3)
