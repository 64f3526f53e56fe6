"""The compression claims' paired test-set error: discordant counts from per-example correctness."""

import torch
from torch import nn

from neuralab.claims.base import accuracy_se, claim_record, discordant_se
from neuralab.claims.compression import _compression_setup as setup
from neuralab.claims.compression._compression_setup import PairedScores
from neuralab.data.dataset import load_dataset


class Fixed(nn.Module):
    """Predicts class 1 on the examples in ``ones``, class 0 elsewhere (two classes)."""

    def __init__(self, ones: torch.Tensor) -> None:
        super().__init__()
        self.ones = ones

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(x.shape[0], 2)
        logits[self.ones[: x.shape[0]], 1] = 1.0
        logits[~self.ones[: x.shape[0]], 0] = 1.0
        return logits


def test_test_scores_count_the_examples_only_one_arm_gets_right():
    data = load_dataset("xor_clusters")
    y = data.y_test
    n = y.shape[0]
    right_a = torch.ones(n, dtype=torch.bool)
    right_a[:10] = False                      # A wrong on examples 0-9
    right_b = torch.ones(n, dtype=torch.bool)
    right_b[5:30] = False                     # B wrong on examples 5-29
    model_a = Fixed(torch.where(right_a, y == 1, y != 1))
    model_b = Fixed(torch.where(right_b, y == 1, y != 1))
    scores = PairedScores(data, seed=3)
    rec_a, rec_b = scores.record("a", model_a), scores.record("b", model_b)
    assert rec_a["value"] == (n - 10) / n and rec_b["value"] == (n - 25) / n
    pairs = {r["metric"]: r["value"] for r in scores.discordance()}
    assert pairs == {"only_right:a|b": 20.0, "only_right:b|a": 5.0}
    rows = [setup.test_size(data, 3), rec_a, rec_b, *scores.discordance()]
    assert setup.test_set_se(rows, "a", "b") == discordant_se({3: (20.0, 5.0)}, n)
    # without discordant counts (or for other metrics) the independent-arms bound stands
    plain = [setup.test_size(data, 3), rec_a, rec_b]
    assert setup.test_set_se(plain, "a", "b") == accuracy_se(n, rec_a["value"], rec_b["value"])
    assert setup.test_set_se([claim_record("a", 0, "test_accuracy", 0.5)], "a", "b") == 0.0
