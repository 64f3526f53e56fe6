import numpy as np
import pytest
import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.probes.neuron_matching import match_units, one_to_one, unit_correlation
from neuralab.probes.runner import run_probe
from neuralab.probes.similarity import canonical_correlations, cka, svcca


def rand(*shape, seed=0):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def orthogonal(n, seed=0):
    return torch.linalg.qr(rand(n, n, seed=seed))[0]


@pytest.mark.parametrize("n, p", [(100, 10), (20, 50)])  # feature form and Gram form
def test_cka_is_one_with_itself_and_invariant_to_rotation_and_scale(n, p):
    x = rand(n, p)
    assert cka(x, x) == pytest.approx(1.0)
    assert cka(x, 3.0 * x @ orthogonal(p, 1) + 5.0) == pytest.approx(1.0)
    assert cka(x, x, kernel="rbf") == pytest.approx(1.0)
    assert cka(x, x @ orthogonal(p, 1), kernel="rbf") == pytest.approx(1.0)
    # an anisotropic rescaling is not a similarity transform
    assert cka(x, x * torch.linspace(0.1, 10, p, dtype=torch.float64)) < 0.9


def test_cka_matches_the_hsic_formula_and_is_low_for_independent_data():
    x, y = rand(60, 5), rand(60, 7, seed=1)
    h = torch.eye(60, dtype=torch.float64) - 1 / 60
    k, lg = h @ x @ x.T @ h, h @ y @ y.T @ h
    expected = torch.trace(k @ lg) / torch.sqrt(torch.trace(k @ k) * torch.trace(lg @ lg))
    assert cka(x, y) == pytest.approx(float(expected))
    assert cka(x, y) < 0.3
    big = rand(2000, 5, seed=2), rand(2000, 5, seed=3)
    assert cka(*big) < 0.02


def test_svcca_of_an_invertible_linear_map_is_one():
    x = rand(200, 6)
    a = rand(6, 6, seed=1) + 3 * torch.eye(6, dtype=torch.float64)
    torch.testing.assert_close(canonical_correlations(x, x @ a), torch.ones(6, dtype=torch.float64))
    # a 2-D shared subspace among independent noise: exactly two correlations near 1
    shared = rand(500, 2, seed=2)
    left = torch.cat([shared, rand(500, 3, seed=3)], 1)
    right = torch.cat([shared @ rand(2, 2, seed=4), rand(500, 3, seed=5)], 1)
    rho = canonical_correlations(left, right)
    assert rho[:2].min() > 0.999 and rho[2:].max() < 0.3
    assert svcca(x, x) == pytest.approx(1.0)


def test_neuron_matching_recovers_a_permutation_and_prefers_subspaces_to_rotated_units():
    x = rand(400, 8)
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(0))
    assignment, matched = one_to_one(unit_correlation(x, x[:, perm]))
    assert np.array_equal(perm[assignment].numpy(), np.arange(8))  # unit i matched to where it went
    assert matched == pytest.approx(np.ones(8))
    rotated = x @ orthogonal(8, 3)  # the same subspace in another basis
    stats = match_units(x, rotated, alpha=0.001)
    assert stats["sparse_prediction_corr"] > 0.99
    assert stats["one_to_one_corr"] < 0.8
    # conv maps: positions count as examples
    maps = rand(10, 4, 3, 3)
    assert unit_correlation(maps, maps).shape == (4, 4)


def test_probes_on_models():
    spec = DataSpec("classification", (6,), 3)
    a = build_model("mlp", spec, {"width": 8, "depth": 2}, seed=0)
    b = build_model("mlp", spec, {"width": 8, "depth": 2}, seed=1)
    x = torch.randn(50, 6)
    rows = run_probe("cka", a, x, other=a)
    assert {r["layer"] for r in rows} == {"block0", "block1", "head"}
    assert all(r["value"] == pytest.approx(1.0) for r in rows)
    pairs = run_probe("svcca", a, x)
    assert {r["layer"] for r in pairs} == {"block0|block1", "block0|head", "block1|head"}
    rows = run_probe("neuron_matching", a, x, other=b, layers=["block1"])
    assert {r["metric"] for r in rows} >= {"one_to_one_corr", "sparse_prediction_corr"}
    assert isinstance(a, nn.Module)
