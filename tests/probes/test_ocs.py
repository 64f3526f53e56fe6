"""ocs_distance: KL(pi || softmax) written out, zero at the OCS, the probe's marginal."""

import math

import pytest
import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.ocs import label_marginal, ocs_distance
from neuralab.probes.runner import run_probe


def test_distance_is_the_kl_from_the_marginal():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    pi = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
    p = torch.softmax(logits.double(), -1)
    expected = float(sum(pi[k] * math.log(pi[k] / p[i, k]) for i in range(2) for k in range(3)) / 2)
    assert ocs_distance(logits, pi) == pytest.approx(expected, rel=1e-12)


def test_zero_exactly_at_the_ocs_and_positive_elsewhere():
    pi = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    assert ocs_distance(pi.log().repeat(4, 1) + 7.0, pi) == pytest.approx(0.0, abs=1e-12)
    assert ocs_distance(torch.tensor([[5.0, 0.0, 0.0]]), pi) > 0.5
    # a class the OCS never predicts adds nothing
    assert ocs_distance(torch.tensor([[0.0, 0.0, -30.0]]), torch.tensor([0.5, 0.5, 0.0])) == \
        pytest.approx(0.0, abs=1e-12)


def test_probe_takes_the_marginal_from_labels_or_argument():
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    x, y = torch.randn(10, 4), torch.tensor([0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    assert label_marginal(y, 3).tolist() == pytest.approx([0.2, 0.3, 0.5])
    from_labels = run_probe("ocs_distance", model, x, y)[0]["value"]
    given = run_probe("ocs_distance", model, x, None, marginal=[2, 3, 5])[0]["value"]
    assert from_labels == pytest.approx(given) and from_labels > 0
    with pytest.raises(NeuralabError, match="needs the OCS"):
        run_probe("ocs_distance", model, x, None)
    with pytest.raises(NeuralabError, match="3 finite non-negative"):
        run_probe("ocs_distance", model, x, None, marginal=[1.0, -1.0, 1.0])
    with pytest.raises(NeuralabError, match="positive sum"):
        run_probe("ocs_distance", model, x, None, marginal=[0.0, 0.0, 0.0])
    with pytest.raises(NeuralabError, match="labels in 0..2"):
        run_probe("ocs_distance", model, x, torch.tensor([0, 1, 3, 0, 0, 0, 0, 0, 0, 0]))
