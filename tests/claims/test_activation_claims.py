"""The per-paper "better than ReLU" claims share one sweep and its ReLU runs."""

import pytest

from neuralab.claims import VERDICTS, by_seed, get_claim
from neuralab.claims.activations._activation_sweep import _config
from neuralab.claims.training import train_arm

CLAIMS = ("swish_vs_relu", "gelu_vs_relu", "mish_vs_relu", "sau_vs_relu", "polycom_vs_relu",
          "relu2_vs_relu")


def test_activation_claims_smoke_share_their_relu_runs_and_decide():
    seen = []
    for claim_id in CLAIMS:
        claim = get_claim(claim_id)
        records = claim.run("smoke", progress=seen.append)
        verdict = claim.check(records)
        assert verdict.verdict in VERDICTS, claim_id
        assert len(verdict.parts) == (len(claim.comparisons) if len(claim.comparisons) > 1 else 0)
        arms = {r["run"] for r in records}
        for testbed, activation in claim.comparisons:
            assert {f"{testbed}/relu", f"{testbed}/{activation}"} <= arms
    assert any("(shared runs)" in line for line in seen)  # relu trained once per testbed


@pytest.mark.parametrize("testbed, metric", [("mnist1d", "test_accuracy"), ("char_lm", "test_loss")])
def test_the_population_sweep_gives_each_seed_its_single_run(testbed, metric):
    claim = get_claim("swish_vs_relu" if testbed == "mnist1d" else "relu2_vs_relu")
    activation = "swish" if testbed == "mnist1d" else "relu2"
    records = claim.run("smoke")
    swept = by_seed(records, f"{testbed}/{activation}", metric)
    for seed in claim.seeds[:2]:
        single = train_arm("single", seed, _config(testbed, activation, "smoke")).final[metric]
        assert swept[seed] == pytest.approx(single, abs=1e-5)
