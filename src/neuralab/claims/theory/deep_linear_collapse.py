"""Neural collapse in deep linear networks: orthogonal class means, longer for larger classes.

Dang, Tran, Osher, Tran-The, Ho & Nguyen, "Neural Collapse in Deep Linear Networks: From Balanced
to Imbalanced Data" (arXiv:2301.00437): in the unconstrained-features model followed by several
linear layers, the global minimizers of the weight-decayed, bias-free mean-squared-error problem
show neural collapse, and with imbalanced classes the last-layer features and classifiers
converge to a geometry of orthogonal vectors whose lengths depend on the number of examples of
their class.

Setting (fixed before the first run): ``K = 4`` classes, free features ``H`` (16 x N) followed by
three linear layers ``W_3 W_2 W_1`` (16 x 16, 16 x 16, 4 x 16), no biases; the objective

    ||W_3 W_2 W_1 H - Y||_F^2 / (2N) + (lambda / 2) (||W_1||^2 + ||W_2||^2 + ||W_3||^2 + ||H||^2 / N)

with one-hot targets ``Y`` and ``lambda = 1e-3``, minimized by Adam (learning rate 0.01, cosine
decay to 0, 20 000 full-batch steps) from ``N(0, 1 / fan_in)`` weights and ``N(0, 1 / 16)``
features. Two arms per seed: *balanced* (28 examples per class) and *imbalanced* (50, 30, 20 and
10 examples). Measures on the features ``H`` (:mod:`neuralab.probes.neural_collapse`): NC1
``tr(Sigma_W Sigma_B^+) / K``; the cosines between the class means ``h_k`` (not centred: the
bias-free geometry); their norms. Verdict, all three parts (two one-sided 95% Student-t bounds
over seeds, intersection-union, :mod:`neuralab.claims.base`):

1. the features collapse: the larger NC1 of the two arms is below 0.01;
2. the class means are orthogonal: the largest ``|cos(h_j, h_k)|`` over pairs and both arms is
   below 0.1 (an orthogonal frame, not the simplex ETF's -1/3);
3. lengths follow class sizes: with the imbalanced classes in decreasing size, the smallest step
   ``(||h_k|| - ||h_{k+1}||) / ||h_1||`` is positive.

Seeds: 10; no pilot: ``seeds_needed(s, d)`` is at most 10 whenever a part's seed spread ``s`` is
up to 1.16 times its distance ``d`` from the threshold, and the minimizer's geometry is exact in
theory, so the spread is the optimizer's residual. Precondition: the optimizer reached a
stationary point (the final gradient norm of every run's objective below 1e-3; the cosine decay
would make any objective look flat at the end), and no class mean vanished (every norm at least
1% of the largest). The 10 seeds train as one stacked problem per arm; no quick budget (40 000
Adam steps, about 2 minutes).

First full run (2026-12-03): **not reproduced**, on part 3. The collapse is exact (NC1 about
1e-32, every cosine below 1e-15, on every seed) but the feature means' norms run the other way:
1.34, 1.63, 1.89, 2.45 for the classes of 50, 30, 20 and 10 examples (the same on every seed), so
the smaller the class the longer its mean. The abstract says only that the lengths "depend on the
amount of data"; the direction of part 3 was this claim's reading, fixed before the run and kept.
For one layer the per-class balance of ``lambda ||w_k||^2`` against ``lambda (n_k / N) ||h_k||^2``
at a fixed product ``w_k . h_k = a_k`` gives ``||h_k||^2 = a_k sqrt(N / n_k)``, longer feature
means for smaller classes, and classifier rows longer for larger ones, as measured here.
"""

from __future__ import annotations

import math

import torch

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide
from neuralab.probes.neural_collapse import class_means, nc1
from neuralab.registry import register
from neuralab.seed import derive_seed, generator

CLASS_SIZES = {"balanced": (28, 28, 28, 28), "imbalanced": (50, 30, 20, 10)}
FEATURES, LAYERS = 16, 3


def deep_linear_objective(h: torch.Tensor, weights: list[torch.Tensor], y: torch.Tensor,
                          lam: float) -> torch.Tensor:
    """``||W_L ... W_1 H - Y||^2 / (2N) + lam / 2 (sum ||W_l||^2 + ||H||^2 / N)`` of each of ``S``
    independent problems: ``H`` (S, D, N), ``W_l`` (S, d_out, d_in), ``Y`` (K, N); returns (S,)."""
    n = h.shape[-1]
    out = h
    for w in weights:
        out = w @ out                                                # (S, d_out, N)
    fit = ((out - y) ** 2).sum((1, 2)) / (2 * n)
    return fit + lam / 2 * (sum((w ** 2).sum((1, 2)) for w in weights) + (h ** 2).sum((1, 2)) / n)


