import torch

from neuralab.claims import VERDICTS, get_claim
from neuralab.claims.compression.lmul_precision import operands


def test_operands_are_normal_e4m3_numbers():
    x, y = operands(5000, 0)
    assert bool((x.abs() >= 2.0**-6).all()) and bool((y.abs() >= 2.0**-6).all())
    assert torch.equal(operands(5000, 0)[0], x) and not torch.equal(operands(5000, 1)[0], x)


def test_smoke_run_and_verdict():
    claim = get_claim("lmul_precision")
    records = claim.run("smoke")
    errors = {r["run"]: r["value"] for r in records if r["member"] == 0}
    assert set(errors) == {"lmul4", "lmul3", "e4m3", "e5m2"}
    assert errors["e5m2"] > errors["e4m3"] > 0  # fewer mantissa bits, more error
    assert errors["lmul3"] > errors["lmul4"] > 0
    assert claim.check(records).verdict in VERDICTS
