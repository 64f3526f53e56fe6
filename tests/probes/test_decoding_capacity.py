import math

import pytest
import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.errors import NeuralabError
from neuralab.models import build_model
from neuralab.probes.capacity import effective_model_complexity, fits_perfectly, largest_fitted
from neuralab.probes.linear_probe import concept_depth, layerwise_probe, probe_accuracy
from neuralab.probes.prediction_difference import population_difference, prediction_difference
from neuralab.probes.runner import run_probe
from neuralab.probes.spectral_bias import frequency_residuals


def test_linear_probe_reads_what_is_linearly_present():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (300,), generator=g)
    onehot = torch.nn.functional.one_hot(labels, 3).float() + 0.01 * torch.randn(300, 3, generator=g)
    assert probe_accuracy(onehot, labels) == 1.0
    noise = torch.randn(300, 5, generator=g)
    assert probe_accuracy(noise, labels) < 0.5
    assert concept_depth({"input": 0.3, "a": 0.8, "b": 0.99, "c": 1.0}) == 2
    model = build_model("mlp", DataSpec("classification", (5,), 3), {"width": 8})
    acc = layerwise_probe(model, noise, labels)
    assert list(acc) == ["input", "block0", "block1", "head"]
    rows = run_probe("linear_probe", model, noise, labels)
    assert any(r["metric"] == "concept_depth" for r in rows)


def test_prediction_difference_known_values():
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.2, 0.8]])
    q = torch.tensor([[0.0, 1.0], [0.5, 0.5], [0.2, 0.8]])
    d = prediction_difference(p, q)
    assert d == pytest.approx({"top1_disagreement": 1 / 3, "l1_prediction_difference": 1 / 3})
    torch.manual_seed(0)
    a, b = nn.Linear(4, 3), nn.Linear(4, 3)
    x = torch.randn(30, 4)
    same = population_difference([a, a, a], x)
    assert same == {"top1_disagreement": 0.0, "l1_prediction_difference": 0.0}
    assert run_probe("prediction_difference", a, x, other=b)[0]["value"] >= 0
    with pytest.raises(NeuralabError, match="two models"):
        population_difference([a], x)


def test_bisection_and_the_capacity_of_a_linear_classifier():
    calls = []

    def fits(n):
        calls.append(n)
        return n <= 37

    assert largest_fitted(fits, 1, 1000) == 37 and len(calls) <= 13
    assert largest_fitted(lambda n: False, 1, 10) == 0
    # a linear classifier in d dimensions fits any labels of d + 1 points in general position ...
    g = torch.Generator().manual_seed(0)
    d = 5
    x = torch.randn(200, d, generator=g)
    y = torch.randint(0, 2, (200,), generator=g)
    assert fits_perfectly(lambda: nn.Linear(d, 2), x[:d + 1], y[:d + 1], steps=500, lr=0.1)
    # ... but not 200 random labels; the bisection lands in between
    emc = effective_model_complexity(lambda: nn.Linear(d, 2), x, y, low=d + 1, steps=300, lr=0.1)
    assert d + 1 <= emc < 60


def test_frequency_residuals_of_a_partial_fit():
    x = torch.arange(64) / 64
    low, high = torch.sin(2 * math.pi * 2 * x), 0.5 * torch.sin(2 * math.pi * 9 * x)
    res = frequency_residuals(low, low + high, [2, 9])
    assert res == pytest.approx({2: 0.0, 9: 1.0}, abs=1e-6)
    with pytest.raises(NeuralabError, match="frequency 5"):
        frequency_residuals(low, low + high, [5])
