"""KAN layers against scipy's B-splines, grid extension before/after, and the selectable spaces."""

import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline

from neuralab.components.kan import (KANLinear, SelectableKANLinear, bspline_basis, space_features,
                                     uniform_knots)
from neuralab.data import load_dataset
from neuralab.models import build_model


@pytest.mark.parametrize("grid, order", [(5, 3), (7, 2), (4, 1), (3, 0)])
def test_bspline_basis_matches_scipy(grid, order):
    knots = uniform_knots(grid, order, -1.0, 2.0, 1)
    x = torch.linspace(-1.0, 1.999, 200)
    ours = bspline_basis(x.unsqueeze(-1), knots, order)[:, 0]  # (200, G + k)
    t = knots[0].double().numpy()
    ref = BSpline.design_matrix(x.double().numpy(), t, order).toarray()
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-5)
    torch.testing.assert_close(ours.sum(-1), torch.ones(200))  # partition of unity on [a, b)


def test_kan_edge_is_silu_base_plus_scipy_spline():
    layer = KANLinear(3, 2, grid_size=6, order=3)
    x = torch.rand(50, 3) * 2 - 1
    edges = layer.edge_functions(x)  # (50, 2, 3)
    t = layer.knots[1].double().numpy()
    c = layer.coef[0, 1].detach().double().numpy()
    ref = (layer.scale_base[0, 1].item() * torch.nn.functional.silu(x[:, 1]).double().numpy()
           + layer.scale_spline[0, 1].item() * BSpline(t, c, 3)(x[:, 1].double().numpy()))
    np.testing.assert_allclose(edges[:, 0, 1].detach().numpy(), ref, atol=1e-5)
    torch.testing.assert_close(layer(x), edges.sum(-1))  # a node sums its incoming edges


def test_grid_extension_keeps_the_function_and_adds_parameters():
    torch.manual_seed(0)
    layer = KANLinear(2, 3, grid_size=5)
    with torch.no_grad():
        layer.coef.normal_()
    x = torch.rand(400, 2) * 2 - 1
    before = layer(x)
    layer.extend_grid(10)  # a multiple of 5: every old spline is a spline on the new grid
    assert layer.grid_size == 10 and layer.coef.shape == (3, 2, 13)
    torch.testing.assert_close(layer(x), before, atol=1e-4, rtol=1e-4)
    layer.extend_grid(23)  # not nested: a least-squares approximation, still close
    assert (layer(x) - before).abs().max() < 0.05
    layer(x).sum().backward()
    assert layer.coef.grad is not None
    with pytest.raises(ValueError, match="finer grid"):
        layer.extend_grid(4)


def test_kan_model_grid_extension_before_after():
    spec = load_dataset("symbolic", function="exp_sin", n_train=10, n_test=10).spec
    model = build_model("kan", spec, {"widths": [3], "grid_size": 4}, seed=0)
    x = torch.rand(64, 2) * 2 - 1
    before = model(x)
    n_before = model.num_parameters()
    model.extend_grid(8)
    torch.testing.assert_close(model(x), before, atol=1e-4, rtol=1e-4)
    assert model.num_parameters() == n_before + 4 * (2 * 3 + 3 * 1)


def test_selectable_spaces_follow_their_formulas():
    x = torch.tensor([[-0.5, 0.0, 0.3]])
    cheb = space_features("chebyshev", x, 4, -1, 1)[0]
    t = torch.tanh(x[0])
    torch.testing.assert_close(cheb[:, 2], 2 * t**2 - 1, atol=1e-5, rtol=0)
    torch.testing.assert_close(cheb[:, 3], 4 * t**3 - 3 * t, atol=1e-5, rtol=0)
    rbf = space_features("rbf", torch.tensor([[0.0]]), 5, -1, 1)[0, 0]
    torch.testing.assert_close(rbf, torch.exp(-((0.0 - torch.linspace(-1, 1, 5)) / 0.5) ** 2))
    fourier = space_features("fourier", torch.tensor([[0.0]]), 4, -1, 1)[0, 0]
    torch.testing.assert_close(fourier, torch.tensor([0.0, 0.0, -1.0, 1.0]), atol=1e-6, rtol=0)


def test_selected_nodes_are_single_space_kan_nodes():
    torch.manual_seed(0)
    layer = SelectableKANLinear(3, 4, size=8)
    with torch.no_grad():
        layer.logits.normal_()
    x = torch.rand(20, 3) * 2 - 1
    soft = layer(x)
    chosen = layer.select()
    assert chosen == [layer.spaces[int(i)] for i in layer.logits.argmax(-1)]
    hard = layer(x)
    base = torch.nn.functional.linear(torch.nn.functional.silu(x), layer.scale_base)
    for j, space in enumerate(chosen):
        s = layer.spaces.index(space)
        feats = space_features(space, x, 8, -1, 1)  # (20, 3, m)
        ref = base[:, j] + torch.einsum("bim,im->b", feats, layer.coef[s][j])
        torch.testing.assert_close(hard[:, j], ref)
    assert not torch.allclose(soft, hard)


