"""How flexible are networks in practice: they fit fewer samples than they have parameters, and
more samples with correct labels than with random ones.

Shwartz-Ziv, Goldblum, Bansal, Bruss, LeCun & Wilson, "Just How Flexible are Neural Networks in
Practice?" (arXiv:2406.11463): measured by the effective model complexity (EMC, the largest
training set a training procedure fits perfectly), standard optimizers find minima where a model
fits training sets with significantly fewer samples than it has parameters, and networks fit
significantly more samples with correct labels than with random labels.

Setting (fixed before the first run): an MLP from MNIST-1D's 40 inputs through 2 hidden ReLU layers
of 32 units to 10 classes (2 698 parameters), trained from scratch by full-batch Adam (learning
rate 1e-2, at most 2 000 steps, judged every 50); the EMC
(:func:`~neuralab.probes.capacity.effective_model_complexity`, bisection over ``n`` in
[16, 10 000]) on prefixes of 10 000 MNIST-1D training examples (the generator's 12 500 samples,
80% for training) in a per-seed random order, with their true labels and with labels drawn
uniformly per seed. The pool is larger than MNIST-1D's default 4 000 training examples because a
timing check before the first run fitted 3 000 true-labelled examples, which that pool would cap. Per seed, both parts required (two
one-sided 95% Student-t bounds over seeds, intersection-union, :mod:`neuralab.claims.base`):

1. more with correct labels: ``log2(EMC_true / EMC_random)`` above ``log2 1.5`` (at least half as
   many samples again);
2. fewer samples than parameters: ``EMC_true / parameters`` below 1.

Seeds: 5, the minimum, for time (each true-label bisection trains about ten networks on up to
10 000 examples); no pilot: ``seeds_needed(s, d)`` is 5 whenever a part's spread is up to 0.72
of its distance from the threshold. Precondition: the searched range brackets both EMCs (each
above its lower end and, for the true labels, below the 10 000 examples, where the search would
cap it). No quick budget.
"""

from __future__ import annotations

import math

import torch

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide
from neuralab.data import load_dataset
from neuralab.models import build_model
from neuralab.probes.capacity import effective_model_complexity
from neuralab.registry import register
from neuralab.seed import derive_seed, generator, seeded

LABELS = ("true", "random")


@register("claim", "emc_labels", paper="Just How Flexible are Neural Networks in Practice?",
          arxiv="2406.11463")
class EmcLabels(Claim):
    statement = ("A 2 698-parameter MLP trained by full-batch Adam fits perfectly at least 1.5 "
                 "times as many MNIST-1D samples with their true labels as with random labels, "
                 "and fewer true-labelled samples than it has parameters.")
    reference = ("Standard optimizers find minima where the model can only fit training sets "
                 "with significantly fewer samples than it has parameters; networks fit "
                 "significantly more samples with correct labels than with random labels.")
    seeds = tuple(range(5))
    thresholds = {"log2_true_over_random": math.log2(1.5), "emc_over_parameters": 1.0}
    precondition = ("the bisection range brackets both EMCs: each above the lowest size searched "
                    "and, with true labels, below the training examples searched")
    budgets = {"smoke": {"seeds": 2, "samples": 1250, "width": 8, "steps": 50, "low": 4,
                         "high": 100},
               "full": {"samples": 12500, "width": 32, "steps": 2000, "low": 16, "high": 10000}}
    full_minutes = 15

    def run(self, budget, progress=None):
        b = self.budget(budget)
        data = load_dataset("mnist1d", num_samples=b["samples"])
        spec = data.spec
        model_params = {"width": b["width"], "depth": 2, "activation": "relu"}

        def make_model() -> torch.nn.Module:
            return build_model("mlp", spec, model_params)

        with seeded(0):
            parameters = sum(p.numel() for p in make_model().parameters())
        records = []
        for seed in self.seeds_for(budget):
            g = generator(derive_seed(seed, "emc_labels"))
            order = torch.randperm(len(data.x_train), generator=g)
            x = data.x_train[order]
            labels = {"true": data.y_train[order],
                      "random": torch.randint(0, spec.n_outputs, (len(x),), generator=g)}
            for name, y in labels.items():
                emc = effective_model_complexity(make_model, x, y, low=b["low"], high=b["high"],
                                                 steps=b["steps"], lr=1e-2, seed=seed)
                records.append(claim_record(name, seed, "emc", emc))
            true, rand = (by_seed(records, n, "emc")[seed] for n in LABELS)
            records += [claim_record("emc", seed, "log2_true_over_random",
                                     math.log2(max(true, 1) / max(rand, 1))),
                        claim_record("emc", seed, "emc_over_parameters", true / parameters),
                        claim_record("search", seed, "low", b["low"]),
                        claim_record("search", seed, "high", min(b["high"], len(x)))]
            if progress:
                progress(f"seed {seed}: EMC true labels {true}, random labels {rand} "
                         f"({parameters} parameters)")
        return records

    def check(self, records):
        t = self.thresholds
        return combine([
            decide(by_seed(records, "emc", "log2_true_over_random"), t["log2_true_over_random"],
                   "log2 EMC with true labels over EMC with random labels"),
            decide(by_seed(records, "emc", "emc_over_parameters"), t["emc_over_parameters"],
                   "EMC with true labels over the number of parameters", direction="less"),
        ], "fits more true than random labels, and fewer samples than parameters")

    def budget_failure(self, records):
        low, high = by_seed(records, "search", "low"), by_seed(records, "search", "high")
        for name in LABELS:
            for seed, emc in by_seed(records, name, "emc").items():
                if emc < low[seed]:
                    return (f"{name} labels, seed {seed}: not even {low[seed]:.0f} samples fitted "
                            "(the EMC is below the searched range)")
                if name == "true" and emc >= high[seed]:
                    return (f"true labels, seed {seed}: every prefix up to {high[seed]:.0f} fitted "
                            "(the EMC is capped by the training set)")
        return None
