"""Modern Hopfield networks: one-update retrieval, and a capacity far beyond the classical net's.

Ramsauer et al., "Hopfield Networks is All You Need" (arXiv:2008.02217): the continuous modern
Hopfield network ``xi <- X softmax(beta X^T xi)`` retrieves a stored pattern "with one update"
and can store exponentially many patterns in the dimension, whereas the classical binary
Hopfield network (Hebbian ``W = (1/d) sum x x^T``, sign updates) stores about ``0.14 d``.

Setting: ``N`` random +-1 patterns of dimension ``d``; queries are stored patterns with a fixed
15% of their bits flipped. Modern: one update with ``beta = 0.5``
(:func:`~neuralab.components.memory.hopfield.hopfield_update`), retrieved when the sign of the
result equals the stored pattern in every bit. Classical: Hebbian weights without self-coupling,
synchronous sign updates until a fixed point (at most 20), same criterion. Capacity: the
largest ``N`` on a doubling grid at which at least 99% of queries are retrieved. Nothing is
trained; a seed draws the patterns and the corruptions. Verdict, both required:

1. the modern network's one-update retrieval rate at ``N = 16 d`` > 0.99;
2. modern capacity / classical capacity > 10 ("far exceeds").
"""

from __future__ import annotations

import torch

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide
from neuralab.components.memory.hopfield import hopfield_update
from neuralab.registry import register
from neuralab.seed import derive_seed, generator

BETA, FLIP, RETRIEVED = 0.5, 0.15, 0.99


def corrupted(patterns: torch.Tensor, n_queries: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(indices, queries): stored patterns with ``round(FLIP * d)`` of their bits flipped."""
    N, d = patterns.shape
    idx = torch.randperm(N, generator=g)[:n_queries]
    flips = torch.rand(len(idx), d, generator=g).argsort(-1)[:, : round(FLIP * d)]
    queries = patterns[idx].clone()
    queries.scatter_(1, flips, -queries.gather(1, flips))
    return idx, queries


def modern_rate(patterns: torch.Tensor, idx: torch.Tensor, queries: torch.Tensor) -> float:
    """Fraction of queries whose one-update retrieval has every bit right."""
    out = torch.sign(hopfield_update(patterns, queries, BETA))
    return float((out == patterns[idx]).all(-1).float().mean())


def classical_rate(patterns: torch.Tensor, idx: torch.Tensor, queries: torch.Tensor,
                   max_updates: int = 20) -> float:
    """Fraction retrieved by the Hebbian network with synchronous sign updates."""
    d = patterns.shape[1]
    W = patterns.T @ patterns / d
    W.fill_diagonal_(0)
    state = queries
    for _ in range(max_updates):
        new = torch.where(state @ W >= 0, 1.0, -1.0)
        if torch.equal(new, state):
            break
        state = new
    return float((state == patterns[idx]).all(-1).float().mean())


@register("claim", "hopfield_capacity", paper="Hopfield Networks is All You Need", arxiv="2008.02217")
class HopfieldCapacity(Claim):
    statement = ("A modern Hopfield network retrieves a corrupted stored pattern in one update, and "
                 "stores far more patterns than the classical Hopfield network of the same "
                 "dimension.")
    reference = ("Exponential storage capacity in the dimension, retrieval with one update and "
                 "exponentially small retrieval error; the classical network stores ~0.14 d.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"one_update_retrieval": RETRIEVED, "capacity_ratio": 10.0}
    budgets = {"smoke": {"dim": 32, "queries": 64, "max_patterns": 1024},
               "full": {"dim": 64, "queries": 256, "max_patterns": 16384}}
    x_label = "stored patterns"

    def run(self, budget, progress=None):
        b = self.budget(budget)
        d = b["dim"]
        grid = [2**k for k in range(1, b["max_patterns"].bit_length()) if 2**k <= b["max_patterns"]]
        records = []
        for seed in self.seeds:
            g = generator(derive_seed(seed, "hopfield"))
            capacity, failed = {"modern": 0, "classical": 0}, set()
            for N in grid:
                patterns = torch.where(torch.rand(N, d, generator=g) < 0.5, 1.0, -1.0)
                idx, queries = corrupted(patterns, b["queries"], g)
                rates = {"modern": modern_rate(patterns, idx, queries),
                         "classical": classical_rate(patterns, idx, queries)}
                for arm, rate in rates.items():
                    records.append(claim_record(arm, seed, "retrieval_rate", rate, step=N))
                    if rate < RETRIEVED:
                        failed.add(arm)
                    elif arm not in failed:  # every N up to this one retrieved
                        capacity[arm] = N
                if N == 16 * d:
                    records.append(claim_record("modern", seed, "retrieval_at_16d", rates["modern"],
                                                step=N))
            for arm, n in capacity.items():
                records.append(claim_record(arm, seed, "capacity", n, step=grid[-1] + 1))
            if progress:
                progress(f"seed {seed}: capacity modern {capacity['modern']}, classical "
                         f"{capacity['classical']} (d={d})")
        return records

    def check(self, records):
        t = self.thresholds
        modern, classical = by_seed(records, "modern", "capacity"), by_seed(records, "classical", "capacity")
        ratio = {s: modern[s] / max(classical[s], 1) for s in modern if s in classical}
        parts = [
            decide(by_seed(records, "modern", "retrieval_at_16d"), t["one_update_retrieval"],
                   "modern Hopfield one-update retrieval rate at N = 16 d"),
            decide(ratio, t["capacity_ratio"],
                   "modern / classical capacity (largest N with >= 99% retrieved)",
                   notes="a capacity of 0 counts as 1; the modern capacity is capped by the grid"),
        ]
        return combine(parts, "one-update retrieval; capacity far above the classical network")
