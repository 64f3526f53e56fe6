"""PHM / PHC layers: the Kronecker-sum weight, 1/n parameters, and the quaternion special case."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.components.hypercomplex import (PHConv, PHMLinear, kronecker_sum, quaternion_algebra,
                                              real_parameter_count)
from neuralab.data.dataset import DataSpec
from neuralab.models import build_model


def explicit_weight(layer):
    return sum(torch.kron(layer.algebra[i], layer.filters[i]) for i in range(layer.n))


@pytest.mark.parametrize("n", [1, 2, 4, 8])
def test_phm_weight_is_the_sum_of_kronecker_products(n):
    layer = PHMLinear(16, 24, n)
    torch.testing.assert_close(layer.weight(), explicit_weight(layer))
    x = torch.randn(5, 16)
    torch.testing.assert_close(layer(x), x @ explicit_weight(layer).T + layer.bias)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_phm_has_one_nth_of_the_parameters(n):
    d_in, d_out = 64, 128
    layer = PHMLinear(d_in, d_out, n, bias=False)
    assert layer.filters.numel() * n == d_in * d_out  # the filters: exactly 1/n of a dense weight
    assert sum(p.numel() for p in layer.parameters()) == d_in * d_out // n + n**3
    with_bias = PHMLinear(d_in, d_out, n)
    dense = real_parameter_count(d_in, d_out)
    assert sum(p.numel() for p in with_bias.parameters()) == (dense - d_out) // n + n**3 + d_out


def test_phc_kernel_is_a_kronecker_sum_over_channels():
    conv = PHConv(2, 8, 12, 3, 4, padding=1)
    w = torch.stack([torch.stack([explicit_weight_at(conv, u, v) for v in range(3)], -1)
                     for u in range(3)], -2)
    torch.testing.assert_close(conv.weight(), w)
    x = torch.randn(2, 8, 6, 6)
    torch.testing.assert_close(conv(x), F.conv2d(x, w, conv.bias, padding=1))
    assert conv.filters.numel() * 4 == 8 * 12 * 9


def explicit_weight_at(conv, u, v):
    return sum(torch.kron(conv.algebra[i], conv.filters[i, :, :, u, v]) for i in range(conv.n))


def test_quaternion_algebra_is_the_hamilton_product():
    layer = PHMLinear(4, 4, 4, algebra="quaternion", bias=False)
    wr, wx, wy, wz = layer.filters.detach().flatten()
    a, b, c, d = torch.randn(4)
    ref = torch.stack([wr * a - wx * b - wy * c - wz * d,
                       wr * b + wx * a + wy * d - wz * c,
                       wr * c - wx * d + wy * a + wz * b,
                       wr * d + wx * c - wy * b + wz * a])
    torch.testing.assert_close(layer(torch.stack([a, b, c, d])), ref)
    assert "algebra" not in dict(layer.named_parameters())  # fixed, not learned
    with pytest.raises(ValueError, match="n = 4"):
        PHMLinear(6, 6, 3, algebra="quaternion")


def test_kronecker_sum_of_identity_algebra_is_block_diagonal():
    f = torch.randn(3, 2, 2)
    a = torch.zeros(3, 3, 3)
    for i in range(3):
        a[i, i, i] = 1.0
    torch.testing.assert_close(kronecker_sum(a, f), torch.block_diag(*f))


def test_phm_initialization_matches_he_variance():
    torch.manual_seed(0)
    layer = PHMLinear(256, 256, 4, gain=2**0.5)
    assert layer.weight().var().item() == pytest.approx(2 / 256, rel=0.15)


def test_phm_models_have_about_one_nth_of_the_parameters():
    spec = DataSpec("classification", (40,), 10)
    real = build_model("mlp", spec, {"width": 256}, seed=0).num_parameters()
    phm = build_model("phm_mlp", spec, {"width": 256, "n": 4}, seed=0).num_parameters()
    head = 256 * 10 + 10
    hidden_real = real - head
    assert (phm - head) == pytest.approx(hidden_real / 4, rel=0.05)
    with pytest.raises(ValueError, match="divisible"):
        PHMLinear(10, 8, 4)
