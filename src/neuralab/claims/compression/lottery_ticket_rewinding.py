"""Claim: iterative magnitude pruning with rewinding finds winning tickets; re-initialized, the
same mask does not win.

Frankle & Carbin, "The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks"
(arXiv:1803.03635), with rewinding to an early step (Frankle et al., "Linear Mode Connectivity and
the Lottery Ticket Hypothesis", arXiv:1912.05671). Experiment on MNIST-1D: an MLP (two hidden
layers of width 256) is trained; then ten rounds prune 20% of the remaining weights by global
magnitude, rewind the survivors to their values at 2% of training and retrain (final sparsity
1 - 0.8^10 = 89.3%). Control: the final mask on a fresh initialization, trained as long. Measures
per seed: (a) ticket minus dense test accuracy, which must exceed -0.01 (the ticket trains to the
dense accuracy); (b) dense minus re-initialized accuracy, which must exceed 0.01 (the random
re-initialization does not). Both by the fixed rule (two one-sided 95% t-bounds over the seeds,
with the test set's sampling error).

Seeds: pilot (3 seeds, full) sd 0.0070 of (a), distance |0.0057 + 0.01| = 0.0157 ->
``seeds_needed(0.0070, 0.0157)`` = 5. Precondition: the dense training, the last round's
retraining of the ticket and the re-initialized training have converged (batch loss flat over the
last 10% of steps, or below 0.02).
"""

from __future__ import annotations

from neuralab.claims.base import Claim, Progress, Verdict, claim_record, combine
from neuralab.claims.base import training_converged
from neuralab.claims.compression._compression_setup import (PairedScores, claim_data, gap_verdict,
                                                            iterative_logged, over_seeds,
                                                            seeded_model, single_threaded,
                                                            test_size, train_logged)
from neuralab.compress.prune import apply_masks
from neuralab.registry import REGISTRY, register

ROUNDS, RATE = 10, 0.2


@register("claim", "lottery_ticket_rewinding", arxiv="1803.03635",
          paper="The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks")
class LotteryTicketRewinding(Claim):
    statement = ("Iterative magnitude pruning with rewinding to 2% of training finds an 89% sparse "
                 "MLP that trains to within one point of the dense accuracy, while the same mask "
                 "with re-initialized weights falls more than one point short of it.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"ticket": -0.01, "reinit": 0.01}
    precondition = ("the dense training, the ticket's last retraining and the re-initialized "
                    "training have converged: batch loss flat over the last 10% of steps, or "
                    "below 0.02")
    full_minutes = 8
    budgets = {
        "smoke": {"samples": 600, "width": 32, "steps": 50, "rounds": 2, "seeds": 2},
        "full": {"samples": 5000, "width": 256, "steps": 2000, "rounds": ROUNDS},
    }

    @single_threaded
    def run(self, budget: str, progress: Progress | None = None) -> list[dict]:
        b = self.budget(budget)
        data = claim_data(b)
        steps, rounds = b["steps"], b["rounds"]
        rewind = max(1, steps // 50)
        final = 1 - (1 - RATE) ** rounds
        pruner = REGISTRY.create("pruner", "global_magnitude", sparsity=final)
        params = {"width": b["width"], "depth": 2}

        def one_seed(seed: int) -> list[dict]:
            dense = seeded_model("mlp", data, params, seed)
            rows = [test_size(data, seed)] + train_logged(dense, data, steps, seed, "dense")
            tested = PairedScores(data, seed)
            rows.append(tested.record("dense", dense))
            ticket = seeded_model("mlp", data, params, seed)
            result, curve = iterative_logged(ticket, data, pruner, rounds=rounds, steps=steps,
                                             rewind_step=rewind, seed=seed, arm="ticket")
            rows += curve
            for r in result.rounds:
                rows.append(claim_record("ticket", seed, "test_accuracy", r["test_accuracy"],
                                         step=int(r["round"])))
                rows.append(claim_record("ticket", seed, "sparsity", r["sparsity"],
                                         step=int(r["round"])))
            reinit = seeded_model("mlp", data, params, seed, "reinit")
            apply_masks(reinit, result.masks)
            rows += train_logged(reinit, data, steps - rewind, seed, "reinit")
            rows.append(tested.record("reinit", reinit))
            return rows + tested.discordance()

        return over_seeds(self.seeds_for(budget), one_seed, progress)

    def check(self, records) -> Verdict:
        # by_seed takes each seed's last step: the ticket of the last round
        a = gap_verdict(records, "ticket", "dense", self.thresholds["ticket"],
                        "ticket minus dense test accuracy")
        b = gap_verdict(records, "dense", "reinit", self.thresholds["reinit"],
                        "dense minus re-initialized-mask test accuracy")
        return combine([a, b], "winning ticket at 89% sparsity; re-initialized mask loses")

    def budget_failure(self, records) -> str | None:
        return training_converged(records, ("dense", "ticket", "reinit"))
