"""Multi-sample dropout, continual backprop and gradient-boosted last layers."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.data.dataset import DataSpec
from neuralab.training.continual_backprop import ContinualBackprop
from neuralab.training.gradient_boosting import constant_fit, fit_boosted_mlp, pseudo_residuals
from neuralab.models.base import build_model

SPEC = DataSpec("classification", (12,), 3)


def test_multi_sample_dropout_averages_the_loss_over_masks():
    model = build_model("mlp", SPEC, {"width": 16, "head_dropout": 0.5, "dropout_samples": 4})
    x, y = torch.randn(8, 12), torch.randint(0, 3, (8,))
    model.train()
    torch.manual_seed(5)
    loss = model.training_loss(x, y, F.cross_entropy)
    torch.manual_seed(5)
    feats = model.forward_features(x)
    head = model.head
    ref = torch.stack([F.cross_entropy(head.head(head.dropout(feats)), y) for _ in range(4)]).mean()
    torch.testing.assert_close(loss, ref)
    model.eval()  # no dropout at evaluation: the plain head
    torch.testing.assert_close(model(x), head.head(model.forward_features(x)))
    plain = build_model("mlp", SPEC, {"width": 16})
    plain.train()
    torch.testing.assert_close(plain.training_loss(x, y, F.cross_entropy),
                               F.cross_entropy(plain(x), y))


def _train_steps(model, opt, cbp, x, y, steps):
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        cbp.step()


def test_continual_backprop_replaces_mature_low_utility_units_without_changing_the_function():
    torch.manual_seed(0)
    model = build_model("mlp", SPEC, {"width": 32, "depth": 2})
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    cbp = ContinualBackprop(model, opt, replacement_rate=0.05, maturity=5, seed=1)
    x, y = torch.randn(64, 12), torch.randint(0, 3, (64,))
    _train_steps(model, opt, cbp, x, y, 5)
    assert cbp.replaced == 0  # nobody is mature yet
    # make unit 7 of the first layer useless: silent outgoing weights -> lowest utility
    with torch.no_grad():
        model.blocks[1].linear.weight[:, 7] = 0.0
        cbp.utility[0][7] = -1.0
        cbp.age[1].zero_()  # only the first hidden layer is mature now
    model.train()
    with torch.no_grad():
        before = model(x)
    model(x)  # the forward whose activations the next step reads
    replaced = cbp.step()
    assert replaced >= 1 and cbp.age[0][7] == 0 and cbp.utility[0][7] == 0
    with torch.no_grad():
        torch.testing.assert_close(model(x), before)  # zero outgoing weights: same function
        assert model.blocks[1].linear.weight[:, 7].abs().sum() == 0
        assert model.blocks[0].linear.weight[7].abs().sum() > 0
        assert opt.state[model.blocks[1].linear.weight]["exp_avg"][:, 7].abs().sum() == 0
    cbp.remove()


def test_boosting_starts_from_the_best_constant_and_merges_rounds_into_one_mlp():
    torch.manual_seed(0)
    x = torch.randn(300, 12)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    assert torch.allclose(torch.softmax(constant_fit(SPEC, y), -1),
                          torch.bincount(y, minlength=3).float() / 300, atol=1e-4)
    model = fit_boosted_mlp(SPEC, x, y, rounds=4, units_per_round=6, steps_per_round=150,
                            lr=0.02, seed=0)
    assert model.hidden.out_features == 24 and model.out.weight.shape == (3, 24)
    losses = [F.cross_entropy(model.truncated(k)(x), y).item() for k in range(5)]
    assert all(b < a for a, b in zip(losses, losses[1:]))  # every round lowers the training loss
    assert (model(x).argmax(-1) == y).float().mean() > 0.85
    r = pseudo_residuals(SPEC, torch.zeros(2, 3), torch.tensor([0, 2]))
    torch.testing.assert_close(r, torch.tensor([[2 / 3, -1 / 3, -1 / 3], [-1 / 3, -1 / 3, 2 / 3]]))


def test_pbt_exploit_copies_the_top_member_and_explore_perturbs_its_hyper_parameters():
    from neuralab.config import build_config
    from neuralab.data.dataset import load_dataset
    from neuralab.training.population_based_training import PopulationBasedTraining

    configs = [build_config({"seed": s, "data": {"name": "xor_clusters"},
                             "model": {"name": "mlp", "width": 8},
                             "optim": {"name": "adam", "lr": lr, "weight_decay": 0.0},
                             "train": {"steps": 4}})
               for s, lr in enumerate((1e-4, 1e-3, 1e-2, 3e-2))]
    data = load_dataset("xor_clusters")
    pbt = PopulationBasedTraining(configs, ready_every=2, validation=(data.x_test, data.y_test),
                                  truncation=0.25, seed=0)
    pop = pbt.population
    pop.train_step()
    pop.train_step()
    scores = pbt.scores()
    worst, best = min(range(4), key=lambda i: scores[i]), max(range(4), key=lambda i: scores[i])
    pbt.ready()
    source = int(next(r["value"] for r in pbt.records if r["metric"] == "exploit_source"))
    assert source == best  # truncation 1/4 of 4 members: the top one
    for name, p in pop.params.items():
        torch.testing.assert_close(p[worst], p[source])
        for state in pop.optimizer.state[name].values():
            torch.testing.assert_close(state[worst], state[source])
    ratio = pbt.hyper(worst)["lr"] / pbt.hyper(source)["lr"]
    assert min(abs(ratio - 0.8), abs(ratio - 1.2)) < 1e-9
    assert pbt.schedules[worst][-1] == (2, pbt.hyper(worst))
    result = pbt.fit()
    assert pop.step == 4 and 0 <= result.best < 4


def test_registered_methods_train_a_model_on_a_dataset():
    from neuralab.data.dataset import load_dataset
    from neuralab.registry import REGISTRY
    from neuralab.training.gradient_boosting import BoostedMLP

    data = load_dataset("xor_clusters")
    model = build_model("mlp", data.spec, {"width": 16})
    rows = REGISTRY.create("method", "continual_backprop", model, data, steps=30, maturity=5,
                           replacement_rate=0.05)
    metrics = {r["metric"] for r in rows}
    assert {"batch_loss", "units_replaced", "test_accuracy"} <= metrics
    assert not model.blocks[0]._forward_hooks  # the utility hooks are removed afterwards
    boosted = BoostedMLP(data.spec)
    rows = REGISTRY.create("method", "gradient_boosting", boosted, data, steps=40, rounds=3)
    losses = [r["value"] for r in rows if r["metric"] == "train_loss"]
    assert len(losses) == 3 and losses[-1] < losses[0] and boosted.hidden.out_features == 24