def train_deep_linear_ufm(sizes: tuple[int, ...], lam: float, steps: int, lr: float,
                          generators: list[torch.Generator]
                          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Minimize :func:`deep_linear_objective` for classes of ``sizes``, one problem per generator
    (each drawn from its own generator; Adam acts elementwise, so the stacked problems train
    exactly as separate ones): the features ``(S, N, D)``, the labels ``(N,)``, the objectives
    ``(S, steps + 1)`` before every step and after the last, and the norm of each problem's final
    gradient ``(S,)``."""
    labels = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    y = torch.nn.functional.one_hot(labels, len(sizes)).double().T   # (K, N)
    dims = [FEATURES] * LAYERS + [len(sizes)]

    def draw(g: torch.Generator) -> list[torch.Tensor]:
        h = torch.randn(FEATURES, len(labels), generator=g, dtype=torch.float64) / math.sqrt(FEATURES)
        return [h] + [torch.randn(dims[i + 1], dims[i], generator=g, dtype=torch.float64)
                      / math.sqrt(dims[i]) for i in range(LAYERS)]

    drawn = [draw(g) for g in generators]
    h, *weights = [torch.stack(parts).requires_grad_() for parts in zip(*drawn)]
    opt = torch.optim.Adam([h, *weights], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    objective = []
    for _ in range(steps):
        loss = deep_linear_objective(h, weights, y, lam)             # (S,)
        objective.append(loss.detach())
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        schedule.step()
    final = deep_linear_objective(h, weights, y, lam)
    objective.append(final.detach())
    grads = torch.autograd.grad(final.sum(), [h, *weights])
    grad_norm = torch.stack([(gr ** 2).sum((1, 2)) for gr in grads]).sum(0).sqrt()  # (S,)
    return h.detach().transpose(1, 2), labels, torch.stack(objective, 1), grad_norm


def mean_geometry(features: torch.Tensor, labels: torch.Tensor) -> tuple[float, list[float]]:
    """The largest ``|cos|`` between two (uncentred) class means, and the means' norms by class."""
    means, _ = class_means(features, labels)                         # (K, D)
    unit = means / means.norm(dim=1, keepdim=True)
    cosines = unit @ unit.T
    off = cosines[~torch.eye(len(means), dtype=torch.bool)]
    return float(off.abs().max()), [float(v) for v in means.norm(dim=1)]


def smallest_length_step(norms: list[float]) -> float:
    """``min_k (||h_k|| - ||h_{k+1}||) / ||h_1||`` for classes listed by decreasing size."""
    return min(a - b for a, b in zip(norms, norms[1:])) / norms[0]


@register("claim", "deep_linear_collapse", paper="Neural Collapse in Deep Linear Networks: From "
          "Balanced to Imbalanced Data", arxiv="2301.00437")
class DeepLinearCollapse(Claim):
    statement = ("At the minimum of the weight-decayed, bias-free MSE problem of free features "
                 "followed by three linear layers, the features collapse to their class means, "
                 "the class means are orthogonal, and with imbalanced classes the larger a class "
                 "the longer its mean.")
    reference = ("Global solutions of deep linear networks show neural collapse under MSE; with "
                 "imbalanced data and no bias, the last-layer features and classifiers converge "
                 "to orthogonal vectors whose lengths depend on their class's amount of data.")
    seeds = tuple(range(10))
    thresholds = {"nc1": 0.01, "max_abs_cosine": 0.1, "length_step": 0.0}
    precondition = ("the optimizer reached a stationary point: the objective's final gradient "
                    "norm is below 1e-3 in every run, and every class mean's norm is at least 1% "
                    "of the largest")
    budgets = {"smoke": {"seeds": 2, "steps": 300, "lam": 1e-3},
               "full": {"steps": 20000, "lam": 1e-3}}
    full_minutes = 3
    x_label = "step"

    def run(self, budget, progress=None):
        b = self.budget(budget)
        seeds = self.seeds_for(budget)
        records = []
        for arm, sizes in CLASS_SIZES.items():
            generators = [generator(derive_seed(seed, f"deep_linear_collapse/{arm}"))
                          for seed in seeds]
            features, labels, objective, grad_norm = train_deep_linear_ufm(
                sizes, b["lam"], b["steps"], 0.01, generators)
            for i, seed in enumerate(seeds):
                cosine, norms = mean_geometry(features[i], labels)
                records += [claim_record(arm, seed, "nc1", nc1(features[i], labels)),
                            claim_record(arm, seed, "max_abs_cosine", cosine),
                            claim_record(arm, seed, "smallest_norm_share", min(norms) / max(norms)),
                            claim_record(arm, seed, "objective", float(objective[i, -1])),
                            claim_record(arm, seed, "final_gradient_norm", float(grad_norm[i]))]
                if arm == "imbalanced":
                    records.append(claim_record(arm, seed, "length_step",
                                                smallest_length_step(norms)))
            if progress:
                progress(f"{arm}: NC1 " + ", ".join(
                    f"{by_seed(records, arm, 'nc1')[s]:.2g}" for s in seeds) + "; max|cos| "
                    + ", ".join(f"{by_seed(records, arm, 'max_abs_cosine')[s]:.2g}" for s in seeds))
        return records

    def check(self, records):
        t = self.thresholds

        def worst(metric: str) -> dict[int, float]:
            arms = [by_seed(records, arm, metric) for arm in CLASS_SIZES]
            return {s: max(a[s] for a in arms) for s in arms[0] if all(s in a for a in arms)}

        return combine([
            decide(worst("nc1"), t["nc1"], "NC1 of the features (the larger of the two arms)",
                   direction="less"),
            decide(worst("max_abs_cosine"), t["max_abs_cosine"],
                   "largest |cosine| between two class means (both arms)", direction="less"),
            decide(by_seed(records, "imbalanced", "length_step"), t["length_step"],
                   "imbalanced: smallest step between class-mean norms by decreasing class size "
                   "(share of the largest)"),
        ], "deep linear collapse: collapsed, orthogonal means, lengths ordered by class size")

    def budget_failure(self, records):
        for r in records:
            if r["metric"] == "final_gradient_norm" and not r["value"] < 1e-3:
                return (f"{r['run']} seed {r['member']}: not at a stationary point (final "
                        f"gradient norm {r['value']:.2g}, needs < 1e-3)")
            if r["metric"] == "smallest_norm_share" and not r["value"] >= 0.01:
                return (f"{r['run']} seed {r['member']}: a class mean vanished (norm "
                        f"{r['value']:.2g} of the largest)")
        return None
