"""ocs_extrapolation: the corruption ladder against its formula, the rule and precondition on
constructed records, and a smoke run (six positive distances per seed, each log-ratio that of
its own distances)."""

import math

import pytest
import torch

from neuralab.claims import claim_record, get_claim
from neuralab.claims.probes.ocs_extrapolation import ARCHITECTURES, corruption_ladder


def test_ladder_blends_linearly_into_the_noise():
    x, z = torch.ones(2, 3), torch.zeros(2, 3)
    ladder = corruption_ladder(x, z)
    assert len(ladder) == 6
    torch.testing.assert_close(ladder[0], x)
    torch.testing.assert_close(ladder[5], z)
    torch.testing.assert_close(ladder[2], 0.6 * x)


def _records(final=0.1, bump=0.0, accuracy=0.97):
    rows = []
    for arch in ARCHITECTURES:
        for s in range(8):
            d = [1.0, 0.8, 0.6, 0.4, 0.2 + bump, final]
            d = [v * (1 + 0.01 * s) for v in d]
            rises = [b - a for a, b in zip(d, d[1:])]
            rows += [claim_record(arch, s, "log_ratio", math.log(d[-1] / d[0]), step=99),
                     claim_record(arch, s, "largest_rise", max(rises) / d[0], step=99),
                     claim_record(arch, s, "clean_test_accuracy", accuracy, step=99)]
    return rows


def test_verdict_rule_and_precondition():
    claim = get_claim("ocs_extrapolation")
    assert claim.check(_records()).verdict == "reproduced"
    assert claim.check(_records(final=0.9)).verdict == "not reproduced"
    bumped = claim.check(_records(bump=0.3))  # the distance rises once along the ladder
    assert bumped.verdict == "not reproduced" and "largest rise" in bumped.decided
    assert claim.budget_failure(_records()) is None
    assert "clean test accuracy" in claim.budget_failure(_records(accuracy=0.5))


def test_smoke():
    claim = get_claim("ocs_extrapolation")
    records = claim.run("smoke")
    for arch in ARCHITECTURES:
        d = {r["member"]: {} for r in records if r["run"] == arch}
        for r in records:
            if r["run"] == arch and r["metric"] == "ocs_distance":
                d[r["member"]][r["step"]] = r["value"]
        assert len(d) == 2 and all(len(v) == 6 and min(v.values()) > 0 for v in d.values())
        for r in records:
            if r["run"] == arch and r["metric"] == "log_ratio":
                seed = d[r["member"]]
                assert r["value"] == pytest.approx(math.log(seed[5] / seed[0]))
    assert claim.verdict(records, "smoke").verdict == "smoke check"
