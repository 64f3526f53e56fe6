"""Convergent learning: networks trained from different seeds learn similar representations.

Li, Yosinski, Clune, Lipson & Hopcroft, "Convergent Learning: Do different neural networks learn
the same representations?" (arXiv 1511.07543): some features are learned reliably across
networks, others are not; units span subspaces that are shared across networks while the bases are
not. Kornblith et al. (arXiv 1905.00414) measure the same with CKA: representations of networks
from different initializations are most similar in early layers, less so in the middle.

Setting: pairs of MLPs (6 hidden layers of 128 ReLU units) on MNIST-1D (4000 training sequences),
identical except for the seed (init and data order): pair ``s`` is seeds ``(s, s + 100)``. Adam,
lr 1e-3, batch 128. On 1000 test inputs, per hidden layer: linear CKA between the two networks;
at the middle layer (``block2``), Hungarian one-to-one unit matching and sparse (Lasso) one-to-many
prediction. Verdict, all required:

1. CKA at the first hidden layer > 0.8 (early features are shared);
2. CKA at the first hidden layer minus CKA at the middle layer (``block2``) > 0.05;
3. at the middle layer, mean held-out correlation of sparse one-to-many prediction minus the mean
   one-to-one matched correlation > 0 (the subspace is shared more than the units).

Each part passes when its one-sided 95% t-bound over the seeds (pairs) clears the threshold (two
one-sided tests, see :mod:`neuralab.claims.base`). Seeds: pilot (3 pairs, full) first-layer CKA
0.882 sd 0.016, distance 0.082 -> ``seeds_needed(0.016, 0.082)`` = 5. Precondition: both
networks' training losses are flat over the last 10% of steps (recorded at ten points). Quick
budget: 1000 steps, the same seeds and data (the losses settle after about 800 steps; 800 steps
for ten networks took about 25 s of one core); the full budget takes about 4 minutes.
"""

from __future__ import annotations

from neuralab.claims.base import (Claim, by_seed, claim_record, combine, decide, paired_differences,
                                  training_converged)
from neuralab.claims.training import loss_curve
from neuralab.config import build_config
from neuralab.data.dataset import load_dataset
from neuralab.engine.trainer import train
from neuralab.probes.neuron_matching import match_units
from neuralab.probes.similarity import cka, layer_outputs
from neuralab.registry import register

DEPTH, WIDTH, MIDDLE, PARTNER = 6, 128, "block2", 100


@register("claim", "convergent_learning",
          paper="Convergent Learning: Do different neural networks learn the same representations?",
          arxiv="1511.07543")
class ConvergentLearning(Claim):
    statement = ("MLPs trained from different seeds share their early representations (CKA > 0.8), "
                 "share less in the middle layers, and share subspaces more than individual units.")
    reference = ("AlexNets from different seeds: some conv units match one-to-one with correlation "
                 "near 1, others do not; sparse one-to-many prediction beats one-to-one matching.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"first_layer_cka": 0.8, "first_minus_middle_cka": 0.05,
                  "subspace_minus_unit": 0.0}
    precondition = ("both networks' training losses are flat over the last 10% of steps (moved by at "
                    "most 5% or 0.01), or below 0.02")
    full_minutes = 4
    budgets = {"smoke": {"steps": 30, "num_samples": 600, "probe_examples": 100, "seeds": 2},
               "quick": {"steps": 1000, "num_samples": 5000, "probe_examples": 1000},
               "full": {"steps": 4000, "num_samples": 5000, "probe_examples": 1000}}

    def run(self, budget, progress=None):
        b = self.budget(budget)
        records = []
        for seed in self.seeds_for(budget):
            models = []
            for member in (seed, seed + PARTNER):
                config = build_config(overrides=[
                    "data.name=mnist1d", f"data.num_samples={b['num_samples']}", "model.name=mlp",
                    f"model.width={WIDTH}", f"model.depth={DEPTH}", "optim.name=adam",
                    "optim.lr=1e-3", "train.batch_size=128", f"train.steps={b['steps']}",
                    f"train.eval_every={max(1, b['steps'] // 10)}", "train.eval_train_examples=256",
                    f"seed={member}"])
                result = train(config, progress="none")
                models.append(result.model)
                arm = f"net{len(models)}"
                records.append(claim_record(arm, seed, "test_accuracy",
                                            result.metrics["test_accuracy"], step=b["steps"]))
                records += loss_curve(result, arm, seed)
            x = load_dataset("mnist1d", num_samples=b["num_samples"]).x_test[:b["probe_examples"]]
            a, c = (layer_outputs(m, x) for m in models)
            for layer in (n for n in a if n != "head"):
                records.append(claim_record("pair", seed, "cka", cka(a[layer], c[layer]), layer=layer))
            for k, v in match_units(a[MIDDLE], c[MIDDLE]).items():
                records.append(claim_record("pair", seed, k, v, layer=MIDDLE))
            if progress:
                ckas = [r["value"] for r in records if r["member"] == seed and r["metric"] == "cka"]
                progress(f"seed {seed}: CKA by layer " + " ".join(f"{v:.3f}" for v in ckas))
        return records

    def check(self, records):
        first = by_seed(records, "pair", "cka", layer="block0")
        middle = by_seed(records, "pair", "cka", layer=MIDDLE)
        sparse = by_seed(records, "pair", "sparse_prediction_corr", layer=MIDDLE)
        unit = by_seed(records, "pair", "one_to_one_corr", layer=MIDDLE)
        t = self.thresholds
        parts = [decide(first, t["first_layer_cka"], "CKA between seeds at the first hidden layer"),
                 decide(paired_differences(first, middle), t["first_minus_middle_cka"],
                        f"first-layer minus {MIDDLE} CKA between seeds"),
                 decide(paired_differences(sparse, unit), t["subspace_minus_unit"],
                        f"sparse one-to-many minus one-to-one correlation at {MIDDLE}")]
        return combine(parts, "convergent learning across seeds")

    def budget_failure(self, records):
        return training_converged(records, ("net1", "net2"), abs_tol=0.01)
