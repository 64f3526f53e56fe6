"""prelu_xor: the stacked trials against torch modules trained one at a time, the known XOR
solution, the verdict rule and the precondition on constructed records."""

import torch
from claim_smoke import smoke
from torch import nn

from neuralab.claims import claim_record
from neuralab.claims.activations.prelu_xor import (ARMS, REPORTED, XOR_01, XOR_X, XOR_Y, PreluXor,
                                                   init_params, learning_rates, outputs, solved,
                                                   train_arm)
from neuralab.registry import REGISTRY


def _module(arm, p, i):
    """Trial ``i`` of the stacked parameters ``p`` as torch modules."""
    with torch.no_grad():
        if arm == "prelu":
            lin, act = nn.Linear(2, 1, bias=False), nn.PReLU()
            lin.weight.copy_(p["w"][i][None]); act.weight.copy_(p["a"][i][None])
            return nn.Sequential(lin, act)
        if arm == "gcu":
            lin = nn.Linear(2, 1)
            lin.weight.copy_(p["w"][i][None]); lin.bias.copy_(p["b"][i][None])
            return nn.Sequential(lin, REGISTRY.create("activation", "gcu"))
        first, second = nn.Linear(2, 2), nn.Linear(2, 1)
        first.weight.copy_(p["w1"][i]); first.bias.copy_(p["b1"][i])
        second.weight.copy_(p["w2"][i][None]); second.bias.copy_(p["b2"][i][None])
        return nn.Sequential(first, nn.Sigmoid(), second)


def test_gcu_formula():
    z = torch.linspace(-6, 6, 97)
    torch.testing.assert_close(REGISTRY.create("activation", "gcu")(z), z * torch.cos(z))


def test_the_papers_solution_is_xor():
    p = {"w": torch.tensor([[1.0, -1.0]]), "a": torch.tensor([-1.0])}
    torch.testing.assert_close(outputs("prelu", p, XOR_01), XOR_Y[None])  # |x1 - x2|
    half = {"w": p["w"] / 2, "a": p["a"]}  # on {-1, 1}: halved weights
    torch.testing.assert_close(outputs("prelu", half, XOR_X), XOR_Y[None])
    assert solved(outputs("prelu", p, XOR_01)).all() and solved(outputs("prelu", half, XOR_X)).all()
    p["a"] = torch.tensor([0.25])  # PReLU's initial slope: not XOR
    assert not solved(outputs("prelu", p, XOR_01)).any()


def test_same_sign_weights_on_01_inputs_settle_in_the_linear_minimum():
    """The reported arm's failure mode: no pre-activation is negative, the slope gets no gradient,
    and the weights go to the least-squares solution 1/3, 1/3 (outputs 1/3, 1/3, 2/3)."""
    p = {"w": torch.tensor([[0.2, 0.6]]), "a": torch.tensor([0.25])}
    (success,) = train_arm("prelu", p, [0.05], 2000, XOR_01)
    assert not success.any()
    start = {k: v.clone() for k, v in p.items()}
    p = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    opt = torch.optim.Adam(list(p.values()), lr=0.05)
    for _ in range(2000):
        opt.zero_grad()
        ((outputs("prelu", p, XOR_01) - XOR_Y) ** 2).mean().backward()
        opt.step()
    torch.testing.assert_close(p["w"].detach(), torch.full((1, 2), 1 / 3), atol=1e-3, rtol=0)
    assert float(p["a"].detach()) == float(start["a"])  # never moved


def test_stacked_trials_follow_their_single_model_trajectories():
    lrs, steps = [0.01, 0.3], 25
    for arm in ARMS:
        init = init_params(arm, 3, torch.Generator().manual_seed(1))
        stacked_success = train_arm(arm, init, lrs, steps)
        for lr, success in zip(lrs, stacked_success):
            for i in range(3):
                model = _module(arm, init, i)
                torch.testing.assert_close(model(XOR_X)[:, 0], outputs(arm, init, XOR_X)[i])
                opt = torch.optim.Adam(model.parameters(), lr=lr)
                for _ in range(steps):
                    opt.zero_grad()
                    nn.functional.mse_loss(model(XOR_X)[:, 0], XOR_Y).backward()
                    opt.step()
                with torch.no_grad():
                    single = bool(solved(model(XOR_X)[:, 0][None])[0])
                assert single == bool(success[i]), (arm, lr, i)


def test_stacked_parameters_equal_single_runs():
    init = init_params("mlp", 2, torch.Generator().manual_seed(3))
    # trial 1 of two stacked MLPs against the same MLP trained alone: same outputs at the end
    lr, steps = 0.1, 40
    model = _module("mlp", init, 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.mse_loss(model(XOR_X)[:, 0], XOR_Y).backward()
        opt.step()
    p = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    opt = torch.optim.Adam(list(p.values()), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.mse_loss(outputs("mlp", p, XOR_X), XOR_Y.expand(2, -1),
                               reduction="none").mean(-1).sum().backward()
        opt.step()
    with torch.no_grad():
        torch.testing.assert_close(outputs("mlp", p, XOR_X)[1], model(XOR_X)[:, 0],
                                   rtol=1e-4, atol=1e-4)  # float32 sums in another order


def test_learning_rate_grid():
    grid = learning_rates(-3.0, 1.0, 4)
    assert len(grid) == 17
    torch.testing.assert_close(torch.tensor(grid[::4]), torch.tensor([1e-3, 1e-2, 1e-1, 1.0, 10.0]))


def _records(prelu=(6, 7, 6, 8, 6, 7, 7, 6), mlp=3, gcu=2, edge=0.5):
    rows = []
    for s, n in enumerate(prelu):
        for arm, count in (("prelu", n), ("mlp", mlp), ("gcu", gcu)):
            rows.append(claim_record(arm, s, "full_success_range", count, step=17))
            rows += [claim_record(arm, s, "success_rate", edge, step=0),
                     claim_record(arm, s, "success_rate", 1.0, step=8),
                     claim_record(arm, s, "success_rate", 0.0, step=16)]
    return rows


def test_verdict_rule_and_precondition():
    claim = PreluXor()
    assert claim.check(_records()).verdict == "reproduced"
    narrow = claim.check(_records(prelu=(1,) * 8))  # narrower than the MLP and GCU
    assert narrow.verdict == "not reproduced" and "MLP" in narrow.decided
    # as wide as the MLP: the grid's resolution (one point) keeps the interval around 0 open
    assert claim.check(_records(prelu=(3,) * 8)).verdict == "inconclusive"
    assert claim.check(_records(prelu=(4, 3, 4, 3, 4, 3, 4, 3))).verdict == "inconclusive"
    assert claim.budget_failure(_records()) is None
    cut = claim.budget_failure(_records(edge=1.0))
    assert "smallest learning rate" in cut
    assert claim.verdict(_records(edge=1.0)).verdict == "inconclusive"


def test_smoke():
    result = smoke("prelu_xor", {arm: ("success_rate", "full_success_range")
                                 for arm in (*ARMS, REPORTED)}, parts=3)
    rates = [r["value"] for r in result.records if r["metric"] == "success_rate"]
    assert all(0.0 <= v <= 1.0 for v in rates)
