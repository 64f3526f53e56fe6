"""rmsnorm_vs_layernorm: the non-inferiority rule on constructed losses, the precondition, the
shared LayerNorm population, and a smoke run."""

from neuralab.claims import claim_record, get_claim
from neuralab.claims.normalization.rmsnorm_vs_layernorm import LAYER, RMS


def _records(gap, flat=True):
    rows = []
    for s in range(6):
        for arm, loss in ((LAYER, 1.50 + 0.01 * s), (RMS, 1.50 + 0.01 * s + gap + 0.002 * (s % 2))):
            rows.append(claim_record(arm, s, "test_loss", loss, step=600))
            for step in range(0, 601, 30):  # a training loss that is flat at the end, or falling
                rows.append(claim_record(arm, s, "batch_loss",
                                         1.6 if flat and step > 400 else 3.0 - step / 300, step=step))
    return rows


def test_non_inferiority_rule_and_precondition():
    claim = get_claim("rmsnorm_vs_layernorm")
    assert claim.check(_records(0.0)).verdict == "reproduced"
    assert claim.check(_records(0.05)).verdict == "not reproduced"
    assert claim.check(_records(0.019)).verdict == "inconclusive"  # on the margin
    assert claim.budget_failure(_records(0.0)) is None
    assert "still moving" in claim.budget_failure(_records(0.0, flat=False))


def test_smoke_shares_the_activation_sweeps_layernorm_population():
    from neuralab.claims.activations._activation_sweep import _population

    claim = get_claim("rmsnorm_vs_layernorm")
    records = claim.run("smoke")
    assert {r["run"] for r in records} == {LAYER, RMS}
    # enough training-loss points for the precondition to judge (one evaluation left one point)
    assert "too few" not in (claim.budget_failure(records) or "")
    before = _population.cache_info().hits
    get_claim("relu2_vs_relu").run("smoke")  # its char-LM ReLU arm is the LayerNorm arm above
    assert _population.cache_info().hits > before
    verdict = claim.verdict(records, "smoke")
    assert verdict.verdict == "smoke check" and verdict.n_seeds == 2