def test_symbolic_dataset_values():
    data = load_dataset("symbolic", function="exp_sin", n_train=20, n_test=5)
    x, y = data.x_train, data.y_train[:, 0]
    torch.testing.assert_close(y, torch.exp(torch.sin(torch.pi * x[:, 0]) + x[:, 1] ** 2))
    assert data.spec.task == "regression" and data.x_train.abs().max() <= 1
    bessel = load_dataset("symbolic", function="bessel", n_train=5, n_test=5)
    assert bessel.spec.input_shape == (1,)


def _skan_layer_by_hand(layer, x, size, low=-1.0, high=1.0):
    """``y_j = sum_i [w^b_ji silu(x_i) + sum_s softmax(alpha_j)_s sum_m c^s_jim f^s_m(x_i)]`` with
    the spaces' functions written out: cubic B-splines (scipy) on ``G = size - 3`` intervals,
    ``sin(2 pi m u)`` then ``cos(2 pi m u)`` for ``m = 1 .. size/2`` (``u = (x - a) / (b - a)``),
    Gaussians ``exp(-((x - mu_m) / h)^2)`` at ``size`` even centres ``h`` apart, and Chebyshev
    ``T_m(tanh x)`` by ``T_{m+1} = 2 t T_m - T_{m-1}``."""
    xd = x.detach().double()
    G = size - 3
    knots = low + (high - low) / G * np.arange(-3, G + 4)
    xs = xd.numpy().ravel()
    spline = np.stack([np.nan_to_num(BSpline.basis_element(knots[j:j + 5], extrapolate=False)(xs))
                       for j in range(G + 3)], -1).reshape(*x.shape, G + 3)
    u = (xd - low) / (high - low)
    m = torch.arange(1, size // 2 + 1, dtype=torch.float64)
    angle = 2 * np.pi * m * u[..., None]
    fourier = torch.cat([torch.sin(angle), torch.cos(angle)], -1)
    centres, h = torch.linspace(low, high, size, dtype=torch.float64), (high - low) / (size - 1)
    rbf = torch.exp(-(((xd[..., None] - centres) / h) ** 2))
    t = torch.tanh(xd)
    cheb = [torch.ones_like(t), t]
    while len(cheb) < size:
        cheb.append(2 * t * cheb[-1] - cheb[-2])
    feats = {"bspline": torch.as_tensor(spline), "fourier": fourier, "rbf": rbf,
             "chebyshev": torch.stack(cheb, -1)}
    mix = layer.mixture().detach().double()  # (n_out, n_spaces): softmax(alpha_j), one-hot once selected
    y = torch.nn.functional.silu(xd) @ layer.scale_base.detach().double().T
    for s, space in enumerate(layer.spaces):
        c = layer.coef[s].detach().double()  # (n_out, n_in, m)
        y = y + mix[:, s] * torch.einsum("bim,jim->bj", feats[space], c)
    return y


def test_skan_model_is_the_selectable_kan_formula_layer_by_layer():
    spec = load_dataset("symbolic", function="exp_sin", n_train=10, n_test=10).spec  # 2 -> 1
    model = build_model("skan", spec, {"widths": [3], "size": 6, "noise": 1.0}, seed=0)
    with torch.no_grad():
        for layer in [*model.layers, model.head]:
            layer.logits.normal_(generator=torch.Generator().manual_seed(1))  # uneven mixtures
        model.layers[0].scale_base.mul_(4.0)  # hidden values beyond the grid range [-1, 1] too
    x = torch.rand(16, 2, generator=torch.Generator().manual_seed(2)) * 2 - 1
    hidden = _skan_layer_by_hand(model.layers[0], x, 6)
    assert hidden.abs().max() > 1.2
    ref = _skan_layer_by_hand(model.head, hidden.float(), 6)
    torch.testing.assert_close(model(x).double(), ref, atol=1e-4, rtol=1e-4)
    chosen = model.select_spaces()  # one space per node: the mixture becomes one-hot
    assert chosen == [[layer.spaces[int(i)] for i in layer.logits.argmax(-1)]
                      for layer in [*model.layers, model.head]]
    hidden = _skan_layer_by_hand(model.layers[0], x, 6)
    ref = _skan_layer_by_hand(model.head, hidden.float(), 6)
    torch.testing.assert_close(model(x).double(), ref, atol=1e-4, rtol=1e-4)
