"""Sequence to sequence learning: reversing the source sentence helps an LSTM encoder-decoder.

Sutskever et al., "Sequence to Sequence Learning with Neural Networks" (arXiv:1409.3215): an
LSTM reads the source, a second LSTM writes the target from the first one's final state, and
"reversing the order of the words in all source sentences (but not target sentences) improved
the LSTM's performance markedly" (test perplexity 5.8 -> 4.7, BLEU 25.9 -> 30.6), because it
introduces short-term dependencies between the first source and first target words.

Setting: the ``translation`` task (12 source words from 16, translated word for word through a
random lexicon, order kept; 8000 training pairs), ``seq2seq_lstm`` with one layer of 64 units,
Adam lr 3e-3, batch 64, the same budget for both arms ``forward`` and ``reversed``
(``reverse_source``). Measurement: test token accuracy of the teacher-forced decoder. Verdict:
reversed minus forward test accuracy > 0.05.
"""

from __future__ import annotations

from neuralab.claims.base import Claim, by_seed, decide, paired_differences
from neuralab.claims.training import train_arms
from neuralab.registry import register

ARMS = {"forward": "false", "reversed": "true"}


@register("claim", "reversed_source", paper="Sequence to Sequence Learning with Neural Networks",
          arxiv="1409.3215")
class ReversedSource(Claim):
    statement = ("An LSTM encoder-decoder trained for the same number of steps translates better "
                 "when it reads the source sentence in reverse.")
    reference = ("Reversing the source: test perplexity 5.8 -> 4.7 and BLEU 25.9 -> 30.6 on "
                 "WMT'14 English to French.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"reversed_minus_forward": 0.05}
    budgets = {"smoke": {"steps": 10, "n_train": 256, "n_test": 128},
               "full": {"steps": 2000, "n_train": 8000, "n_test": 1000}}
    curves = ("batch_loss", "test_accuracy")

    def run(self, budget, progress=None):
        b = self.budget(budget)
        steps = b["steps"]
        common = ["data.name=translation", "data.length=12", "data.n_words=16",
                  f"data.n_train={b['n_train']}", f"data.n_test={b['n_test']}",
                  "model.name=seq2seq_lstm", "model.width=64", "optim.name=adam", "optim.lr=3e-3",
                  "train.batch_size=64", f"train.steps={steps}",
                  f"train.eval_every={max(10, steps // 10)}", "train.eval_train_examples=512"]
        arms = {arm: [f"model.reverse_source={reverse}"] for arm, reverse in ARMS.items()}
        return train_arms(arms, self.seeds, common, progress=progress)

    def check(self, records):
        acc = {arm: by_seed(records, arm, "test_accuracy") for arm in ARMS}
        return decide(paired_differences(acc["reversed"], acc["forward"]),
                      self.thresholds["reversed_minus_forward"],
                      "reversed minus forward source: test token accuracy")
