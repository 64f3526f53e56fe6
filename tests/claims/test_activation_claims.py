"""The per-paper "better than ReLU" claims share one sweep and its ReLU runs."""

from neuralab.claims import VERDICTS, get_claim

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
    assert any("(shared run)" in line for line in seen)  # relu trained once per testbed and seed
