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


def _mnist1d_records(gain, *, plateau=True, error=0.004, seeds=range(10)):
    from neuralab.claims import claim_record

    rows = []
    for seed in seeds:
        for act, base in (("relu", 0.60), ("swish", 0.60 + gain)):
            jitter = 0.002 * ((seed * 7 + len(act)) % 5 - 2)
            for step in range(100, 1001, 100):
                rising = 0.0 if plateau else 0.3 * (1 - step / 1000)
                rows.append(claim_record(f"mnist1d/{act}", seed, "test_accuracy",
                                         base + jitter - rising, step=step))
    rows.append(claim_record("mnist1d/swish-relu", 0, "test_set_error", error))
    return rows


def test_check_takes_the_test_set_error_into_the_bound():
    claim = get_claim("swish_vs_relu")
    assert claim.check(_mnist1d_records(0.03, error=0.004)).verdict == "reproduced"
    # the same seed effects with a large test-set error are no longer decisive
    assert claim.check(_mnist1d_records(0.03, error=0.02)).verdict == "inconclusive"
    assert claim.check(_mnist1d_records(-0.03, error=0.004)).verdict == "not reproduced"
    verdict = claim.check(_mnist1d_records(0.03, error=0.004))
    assert verdict.n_seeds == 10 and "test-set error" in verdict.notes


def test_budget_failure_when_test_accuracy_is_still_rising():
    claim = get_claim("swish_vs_relu")
    assert claim.budget_failure(_mnist1d_records(0.03)) is None
    failed = claim.budget_failure(_mnist1d_records(0.03, plateau=False))
    assert failed and "still moving" in failed
    verdict = claim.verdict(_mnist1d_records(0.03, plateau=False), "quick")
    assert verdict.verdict == "inconclusive" and verdict.notes.startswith("budget:")


def test_the_claims_share_one_experiment_and_its_seeds():
    claims = [get_claim(c) for c in CLAIMS]
    assert {c.shared for c in claims} == {"activation_sweep"}
    assert {c.seeds for c in claims} == {tuple(range(10))}
    assert get_claim("relu2_vs_relu").needs_full().startswith("needs --budget full")
    assert "quick" in get_claim("swish_vs_relu").budgets


def test_a_claim_of_several_comparisons_names_each_activation_once():
    from neuralab.claims import claim_record
    from neuralab.claims.activations._activation_sweep import combined_statement

    assert combined_statement([("mnist1d", "gelu"), ("char_lm", "gelu")]) == (
        "gelu better than relu on mnist1d and char_lm")
    assert combined_statement([("mnist1d", "swish"), ("mnist1d", "mish")]) == (
        "swish and mish better than relu on mnist1d")
    claim = get_claim("gelu_vs_relu")
    rows = [r for r in _mnist1d_records(0.03) if r["run"] != "mnist1d/swish-relu"]
    rows = [{**r, "run": r["run"].replace("swish", "gelu")} for r in rows]
    for seed in range(6):
        rows += [claim_record("char_lm/relu", seed, "test_loss", 2.0 + 0.01 * seed),
                 claim_record("char_lm/gelu", seed, "test_loss", 1.9 + 0.01 * seed)]
    verdict = claim.check(rows)
    assert verdict.measure == "gelu better than relu on mnist1d and char_lm"
    assert "gelu and gelu" not in verdict.sentence()
