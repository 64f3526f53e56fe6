"""Smooth activations and reproducibility: SmeLU networks disagree less between identically
trained runs than ReLU networks, at no cost in accuracy.

Shamir, Lin & Coviello, "Smooth activations and reproducibility in deep networks"
(arXiv:2010.09931): models trained identically but for their random seed give different
predictions (irreproducibility); ReLU is a cause, and smooth activations, SmeLU in particular
(``0`` below ``-beta``, ``(x + beta)^2 / (4 beta)`` between, ``x`` above), give a better
accuracy-reproducibility trade-off.

Setting (fixed before the first run): the activation sweep's MNIST-1D testbed
(:mod:`neuralab.claims.activations._activation_sweep`: an MLP with 4 hidden layers of 128 units,
Adam at 1e-3, batch 128, 4 000 steps at the full budget and 1 000 at the quick one) with ``relu``
or ``smelu`` (``beta = 1``). A *pair* ``k`` is the two models of seeds ``2k`` and ``2k + 1``
(different initializations and data orders, nothing else); both activations use the same pairs of
seeds, so the comparison is paired. Prediction difference of a pair
(:func:`~neuralab.probes.prediction_difference.prediction_difference`): the mean over the test set
of the total-variation distance ``(1/2) sum_k |p_k(x) - q_k(x)|`` of the two models' class
probabilities. The fixed test set's own sampling error enters both parts (the per-example paired
standard error, :func:`~neuralab.claims.base.paired_accuracy_se`, of the per-example distances and
of the correctness). Verdict, both parts (two one-sided 95% Student-t bounds over the pairs,
intersection-union, :mod:`neuralab.claims.base`):

1. SmeLU is more reproducible: ReLU's prediction difference minus SmeLU's, per pair, is above 0;
2. at no cost in accuracy: the pair's mean test accuracy with SmeLU minus with ReLU is above
   -0.01 (non-inferiority).

Seeds: 10 pairs (20 models per activation, each activation one population); no pilot:
``seeds_needed(s, d)`` is at most 10 whenever a part's spread over pairs is up to 1.16 times its
distance from the threshold. Precondition: every model's training loss is flat over the last 10%
of its steps or below 0.02 (:func:`~neuralab.claims.base.training_converged`), so both arms are
compared after training, not during it.
"""

from __future__ import annotations

import statistics

import numpy as np

from neuralab.claims.activations._activation_sweep import _config
from neuralab.claims.base import (Claim, by_seed, claim_record, combine, decide, paired_accuracy_se,
                                  paired_differences, training_converged)
from neuralab.claims.train_many import train_many
from neuralab.claims.training import loss_curve
from neuralab.config import build_config
from neuralab.data import load_dataset
from neuralab.engine.metrics import correct_mask
from neuralab.probes.prediction_difference import prediction_difference, probabilities
from neuralab.registry import register

ACTIVATIONS = ("relu", "smelu")  # SmeLU at its registered beta = 1


def pair_seeds(pair: int) -> tuple[int, int]:
    """The two training seeds of pair ``pair``."""
    return 2 * pair, 2 * pair + 1


@register("claim", "smelu_reproducibility", paper="Smooth activations and reproducibility in deep "
          "networks", arxiv="2010.09931")
class SmeluReproducibility(Claim):
    statement = ("On MNIST-1D, two MLPs trained identically but for the seed disagree less (test "
                 "prediction difference) with SmeLU than with ReLU, at a test accuracy no more "
                 "than 0.01 lower.")
    reference = ("Smooth activations, SmeLU in particular, reduce the prediction difference "
                 "between identically configured models trained with different seeds, with an "
                 "accuracy at least as good as ReLU's.")
    seeds = tuple(range(10))  # pair indices: pair k trains seeds 2k and 2k + 1
    thresholds = {"pd_reduction": 0.0, "accuracy": -0.01}
    precondition = ("every model has finished training: its training loss is flat over the last "
                    "10% of steps, or below 0.02")
    budgets = {"smoke": {"seeds": 2}, "quick": {}, "full": {}}
    trains_on_device = True
    full_minutes = 5

    def run(self, budget, progress=None):
        pairs = self.seeds_for(budget)
        seeds = [s for pair in pairs for s in pair_seeds(pair)]
        records = []
        per_example = {}  # activation: (pairs x examples) total variation, and pair-mean correctness
        for activation in ACTIVATIONS:
            results = train_many([build_config(_config("mnist1d", activation, budget),
                                               [f"seed={s}"]) for s in seeds])
            data = load_dataset(results[0].config.data.name, **results[0].config.data.params)
            by_training_seed = dict(zip(seeds, results))
            tv, correct = [], []
            for pair in pairs:
                models = [by_training_seed[s].model() for s in pair_seeds(pair)]
                p, q = (probabilities(m, data.x_test) for m in models)
                diff = prediction_difference(p, q)
                tv.append((0.5 * (p - q).abs().sum(-1)).numpy())
                correct.append(np.mean([correct_mask(m, data.spec, data.x_test, data.y_test).numpy()
                                        for m in models], axis=0))
                accuracy = float(correct[-1].mean())
                records += [claim_record(activation, pair, "prediction_difference",
                                         diff["l1_prediction_difference"]),
                            claim_record(activation, pair, "top1_disagreement",
                                         diff["top1_disagreement"]),
                            claim_record(activation, pair, "test_accuracy", accuracy)]
                for seed in pair_seeds(pair):
                    records += loss_curve(by_training_seed[seed], f"{activation}/seed{seed}", seed)
            per_example[activation] = (np.stack(tv), np.stack(correct))
            if progress:
                pd = by_seed(records, activation, "prediction_difference")
                progress(f"{activation}: prediction difference "
                         + ", ".join(f"{pd[p]:.4f}" for p in pairs))
        (tv_relu, ok_relu), (tv_smelu, ok_smelu) = per_example["relu"], per_example["smelu"]
        records += [claim_record("test_set_error", pairs[0], "prediction_difference",
                                 paired_accuracy_se(tv_relu, tv_smelu)),
                    claim_record("test_set_error", pairs[0], "test_accuracy",
                                 paired_accuracy_se(ok_smelu, ok_relu))]
        return records

    def check(self, records):
        t = self.thresholds
        pd = {a: by_seed(records, a, "prediction_difference") for a in ACTIVATIONS}
        error = {m: next(iter(by_seed(records, "test_set_error", m).values()), 0.0)
                 for m in ("prediction_difference", "test_accuracy")}
        acc = {a: by_seed(records, a, "test_accuracy") for a in ACTIVATIONS}
        notes = ", ".join(f"{a}: prediction difference {statistics.fmean(pd[a].values()):.4f}, "
                          f"accuracy {statistics.fmean(acc[a].values()):.4f}"
                          for a in ACTIVATIONS if pd[a] and acc[a])
        return combine([
            decide(paired_differences(pd["relu"], pd["smelu"]), t["pd_reduction"],
                   "test prediction difference of a pair, ReLU minus SmeLU", notes=notes,
                   sampling_se=error["prediction_difference"]),
            decide(paired_differences(acc["smelu"], acc["relu"]), t["accuracy"],
                   "pair-mean test accuracy, SmeLU minus ReLU", sampling_se=error["test_accuracy"]),
        ], "SmeLU: more reproducible than ReLU at no cost in accuracy")

    def budget_failure(self, records):
        return training_converged(records, sorted({r["run"] for r in records if "/" in r["run"]}))
