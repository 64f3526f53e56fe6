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

The verdict passes when the one-sided 95% t-bound over the seeds clears the threshold (two
one-sided tests, see :mod:`neuralab.claims.base`), with the binomial error of the fixed test set's
target tokens added (``accuracy_se``). The threshold is not a number of the paper: the paper
reports BLEU (+4.7 points, 25.9 -> 30.6) and perplexity (5.8 -> 4.7), and calls the gain
"marked"; 5 points of token accuracy is this project's reading of "markedly" on its own measure,
kept as it was fixed before any run. Seeds: the pilot (5 seeds, full) measured +0.052 sd 0.018,
0.0023 from the bar: ``seeds_needed(0.018, 0.0023)`` = 40 (the cap; no affordable number of
seeds resolves an effect that sits on its bar). Fifteen seeds (about 12 minutes at full) detect
a true gain 0.012 from the bar with 80% power, so the verdict says whether the gain is clearly
above or below 5 points and stays inconclusive where it is within about a point of it.
Precondition: both arms' training losses are flat over the last 10% of steps. No quick budget:
the pilot's effect sits on the bar, so a reduced budget cannot be expected to agree with full.
"""

from __future__ import annotations

from neuralab.claims.base import (Claim, accuracy_se, by_seed, claim_record, decide, mean_std,
                                  paired_differences, training_converged)
from neuralab.claims.training import train_arms
from neuralab.registry import register

ARMS = {"forward": "false", "reversed": "true"}


@register("claim", "reversed_source", paper="Sequence to Sequence Learning with Neural Networks",
          arxiv="1409.3215")
class ReversedSource(Claim):
    trains_on_device = True
    statement = ("An LSTM encoder-decoder trained for the same number of steps translates better "
                 "when it reads the source sentence in reverse.")
    reference = ("Reversing the source: test perplexity 5.8 -> 4.7 and BLEU 25.9 -> 30.6 on "
                 "WMT'14 English to French.")
    seeds = tuple(range(15))
    thresholds = {"reversed_minus_forward": 0.05}
    precondition = ("both arms' training losses are flat over the last 10% of steps (moved by at "
                    "most 5% or 0.01), or below 0.02")
    budgets = {"smoke": {"steps": 10, "n_train": 256, "n_test": 128, "seeds": 2},
               "full": {"steps": 2000, "n_train": 8000, "n_test": 1000}}
    curves = ("batch_loss", "test_accuracy")
    full_minutes = 12

    def run(self, budget, progress=None):
        b = self.budget(budget)
        steps = b["steps"]
        common = ["data.name=translation", "data.length=12", "data.n_words=16",
                  f"data.n_train={b['n_train']}", f"data.n_test={b['n_test']}",
                  "model.name=seq2seq_lstm", "model.width=64", "optim.name=adam", "optim.lr=3e-3",
                  "train.batch_size=64", f"train.steps={steps}",
                  f"train.eval_every={max(10, steps // 10)}", "train.eval_train_examples=512"]
        arms = {arm: [f"model.reverse_source={reverse}"] for arm, reverse in ARMS.items()}
        seeds = self.seeds_for(budget)
        return train_arms(arms, seeds, common, progress=progress) + [
            claim_record("forward", seed, "test_tokens", b["n_test"] * 12, step=steps)
            for seed in seeds]

    def check(self, records):
        acc = {arm: by_seed(records, arm, "test_accuracy") for arm in ARMS}
        n = int(min(by_seed(records, "forward", "test_tokens").values(), default=1))
        return decide(paired_differences(acc["reversed"], acc["forward"]),
                      self.thresholds["reversed_minus_forward"],
                      "reversed minus forward source: test token accuracy",
                      sampling_se=accuracy_se(n, *(mean_std(a.values())[0] for a in acc.values())))

    def budget_failure(self, records):
        return training_converged(records, ARMS, abs_tol=0.01)
