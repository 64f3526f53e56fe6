"""Gated recurrences discover attention: multiplicative gating lets a linear RNN recall like attention.

Zucchet et al., "Gated recurrent neural networks discover attention" (arXiv:2309.01775): linear
recurrent layers with multiplicative gating can implement (linear) self-attention exactly, and
gradient descent finds that solution on in-context tasks where Transformers excel; the
multiplicative interactions are what matter (without them the recurrence is a fixed linear
filter of its inputs).

Setting: ``associative_recall`` (8 key-value pairs, 16 keys, 16 values, then a query key; 20000
training sequences), the transformer testbed as a causal classifier (reads the last position),
2 blocks, d_model 64, learned positions; AdamW lr 3e-3 with cosine decay, batch 64. Arms differ in
the mixer only: ``attention`` (softmax), ``gated`` (``gated_linear_rnn``) and ``ungated``
(``gated_linear_rnn`` with ``gated=false``). Measurement: test accuracy (chance 1/16). Verdict, all
required:

1. attention's accuracy > 0.9 (the task is solved at this budget, so there is a level to reach);
2. gated minus attention accuracy > -0.05 (the gated RNN reaches attention);
3. attention minus ungated accuracy > 0.2 (the ungated RNN does not).
"""

from __future__ import annotations

from neuralab.claims.base import Claim, by_seed, combine, decide, paired_differences
from neuralab.claims.training import train_arms
from neuralab.registry import register

ARMS = {
    "attention": ["model.mixer=softmax_attention"],
    "gated": ["model.mixer=gated_linear_rnn", "model.mixer_options={gated=true}"],
    "ungated": ["model.mixer=gated_linear_rnn", "model.mixer_options={gated=false}"],
}


@register("claim", "gated_rnn_recall", paper="Gated recurrent neural networks discover attention",
          arxiv="2309.01775")
class GatedRNNRecall(Claim):
    statement = ("On associative recall a gated linear RNN reaches the accuracy of softmax "
                 "attention, while the same RNN without multiplicative gating does not.")
    reference = ("RNNs with linear recurrences and multiplicative gating implement linear "
                 "self-attention exactly and, trained on in-context tasks, learn the attention "
                 "solution Transformers use.")
    seeds = (0, 1, 2)
    thresholds = {"attention_solves": 0.9, "gated_minus_attention": -0.05,
                  "attention_minus_ungated": 0.2}
    budgets = {"smoke": {"steps": 8, "n_train": 256, "n_test": 128},
               "full": {"steps": 3000, "n_train": 20000, "n_test": 2000}}
    curves = ("batch_loss", "test_accuracy")

    def run(self, budget, progress=None):
        b = self.budget(budget)
        steps = b["steps"]
        common = ["data.name=associative_recall", "data.n_pairs=8", f"data.n_train={b['n_train']}",
                  f"data.n_test={b['n_test']}", "model.name=transformer", "model.d_model=64",
                  "model.n_layers=2", "model.n_heads=4", "model.causal=true", "optim.name=adamw",
                  "optim.lr=3e-3", "schedule.name=cosine", f"schedule.warmup={min(100, steps // 10)}",
                  "train.batch_size=64", f"train.steps={steps}",
                  f"train.eval_every={max(10, steps // 10)}", "train.eval_train_examples=512"]
        return train_arms(ARMS, self.seeds, common, progress=progress)

    def check(self, records):
        t = self.thresholds
        acc = {arm: by_seed(records, arm, "test_accuracy") for arm in ARMS}
        parts = [
            decide(acc["attention"], t["attention_solves"], "softmax attention test accuracy"),
            decide(paired_differences(acc["gated"], acc["attention"]), t["gated_minus_attention"],
                   "gated linear RNN minus attention test accuracy"),
            decide(paired_differences(acc["attention"], acc["ungated"]),
                   t["attention_minus_ungated"], "attention minus ungated linear RNN test accuracy"),
        ]
        return combine(parts, "gated RNN reaches attention on recall; ungated does not")
