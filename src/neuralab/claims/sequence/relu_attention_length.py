"""ReLU attention divided by the sequence length can match softmax attention.

Wortsman et al., "Replacing softmax with ReLU in Vision Transformers" (arXiv:2309.08586):
attention weights ``relu(q k^T / sqrt(d)) / L`` (``L`` the sequence length) "approach or match"
softmax attention's accuracy as compute grows; without the division by ``L`` accuracy drops.

Setting: MNIST-1D (40 positions of one feature: a small sequence classification task), the
transformer testbed as an encoder classifier (mean over positions), 2 blocks, d_model 64, 4
heads, learned positions; AdamW lr 1e-3 with cosine decay, batch 64. Arms differ in the mixer
only: ``softmax``, ``relu/L`` (``relu_attention``) and ``relu`` (``relu_attention`` with
``scale="none"``, reported only). Measurement: test accuracy. Verdict: ``relu/L`` minus
``softmax`` test accuracy > -0.03 (matches within 3 points). The unscaled arm's gap is given in
the notes and does not enter the verdict.
"""

from __future__ import annotations

from neuralab.claims.base import Claim, by_seed, decide, mean_std, paired_differences
from neuralab.claims.training import train_arms
from neuralab.registry import register

ARMS = {
    "softmax": ["model.mixer=softmax_attention"],
    "relu/L": ["model.mixer=relu_attention"],
    "relu": ["model.mixer=relu_attention", "model.mixer_options={scale=\"none\"}"],
}


@register("claim", "relu_attention_length", paper="Replacing softmax with ReLU in Vision "
          "Transformers", arxiv="2309.08586")
class ReLUAttentionLength(Claim):
    statement = ("Attention with ReLU weights divided by the sequence length reaches the test "
                 "accuracy of softmax attention on a small sequence classification task.")
    reference = ("ReLU-attention divided by sequence length approaches or matches softmax "
                 "attention in scaling behaviour as a function of compute (ViTs on ImageNet-21k).")
    seeds = (0, 1, 2)
    thresholds = {"relu_minus_softmax": -0.03}
    budgets = {"smoke": {"steps": 5, "num_samples": 400},
               "full": {"steps": 2000, "num_samples": 5000}}
    curves = ("batch_loss", "test_accuracy")

    def run(self, budget, progress=None):
        b = self.budget(budget)
        steps = b["steps"]
        common = ["data.name=mnist1d", f"data.num_samples={b['num_samples']}",
                  "model.name=transformer", "model.d_model=64", "model.n_layers=2",
                  "model.n_heads=4", "optim.name=adamw", "optim.lr=1e-3", "schedule.name=cosine",
                  f"schedule.warmup={min(100, steps // 10)}", "train.batch_size=64", f"train.steps={steps}",
                  f"train.eval_every={max(10, steps // 10)}", "train.eval_train_examples=512"]
        return train_arms(ARMS, self.seeds, common, progress=progress)

    def check(self, records):
        acc = {arm: by_seed(records, arm, "test_accuracy") for arm in ARMS}
        unscaled, spread = mean_std(paired_differences(acc["relu"], acc["relu/L"]).values())
        return decide(paired_differences(acc["relu/L"], acc["softmax"]),
                      self.thresholds["relu_minus_softmax"],
                      "ReLU/L minus softmax attention test accuracy",
                      notes=f"unscaled ReLU minus ReLU/L: {unscaled:+.3f} ± {spread:.3f}")
