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


# -- the registered probes of capacity.py and spectral_bias.py ----------------------------------

XOR_FIRST = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0],  # XOR on the 4th point
                          [2.0, 2.0], [-1.0, 0.0], [0.0, 2.0], [2.0, -1.0]])
XOR_LABELS = torch.tensor([0, 1, 1, 0, 1, 0, 1, 1])


def test_effective_model_complexity_probe_is_registered_and_finds_the_known_capacity():
    from neuralab.probes.capacity import effective_model_complexity_probe
    from neuralab.registry import REGISTRY

    entry = REGISTRY.get("probe", "effective_model_complexity")
    assert entry.factory is effective_model_complexity_probe
    assert (entry.paper, entry.arxiv) == ("Just How Flexible are Neural Networks in Practice?",
                                          "2406.11463")
    # Any 3 of these points with any labels are linearly separable, but every prefix of 4 or more
    # holds the XOR of the unit square: a linear classifier fits exactly the prefixes n <= 3.
    linear = nn.Linear(2, 2)
    before = {k: v.clone() for k, v in linear.state_dict().items()}
    rows = run_probe("effective_model_complexity", linear, XOR_FIRST, XOR_LABELS, run="r", step=7,
                     steps=200, lr=0.1)
    assert {r["metric"]: r["value"] for r in rows} == {"effective_model_complexity": 3.0,
                                                        "emc_examples": 8.0}
    assert all(r["run"] == "r" and r["step"] == 7 for r in rows)
    assert all(torch.equal(v, before[k]) for k, v in linear.state_dict().items())  # untouched
    # a hidden layer fits XOR: all eight points, the whole search range
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
    rows = effective_model_complexity_probe(mlp, XOR_FIRST, XOR_LABELS, steps=400, lr=0.05,
                                            init="given")
    assert rows[0]["value"] == 8.0
    assert effective_model_complexity_probe(linear, XOR_FIRST, XOR_LABELS, high=3, steps=200,
                                            lr=0.1)[1]["value"] == 3.0  # high caps the search


def test_effective_model_complexity_probe_refuses_what_it_cannot_measure():
    class Bare(nn.Module):  # a parameter that no reset_parameters() re-draws
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2, 2))

        def forward(self, x):
            return x @ self.w

    with pytest.raises(NeuralabError, match="init='given'"):
        run_probe("effective_model_complexity", Bare(), XOR_FIRST, XOR_LABELS, steps=1)
    with pytest.raises(NeuralabError, match="class labels"):
        run_probe("effective_model_complexity", nn.Linear(2, 2), XOR_FIRST)
    with pytest.raises(NeuralabError, match="class labels"):
        run_probe("effective_model_complexity", nn.Linear(2, 2), XOR_FIRST, XOR_LABELS.float())


def test_fits_perfectly_trains_in_training_mode_and_judges_in_evaluation_mode():
    modes = []

    class Recorder(nn.Linear):
        def forward(self, x):
            modes.append((self.training, torch.is_grad_enabled()))
            return super().forward(x)

    m = Recorder(2, 2).eval()  # the mode the model comes in does not matter
    assert fits_perfectly(lambda: m, XOR_FIRST[:3], XOR_LABELS[:3], steps=100, lr=0.1)
    assert {mode for mode, grad in modes if grad} == {True}  # training steps
    assert {mode for mode, grad in modes if not grad} == {False}  # the fit checks


# A target of four sinusoids on 64 points of one period; the output keeps k=2, scales k=5 by 0.3,
# shifts k=9 by a quarter period and lacks k=12. With F the DFT, F[c a sin(2 pi k x + phi)]_k =
# c e^{i phi} F[a sin(2 pi k x)]_k, so |F[f - f*]_k| / |F[f*]_k| = |c e^{i phi} - 1|:
# 0 at k=2, |0.3 - 1| = 0.7 at k=5, |i - 1| = sqrt(2) at k=9, |0 - 1| = 1 at k=12.
GRID = torch.arange(64, dtype=torch.float64) / 64
TWO_PI = 2 * math.pi


def _target(x):
    return (torch.sin(TWO_PI * 2 * x) + 0.5 * torch.cos(TWO_PI * 5 * x)
            + 0.25 * torch.sin(TWO_PI * 9 * x) + 0.1 * torch.sin(TWO_PI * 12 * x))


def _partial(x):
    return (torch.sin(TWO_PI * 2 * x) + 0.3 * 0.5 * torch.cos(TWO_PI * 5 * x)
            + 0.25 * torch.sin(TWO_PI * 9 * x + math.pi / 2))


EXPECTED = {2: 0.0, 5: 0.7, 9: math.sqrt(2), 12: 1.0}


def test_frequency_residuals_are_the_missing_share_of_each_frequency():
    res = frequency_residuals(_partial(GRID), _target(GRID), [2, 5, 9, 12])
    assert res == pytest.approx(EXPECTED, abs=1e-9)
    # the numerator alone: a missing sinusoid of amplitude a leaves |F[f - f*]_k| = a N / 2
    missing = torch.fft.rfft(_partial(GRID) - _target(GRID)).abs()
    assert float(missing[12]) == pytest.approx(0.1 * 64 / 2)


def test_frequency_residuals_probe_is_registered_and_sorts_a_shuffled_grid():
    from neuralab.probes.spectral_bias import frequency_residuals_probe, model_frequency_residuals
    from neuralab.registry import REGISTRY

    entry = REGISTRY.get("probe", "frequency_residuals")
    assert entry.factory is frequency_residuals_probe
    assert (entry.paper, entry.arxiv) == ("On the Spectral Bias of Neural Networks", "1806.08734")

    class Partial(nn.Module):
        def forward(self, x):  # (N, 1) -> (N, 1)
            return _partial(x[:, 0]).unsqueeze(-1)

    model = Partial().train()
    x, y = GRID.unsqueeze(-1), _target(GRID).unsqueeze(-1)
    assert model_frequency_residuals(model, x, y, [5, 9]) == pytest.approx(
        {5: 0.7, 9: math.sqrt(2)}, abs=1e-9)
    shuffle = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    rows = run_probe("frequency_residuals", model, x[shuffle], y[shuffle], run="r")
    got = {r["metric"]: r["value"] for r in rows}  # default: every frequency in the target
    assert got == pytest.approx({f"frequency_residual_{k}": v for k, v in EXPECTED.items()}, abs=1e-9)
    assert model.training  # evaluated in evaluation mode, the mode restored
    rows = run_probe("frequency_residuals", model, GRID, _target(GRID), frequencies=[12])
    assert [(r["metric"], r["value"]) for r in rows] == [("frequency_residual_12", pytest.approx(1.0))]
    with pytest.raises(NeuralabError, match="uniform grid"):
        run_probe("frequency_residuals", model, GRID ** 2, _target(GRID))
    with pytest.raises(NeuralabError, match="needs the target"):
        run_probe("frequency_residuals", model, GRID)
    with pytest.raises(NeuralabError, match="one coordinate"):
        run_probe("frequency_residuals", model, torch.zeros(64, 2), _target(GRID))
