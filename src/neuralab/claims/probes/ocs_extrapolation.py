"""Deep networks extrapolate predictably: the further out of distribution the inputs, the closer
the predictions to the optimal constant solution.

Kang, Luo, Reed & Levine, "Deep Neural Networks Tend To Extrapolate Predictably"
(arXiv:2310.00873): as inputs become increasingly out of distribution, a trained network's
predictions tend towards a constant value, often close to the optimal constant solution (OCS),
the prediction that minimizes the training loss when the input is not observed.

Setting (fixed before the first run): scikit-learn's digits, an MLP (2 hidden layers of 128) and
a CNN (the registered ``cnn``, 3 layers of 32 channels), trained with cross-entropy (Adam at 1e-3,
batch 64, 1 500 steps; each architecture's seeds one population). A corruption ladder of
severities ``s = 0..5`` on the test images: ``x_s = (1 - s/5) x + (s/5) z``, where ``z`` is
Gaussian noise with each pixel's training mean and standard deviation (drawn once per seed), so
that severity 5 is noise of the training images' scale around the mean digit image. Distance to the OCS
(:func:`~neuralab.probes.ocs.ocs_distance`): the mean ``KL(pi || p(x_s))`` from the training labels'
marginal ``pi``. Per architecture and seed, both parts required for each architecture (two
one-sided 95% Student-t bounds, intersection-union over the four parts,
:mod:`neuralab.claims.base`):

1. the distance falls: ``log(D_5 / D_0)`` below ``log(1/2)`` (pure noise at most half as far
   from the OCS as clean test images);
2. it falls at every step: the largest rise between two adjacent severities, as a share of
   ``D_0``, is below 0.

The paper checks several losses (MSE, Gaussian NLL) and architectures on image benchmarks; this
claim checks cross-entropy with an MLP and a CNN. Seeds: 8 per architecture; no pilot:
``seeds_needed(s, d)`` is at most 8 whenever a part's spread is up to its distance from the
threshold. Precondition: the networks learnt the task: every model's clean test accuracy is at
least 0.9. Quick equals full (seconds a population).
"""

from __future__ import annotations

import math
import statistics

import torch

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide
from neuralab.claims.train_many import train_many
from neuralab.config import build_config
from neuralab.data import load_dataset
from neuralab.probes.ocs import label_marginal, ocs_distance
from neuralab.registry import register
from neuralab.seed import derive_seed, generator

ARCHITECTURES = {"mlp": {"name": "mlp", "width": 128, "depth": 2},
                 "cnn": {"name": "cnn", "channels": 32, "depth": 3}}
SEVERITIES = range(6)


def corruption_ladder(x: torch.Tensor, noise: torch.Tensor) -> list[torch.Tensor]:
    """``x_s = (1 - s/5) x + (s/5) noise`` for ``s = 0..5``; each like ``x``."""
    return [(1 - s / 5) * x + (s / 5) * noise for s in SEVERITIES]


@register("claim", "ocs_extrapolation", paper="Deep Neural Networks Tend To Extrapolate "
          "Predictably", arxiv="2310.00873")
class OcsExtrapolation(Claim):
    statement = ("On digits, as test images are blended into noise (severity 0 to 5), the "
                 "cross-entropy predictions of an MLP and a CNN move towards the optimal constant "
                 "solution at every step, pure noise at most half as far from it as clean images.")
    reference = ("As inputs become increasingly out of distribution, neural network predictions "
                 "tend towards a constant value, often close to the optimal constant solution.")
    seeds = tuple(range(8))
    thresholds = {"log_ratio": math.log(0.5), "largest_rise": 0.0}
    precondition = "the networks learnt the task: every clean test accuracy is at least 0.9"
    budgets = {"smoke": {"seeds": 2, "steps": 30}, "quick": {"steps": 1500},
               "full": {"steps": 1500}}
    x_label = "corruption severity"
    trains_on_device = True

    def run(self, budget, progress=None):
        b = self.budget(budget)
        seeds = self.seeds_for(budget)
        data = load_dataset("digits")
        pi = label_marginal(data.y_train, data.spec.n_outputs)
        mean, std = data.x_train.mean(0), data.x_train.std(0)
        records = []
        for arch, model in ARCHITECTURES.items():
            config = {"data": {"name": "digits"}, "model": dict(model),
                      "optim": {"name": "adam", "lr": 1e-3},
                      "train": {"steps": b["steps"], "batch_size": 64,
                                "eval_every": max(1, b["steps"] // 10)}}
            results = train_many([build_config(config, [f"seed={s}"]) for s in seeds])
            for seed, result in zip(seeds, results):
                g = generator(derive_seed(seed, "ocs_extrapolation"))
                noise = mean + std * torch.randn(data.x_test.shape, generator=g)
                net = result.model().eval()
                with torch.no_grad():
                    distances = [ocs_distance(net(x_s), pi)
                                 for x_s in corruption_ladder(data.x_test, noise)]
                records += [claim_record(arch, seed, "ocs_distance", d, step=s)
                            for s, d in zip(SEVERITIES, distances)]
                rises = [b_ - a_ for a_, b_ in zip(distances, distances[1:])]
                records += [
                    claim_record(arch, seed, "log_ratio", math.log(distances[-1] / distances[0]),
                                 step=99),
                    claim_record(arch, seed, "largest_rise", max(rises) / distances[0], step=99),
                    claim_record(arch, seed, "clean_test_accuracy",
                                 result.metrics.get("test_accuracy", float("nan")), step=99)]
            if progress:
                curve = [statistics.fmean(by_seed(records, arch, "ocs_distance", step=s).values())
                         for s in SEVERITIES]
                progress(f"{arch}: mean distance to the OCS by severity "
                         + ", ".join(f"{d:.3g}" for d in curve))
        return records

    def check(self, records):
        t = self.thresholds
        parts = []
        for arch in ARCHITECTURES:
            parts += [decide(by_seed(records, arch, "log_ratio"), t["log_ratio"],
                             f"{arch}: log of the OCS distance at severity 5 over severity 0",
                             direction="less"),
                      decide(by_seed(records, arch, "largest_rise"), t["largest_rise"],
                             f"{arch}: largest rise of the OCS distance between adjacent "
                             "severities (share of severity 0)", direction="less")]
        return combine(parts, "predictions approach the OCS as inputs leave the distribution")

    def budget_failure(self, records):
        for arch in ARCHITECTURES:
            for seed, acc in by_seed(records, arch, "clean_test_accuracy").items():
                if not acc >= 0.9:
                    return f"{arch} seed {seed}: clean test accuracy {acc:.3f} (needs >= 0.9)"
        return None
