"""repvgg_vs_plain: the rule (with the test-set error) and the precondition on constructed
records, and a smoke run whose deployed models equal their trained form."""

from neuralab.claims import claim_record, get_claim


def _records(repvgg=0.96, plain=0.93, error=0.002, loss_end=0.01):
    rows = []
    for s in range(6):
        jitter = 0.002 * (s - 2.5)
        rows += [claim_record("repvgg", s, "deployed_test_accuracy", repvgg + jitter),
                 claim_record("plain", s, "deployed_test_accuracy", plain + jitter)]
        for arm in ("repvgg", "plain"):
            for step, value in ((250, 1.0), (500, 0.4), (750, 0.1), (1000, loss_end)):
                rows.append(claim_record(arm, s, "batch_loss", value, step=step))
    rows.append(claim_record("test_set_error", 0, "accuracy", error))
    return rows


def test_verdict_rule_and_precondition():
    claim = get_claim("repvgg_vs_plain")
    assert claim.check(_records()).verdict == "reproduced"
    assert claim.check(_records(repvgg=0.90)).verdict == "not reproduced"
    assert claim.check(_records(error=0.03)).verdict == "inconclusive"
    assert claim.budget_failure(_records()) is None
    assert "still moving" in claim.budget_failure(_records(loss_end=0.09))


def test_smoke():
    claim = get_claim("repvgg_vs_plain")
    records = claim.run("smoke")
    acc = [r for r in records if r["metric"] == "deployed_test_accuracy"]
    assert len(acc) == 4 and all(0 <= r["value"] <= 1 for r in acc)
    gaps = [r["value"] for r in records if r["metric"] == "deploy_max_logit_gap"]
    assert len(gaps) == 4 and max(gaps) < 1e-4  # the deployed stack is the trained model
    assert claim.verdict(records, "smoke").verdict == "smoke check"
