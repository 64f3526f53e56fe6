import torch
from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.hopfield_capacity import (HopfieldCapacity, classical_rate,
                                                        corrupted, modern_rate)


def test_retrieval_measures():
    g = torch.Generator().manual_seed(0)
    few = torch.where(torch.rand(3, 64, generator=g) < 0.5, 1.0, -1.0)
    idx, queries = corrupted(few, 3, g)
    assert ((queries != few[idx]).sum(-1) == 10).all()  # 15% of 64 bits flipped
    assert classical_rate(few, idx, queries) == 1.0 and modern_rate(few, idx, queries) == 1.0
    many = torch.where(torch.rand(256, 64, generator=g) < 0.5, 1.0, -1.0)
    idx, queries = corrupted(many, 64, g)
    assert classical_rate(many, idx, queries) == 0.0  # 4 d patterns: far past 0.14 d
    assert modern_rate(many, idx, queries) == 1.0


def _records(modern_at_16d=1.0, modern_capacity=16384, classical_fails=True):
    rows = []
    for s in range(5):
        rows += [claim_record("modern", s, "retrieval_at_16d", modern_at_16d, step=1024),
                 claim_record("modern", s, "queries_at_16d", 256, step=1024),
                 claim_record("modern", s, "capacity", modern_capacity, step=99999),
                 claim_record("classical", s, "capacity", 4 * 2 ** (s % 2), step=99999),
                 claim_record("classical", s, "retrieval_rate", 1.0, step=2),
                 claim_record("classical", s, "retrieval_rate", 0.0 if classical_fails else 1.0,
                              step=64)]
    return rows


def test_verdict_rule_and_precondition():
    claim = HopfieldCapacity()
    assert claim.check(_records()).verdict == "reproduced"
    assert claim.check(_records(modern_capacity=16)).verdict == "not reproduced"
    low = claim.check(_records(modern_at_16d=0.9))
    assert low.verdict == "not reproduced" and "retrieval" in low.decided
    assert claim.budget_failure(_records()) is None
    assert "not measured" in claim.budget_failure(_records(classical_fails=False))
    assert claim.verdict(_records(classical_fails=False)).verdict == "inconclusive"


def test_smoke():
    result = smoke("hopfield_capacity", {"modern": ("capacity", "retrieval_rate", "retrieval_at_16d"),
                                         "classical": ("capacity", "retrieval_rate")}, parts=2)
    capacities = [r["value"] for r in result.records if r["metric"] == "capacity"]
    assert all(c in {0} | {2**k for k in range(1, 11)} for c in capacities)
