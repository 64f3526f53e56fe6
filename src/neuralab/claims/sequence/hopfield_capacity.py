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
2. modern capacity / classical capacity > 10 ("far exceeds"), judged on the doubling grid's own
   scale: log2 of the ratio > log2(10), with a resolution of one grid step (1).

Each part passes when its one-sided 95% t-bound over the seeds clears the threshold (two one-sided
tests, see :mod:`neuralab.claims.base`); the retrieval rate is a count out of the queries, so its
resolution is 1 / queries. Seeds: the pilot (5 seeds, full) retrieved every query (sd 0), so the
resolution stands in for the spread: ``seeds_needed(1/256, 1 - 0.99)`` = 5 (log2 capacity ratio 11.6
sd 0.55, distance 8.3: 5). Precondition: the
grid of pattern counts reaches 16 d and the classical network drops below 99% retrieval within it
(else there is no classical capacity to compare with). Quick: the full grid with 128 queries (full
takes about a second; at dim 32 one update no longer retrieves 16 d patterns, so quick keeps 64).
"""

from __future__ import annotations

import math

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
    precondition = ("the grid of stored-pattern counts reaches N = 16 d and the classical network "
                    "drops below 99% retrieval within it")
    budgets = {"smoke": {"dim": 32, "queries": 64, "max_patterns": 1024, "seeds": 2},
               "quick": {"dim": 64, "queries": 128, "max_patterns": 16384},
               "full": {"dim": 64, "queries": 256, "max_patterns": 16384}}
    x_label = "stored patterns"

    def run(self, budget, progress=None):
        b = self.budget(budget)
        d = b["dim"]
        grid = [2**k for k in range(1, b["max_patterns"].bit_length()) if 2**k <= b["max_patterns"]]
        records = []
        for seed in self.seeds_for(budget):
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
                    records += [claim_record("modern", seed, "retrieval_at_16d", rates["modern"],
                                             step=N),
                                claim_record("modern", seed, "queries_at_16d", len(idx), step=N)]
            for arm, n in capacity.items():
                records.append(claim_record(arm, seed, "capacity", n, step=grid[-1] + 1))
            if progress:
                progress(f"seed {seed}: capacity modern {capacity['modern']}, classical "
                         f"{capacity['classical']} (d={d})")
        return records

    def check(self, records):
        t = self.thresholds
        modern, classical = by_seed(records, "modern", "capacity"), by_seed(records, "classical", "capacity")
        log_ratio = {s: math.log2(max(modern[s], 1) / max(classical[s], 1))
                     for s in modern if s in classical}
        queries = by_seed(records, "modern", "queries_at_16d")
        parts = [
            decide(by_seed(records, "modern", "retrieval_at_16d"), t["one_update_retrieval"],
                   "modern Hopfield one-update retrieval rate at N = 16 d",
                   resolution=1 / min(queries.values(), default=1)),
            decide(log_ratio, math.log2(t["capacity_ratio"]),
                   "log2 of modern / classical capacity (largest N with >= 99% retrieved)",
                   resolution=1.0,
                   notes="a capacity of 0 counts as 1; the modern capacity is capped by the grid"),
        ]
        return combine(parts, "one-update retrieval; capacity far above the classical network")

    def budget_failure(self, records):
        at_16d = by_seed(records, "modern", "retrieval_at_16d")
        if not at_16d:
            return "the pattern grid does not reach N = 16 d"
        rates = {}
        for r in records:
            if r["run"] == "classical" and r["metric"] == "retrieval_rate":
                rates.setdefault(int(r["member"]), []).append(r["value"])
        held = sorted(s for s, v in rates.items() if min(v) >= RETRIEVED)
        if held:
            return (f"the classical network retrieves >= {RETRIEVED:.0%} over the whole grid "
                    f"(seed {held[0]}): its capacity is not measured")
        return None
