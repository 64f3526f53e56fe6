import torch
from claim_smoke import smoke

from neuralab.claims.sequence.hopfield_capacity import classical_rate, corrupted, modern_rate


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


def test_smoke():
    result = smoke("hopfield_capacity", {"modern": ("capacity", "retrieval_rate", "retrieval_at_16d"),
                                         "classical": ("capacity", "retrieval_rate")}, parts=2)
    capacities = [r["value"] for r in result.records if r["metric"] == "capacity"]
    assert all(c in {0} | {2**k for k in range(1, 11)} for c in capacities)
