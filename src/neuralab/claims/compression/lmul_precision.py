"""Claim: L-Mul with a 4-bit mantissa is about as precise as float8 e4m3 multiplication, and with
3 bits more precise than float8 e5m2.

Luo & Sun, "Addition is All You Need for Energy-efficient Language Models" (arXiv:2410.00907).
Experiment: ``n`` pairs ``(x, y)`` of independent standard normal numbers, redrawn where
``|x| < 2^-6`` (so that every operand is a normal float8 e4m3 number: the claim is about mantissa
precision, not exponent range). Each seed draws its own pairs. Products: L-Mul with 4- and 3-bit
operand mantissas (:func:`neuralab.compress.quantize.lmul.lmul`) and the exact products of the
operands cast to ``torch.float8_e4m3fn`` / ``torch.float8_e5m2``. Measure: the mean relative
error ``|p - xy| / |xy|`` of each. Parts, per seed, by the fixed rule: (a) err(e4m3) / err(L-Mul,
4 bits) above 0.8 ("about as precise": at most 25% more error); (b) err(e5m2) / err(L-Mul, 3 bits)
above 1 (more precise). Each part by the fixed rule (two one-sided 95% t-bounds over the seeds).

Seeds: pilot (3 seeds, full) sd 0.00019 of the first ratio, distance |0.473 - 0.8| = 0.327 ->
``seeds_needed(0.00019, 0.327)`` = 5. Precondition: enough pairs that each mean relative error
is known to 1% (its Monte Carlo standard error, recorded per seed, below 1% of it).
"""

from __future__ import annotations

import torch

from neuralab.claims.base import Claim, Progress, Verdict, by_seed, claim_record, combine, decide
from neuralab.compress.quantize.lmul import fp8_product, lmul, relative_error
from neuralab.registry import register
from neuralab.seed import derive_seed, generator


def operands(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` standard normal pairs with every magnitude at least ``2^-6``."""
    g = generator(derive_seed(seed, "lmul"))
    out = []
    for _ in range(2):
        v = torch.randn(n, generator=g)
        small = v.abs() < 2.0**-6
        while bool(small.any()):
            v[small] = torch.randn(int(small.sum()), generator=g)
            small = v.abs() < 2.0**-6
        out.append(v)
    return out[0], out[1]


@register("claim", "lmul_precision", arxiv="2410.00907",
          paper="Addition is All You Need for Energy-efficient Language Models")
class LMulPrecision(Claim):
    statement = ("L-Mul with 4-bit mantissas multiplies about as precisely as float8 e4m3, and "
                 "with 3-bit mantissas more precisely than float8 e5m2.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"e4m3": 0.8, "e5m2": 1.0}
    precondition = ("every mean relative error has a Monte Carlo standard error below 1% of "
                    "itself")
    budgets = {"smoke": {"pairs": 20_000, "seeds": 2}, "quick": {"pairs": 200_000},
               "full": {"pairs": 2_000_000}}
    arms = ("lmul4", "lmul3", "e4m3", "e5m2")

    def run(self, budget: str, progress: Progress | None = None) -> list[dict]:
        n = self.budget(budget)["pairs"]
        rows = []
        for seed in self.seeds_for(budget):
            x, y = operands(n, seed)
            exact = x.double() * y.double()
            products = {"lmul4": lmul(x, y, 4), "lmul3": lmul(x, y, 3),
                        "e4m3": fp8_product(x, y, "e4m3"), "e5m2": fp8_product(x, y, "e5m2")}
            for arm, p in products.items():
                err = relative_error(p, exact).double()
                rows += [claim_record(arm, seed, "mean_relative_error", float(err.mean())),
                         claim_record(arm, seed, "relative_error_se",
                                      float(err.std() / err.numel() ** 0.5))]
            if progress:
                progress(f"seed {seed} done")
        return rows

    def budget_failure(self, records) -> str | None:
        for arm in self.arms:
            mean, se = by_seed(records, arm, "mean_relative_error"), by_seed(records, arm,
                                                                             "relative_error_se")
            if not mean or set(mean) != set(se):
                return f"{arm}: mean relative error or its standard error missing"
            worst = max(se[s] / mean[s] for s in mean)
            if not worst < 0.01:
                return f"{arm}: Monte Carlo error {worst:.2%} of the mean relative error (> 1%)"
        return None

    def check(self, records) -> Verdict:
        err = {arm: by_seed(records, arm, "mean_relative_error")
               for arm in self.arms}
        a = decide({s: err["e4m3"][s] / err["lmul4"][s] for s in err["lmul4"]},
                   self.thresholds["e4m3"], "error(e4m3) / error(L-Mul 4-bit)")
        b = decide({s: err["e5m2"][s] / err["lmul3"][s] for s in err["lmul3"]},
                   self.thresholds["e5m2"], "error(e5m2) / error(L-Mul 3-bit)")
        return combine([a, b], "L-Mul precision against float8 multiplication")
