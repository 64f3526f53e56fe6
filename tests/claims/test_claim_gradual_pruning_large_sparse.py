import pytest

from neuralab.claims import VERDICTS, get_claim
from neuralab.claims.compression.gradual_pruning_large_sparse import matching_width


def test_matching_width_solves_for_equal_weights():
    w = matching_width(40, 10, 28_700)
    assert abs(50 * w + w * w - 28_700) <= 50 + 2 * w + 1
    assert matching_width(40, 10, 50 * 100 + 100 * 100) == 100


def test_smoke_run_and_verdict():
    claim = get_claim("gradual_pruning_large_sparse")
    records = claim.run("smoke")
    nonzero = [r["value"] for r in records if r["metric"] == "nonzero_weights"]
    width = [r["value"] for r in records if r["metric"] == "width"]
    total = 40 * 64 + 64 * 64 + 64 * 10
    assert all(v == pytest.approx(0.1 * total, abs=1) for v in nonzero)
    assert all(abs(50 * w + w * w - 0.1 * total) < 50 + 2 * w + 1 for w in width)
    assert claim.check(records).verdict in VERDICTS
