"""Random features and closed-form ridge: against the formula and scikit-learn's Ridge."""

import math

import pytest
import torch
from sklearn.linear_model import Ridge

from neuralab.data.dataset import DataSpec
from neuralab.models.base import build_model
from neuralab.models.random_features import ridge_path

SPEC = DataSpec(task="classification", input_shape=(6,), n_outputs=3)


def test_features_are_the_fixed_relu_layer_and_only_the_head_learns():
    model = build_model("random_features", SPEC, {"width": 50}, seed=0)
    x = torch.randn(8, 6)
    phi = torch.relu(x @ model.weight.T) / math.sqrt(50)
    torch.testing.assert_close(model.forward_features(x), phi)
    torch.testing.assert_close(model(x), phi @ model.head.weight.T + model.head.bias)
    assert {n for n, _ in model.named_parameters()} == {"head.weight", "head.bias"}
    assert model.weight.std().item() == pytest.approx(1 / math.sqrt(6), rel=0.2)  # N(0, 1/d)
    again = build_model("random_features", SPEC, {"width": 50}, seed=0)
    torch.testing.assert_close(again.weight, model.weight)  # the seed draws W


@pytest.mark.parametrize("n_features", [7, 40])  # primal (N <= n) and dual (N > n)
def test_ridge_path_equals_sklearn_ridge(n_features):
    g = torch.Generator().manual_seed(0)
    phi = torch.randn(20, n_features, generator=g, dtype=torch.float64)
    phi_test = torch.randn(9, n_features, generator=g, dtype=torch.float64)
    y = torch.randn(20, 2, generator=g, dtype=torch.float64)
    y_test = torch.randn(9, 2, generator=g, dtype=torch.float64)
    lambdas = [1e-3, 0.1, 10.0]
    train, test = ridge_path(phi, y, phi_test, y_test, lambdas)
    for lam, tr, te in zip(lambdas, train, test):
        ref = Ridge(alpha=lam, fit_intercept=False, solver="cholesky").fit(phi.numpy(), y.numpy())
        pred, pred_test = ref.predict(phi.numpy()), ref.predict(phi_test.numpy())
        assert tr == pytest.approx(float(((torch.tensor(pred) - y) ** 2).mean()), rel=1e-6, abs=1e-12)
        assert te == pytest.approx(float(((torch.tensor(pred_test) - y_test) ** 2).mean()), rel=1e-6)
    assert train == sorted(train)  # more ridge, more training error


def test_ridgeless_overparameterized_regression_interpolates():
    g = torch.Generator().manual_seed(1)
    phi, y = torch.randn(10, 30, generator=g), torch.randn(10, 1, generator=g)
    train, _ = ridge_path(phi, y, phi, y, [1e-10])
    assert train[0] < 1e-12
