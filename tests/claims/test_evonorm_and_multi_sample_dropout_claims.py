from neuralab.claims import VERDICTS, get_claim


def test_evonorm_small_batch_smoke_runs_and_decides():
    claim = get_claim("evonorm_small_batch")
    records = claim.run("smoke")
    assert claim.check(records).verdict in VERDICTS
    assert {r["run"] for r in records} == {"batchnorm/b64", "batchnorm/b4", "evonorm_s0/b64",
                                           "evonorm_s0/b4"}


def test_multi_sample_dropout_smoke_runs_and_decides():
    claim = get_claim("multi_sample_dropout")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.per_seed) == 3
    assert all(0 < v <= 1 for v in verdict.per_seed.values())
