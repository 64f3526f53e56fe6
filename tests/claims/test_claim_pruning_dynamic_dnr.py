import pytest
import torch
from smoke_check import smoke

from neuralab.claims import claim_record, get_claim
from neuralab.claims.compression.pruning_dynamic_dnr import dynamic_dnr
from neuralab.data.dataset import load_dataset
from neuralab.models import build_model


def test_dynamic_dnr_is_the_share_of_zero_relu_outputs():
    data = load_dataset("mnist1d", num_samples=300)
    model = build_model("mlp", data.spec, {"width": 16, "depth": 2}, seed=0)
    with torch.no_grad():
        h0 = model.blocks[0](data.x_test)
        h1 = model.blocks[1](h0)
    expected = ((h0 == 0).float().mean() + (h1 == 0).float().mean()) / 2
    assert dynamic_dnr(model, data) == pytest.approx(float(expected))


def test_smoke_run_and_verdict():
    result = smoke("pruning_dynamic_dnr",
                   {"imp": ("dynamic_dnr", "sparsity", "test_accuracy", "batch_loss")})
    for seed in result.claim.seeds_for("smoke"):
        dnr = [r for r in result.records if r["member"] == seed and r["metric"] == "dynamic_dnr"]
        assert [r["step"] for r in dnr] == [0, 1, 2, 3]
        assert all(0 <= r["value"] <= 1 for r in dnr)


def rows(dnrs, moving=False):
    out = []
    for seed in range(5):
        for step, (sparsity, dnr) in enumerate(zip((0.0, 0.2, 0.36, 0.49), dnrs)):
            out += [claim_record("imp", seed, "sparsity", sparsity, step=step),
                    claim_record("imp", seed, "dynamic_dnr", dnr, step=step)]
        out += [claim_record("imp", seed, "batch_loss", 2.0 - 0.09 * s if moving else 0.1, step=s)
                for s in range(1, 21)]
    return out


def test_check_on_known_records():
    claim = get_claim("pruning_dynamic_dnr")
    falling = claim.check(rows((0.5, 0.45, 0.4, 0.3)))
    assert falling.verdict == "reproduced" and falling.effect == pytest.approx(-1.0)
    assert claim.check(rows((0.3, 0.4, 0.45, 0.5))).verdict == "not reproduced"
    assert claim.check(rows((0.4, 0.4, 0.4, 0.4))).effect == 0.0


def test_budget_failure_on_unconverged_retraining():
    claim = get_claim("pruning_dynamic_dnr")
    assert claim.budget_failure(rows((0.5, 0.45, 0.4, 0.3))) is None
    assert claim.budget_failure(rows((0.5, 0.45, 0.4, 0.3), moving=True)).startswith("imp")
    assert claim.verdict(rows((0.5, 0.45, 0.4, 0.3), moving=True)).verdict == "inconclusive"
