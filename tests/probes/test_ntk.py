import pytest
import torch
from torch import nn

from neuralab.probes.ntk import empirical_ntk, kernel_distance, ntk_scales, relu_ntk
from neuralab.probes.runner import run_probe


def wide_relu_mlp(width, depth, d=4, seed=0, sigma_w2=2.0):
    """Standard parametrization: W ~ N(0, sigma_w^2 / fan_in), zero biases."""
    g = torch.Generator().manual_seed(seed)
    sizes = [d] + [width] * depth + [1]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b).double()
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=g, dtype=torch.float64) * (sigma_w2 / a) ** 0.5)
            lin.bias.zero_()
        layers += [lin] + ([nn.ReLU()] if i < depth else [])
    return nn.Sequential(*layers)


def test_analytic_kernel_basic_identities():
    x = torch.randn(6, 4, dtype=torch.float64)
    k = relu_ntk(x, depth=2)
    torch.testing.assert_close(k, k.T)
    assert torch.linalg.eigvalsh(k).min() > 0
    # one hidden layer, unit-norm inputs scaled to |x|^2 = d: closed form at x = x'
    # Sigma1 = 2, E[relu^2] = 1, E[relu'^2] = 1/2 -> Theta = 2 * 1 + 2 * (1/2) * 2 = 4
    u = torch.ones(1, 4, dtype=torch.float64)
    assert relu_ntk(u, depth=1).item() == pytest.approx(4.0)


def mean_relative_error(width, depth, x, seeds=3):
    exact = relu_ntk(x, depth=depth)
    errors = []
    for seed in range(seeds):
        net = wide_relu_mlp(width, depth, seed=seed)
        emp = empirical_ntk(net, x, scales=ntk_scales(net))
        errors.append(float((emp - exact).norm() / exact.norm()))
    return sum(errors) / len(errors)


def test_empirical_ntk_converges_to_the_arc_cosine_kernel_with_width():
    x = torch.randn(8, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    narrow, wide = mean_relative_error(32, 1, x), mean_relative_error(4096, 1, x)
    assert wide < 0.05 and wide < narrow / 3  # fluctuations shrink like 1 / sqrt(width)
    narrow, wide = mean_relative_error(64, 2, x), mean_relative_error(1024, 2, x)
    assert wide < 0.1 and wide < narrow / 2


def test_empirical_ntk_is_the_jacobian_gram_and_the_probe():
    torch.manual_seed(0)
    lin = nn.Linear(3, 2)
    x = torch.randn(5, 3)
    # for a linear map, d f_k / d W_kj = x_j and d f_k / d b_k = 1: Theta(x, x') = K (x.x' + 1)
    torch.testing.assert_close(empirical_ntk(lin, x), 2 * (x @ x.T + 1))
    full = empirical_ntk(lin, x, outputs="full")
    torch.testing.assert_close(full[:, :, 0, 1], torch.zeros(5, 5))
    assert kernel_distance(full[..., 0, 0], 3 * full[..., 0, 0]) == pytest.approx(0.0, abs=1e-12)
    rows = run_probe("empirical_ntk", lin, x, other=nn.Linear(3, 2))
    assert {r["metric"] for r in rows} == {"ntk_trace", "ntk_condition", "ntk_top_eigenvalue_share",
                                           "ntk_kernel_distance"}
