"""Parity with the authors' reference implementations (the optional ``[parity]`` extra).

Each test copies the same weights (and gradients or inputs) into our part and the reference
package's, and compares the outputs to float32 rounding. A test whose reference package is not
installed is skipped with the reason (``pip install -c constraints.txt -e '.[parity]'``).

| part | reference |
|---|---|
| ``sgdp``, ``adamp`` optimizers | ``adamp`` (SGDP, AdamP; Heo et al., clovaai/AdamP) |
| muP + AdamW / SGD-family learning rates and weight decay | ``mup`` (MuAdamW, MuSGD) |
| Eigen-CAM (``convention="pytorch_grad_cam"``) | ``grad-cam`` (pytorch_grad_cam.EigenCAM) |
| Grad-CAM | ``captum`` (LayerGradCam) |
| B-spline bases of the KAN layer | ``pykan`` (kan.spline.B_batch) |
| L1 channel importance of structured pruning | ``torch-pruning`` (MagnitudeImportance, p=1) |
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from neuralab.components.parametrization import apply_parametrization, optimizer_family, param_groups
from neuralab.data.dataset import load_dataset
from neuralab.models.base import build_model
from neuralab.optim.build import make_optimizer
from neuralab.probes.class_activation import eigen_cam, grad_cam

FLOAT32 = dict(rtol=1e-5, atol=1e-6)


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.detach().double() - b.detach().double()).abs().max())


# -- SGDP / AdamP against the authors' adamp package -------------------------------------------
def _projected_params(seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(6, 3, 3, 3, generator=g),   # scale-invariant: gradients made orthogonal
            torch.randn(5, 7, generator=g),          # a plain matrix
            torch.randn(5, generator=g)]             # a vector (never projected)


def _grads(params: list[torch.Tensor], step: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(100 + step)
    out = []
    for i, w in enumerate(params):
        grad = torch.randn(w.shape, generator=g)
        if i == 0:  # remove each channel's radial part: the gradient of a scale-invariant weight
            wv, gv = w.detach().reshape(w.shape[0], -1), grad.reshape(w.shape[0], -1)
            gv = gv - wv * (gv * wv).sum(1, keepdim=True) / (wv * wv).sum(1, keepdim=True)
            grad = gv.reshape(w.shape)
        out.append(grad)
    return out


def _run_optimizer(make, seed: int = 0, steps: int = 6) -> list[torch.Tensor]:
    params = [nn.Parameter(p.clone()) for p in _projected_params(seed)]
    opt = make(params)
    for step in range(steps):
        for w, grad in zip(params, _grads(params, step)):
            w.grad = grad
        opt.step()
    return params


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgdp_matches_the_authors_package(nesterov):
    adamp = pytest.importorskip("adamp", reason="the adamp package (pip install '.[parity]')")
    hyper = dict(lr=0.1, momentum=0.9, weight_decay=0.05, nesterov=nesterov)
    ours = _run_optimizer(lambda ps: make_optimizer("sgdp", ps, hyper))
    theirs = _run_optimizer(lambda ps: adamp.SGDP(ps, **hyper))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, **FLOAT32)


@pytest.mark.parametrize("nesterov", [False, True])
def test_adamp_matches_the_authors_package(nesterov):
    adamp = pytest.importorskip("adamp", reason="the adamp package (pip install '.[parity]')")
    hyper = dict(lr=1e-2, weight_decay=0.05, nesterov=nesterov)
    ours = _run_optimizer(lambda ps: make_optimizer("adamp", ps, hyper))
    theirs = _run_optimizer(lambda ps: adamp.AdamP(ps, **hyper))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, **FLOAT32)


def test_sgdp_weight_decay_is_divided_by_one_minus_momentum():
    """Without gradients' effect (zero gradient), one step shrinks w by lr * wd / (1 - momentum)."""
    w = nn.Parameter(torch.ones(3))
    opt = make_optimizer("sgdp", [w], dict(lr=0.1, momentum=0.9, weight_decay=0.01))
    w.grad = torch.zeros(3)
    opt.step()
    torch.testing.assert_close(w.detach(), torch.full((3,), 1 - 0.1 * 0.01 / (1 - 0.9)))


# -- muP learning rates and weight decay against the mup package -------------------------------
def _mup_pair(width: int = 512, base: int = 64):
    spec = load_dataset("xor_clusters").spec
    def build(w):
        model = build_model("mlp", spec, {"width": w, "depth": 3}, seed=0)
        return apply_parametrization(model, "mup", base_width=base, activation="relu")
    return build(width), build(base)


def _hidden_names(model) -> list[str]:
    plan = model.abc_lr_plan
    return [n for n, p in model.named_parameters() if id(p) in plan and plan[id(p)][1] == "hidden"]


def _ours(model, name: str, hyper: dict):
    opt = make_optimizer(name, param_groups(model, name), hyper)
    for group in opt.param_groups:  # what the trainer does with each group's lr_scale
        group["lr"] = group["lr"] * group.get("lr_scale", 1.0)
    return opt


def _step_both(model, reference, ours, theirs, steps: int = 3) -> float:
    names = _hidden_names(model)
    ref_params = dict(reference.named_parameters())
    for step in range(steps):
        g = torch.Generator().manual_seed(step)
        for name, p in model.named_parameters():
            p.grad = torch.randn(p.shape, generator=g)
            ref_params[name].grad = p.grad.clone()
        ours.step()
        theirs.step()
    return max(_max_diff(dict(model.named_parameters())[n], ref_params[n]) for n in names)


def test_mup_adamw_keeps_lr_times_weight_decay_constant():
    model, _ = _mup_pair()
    opt = _ours(model, "adamw", {"lr": 1e-2, "weight_decay": 0.5})
    products = {round(g["lr"] * g["weight_decay"], 12) for g in opt.param_groups}
    assert products == {round(1e-2 * 0.5, 12)}
    assert len({g["lr"] for g in opt.param_groups}) > 1  # the learning rates do differ by width


def test_mup_adamw_hidden_updates_match_mu_adamw():
    mup = pytest.importorskip("mup", reason="the mup package (pip install '.[parity]')")
    model, base = _mup_pair()
    reference = copy.deepcopy(model)
    mup.set_base_shapes(reference, base, rescale_params=False, do_assert=False)
    theirs = mup.MuAdamW(reference.parameters(), lr=1e-2, weight_decay=0.5)
    diff = _step_both(model, reference, _ours(model, "adamw", {"lr": 1e-2, "weight_decay": 0.5}),
                      theirs)
    assert diff < 1e-6, diff


@pytest.mark.parametrize("name", ["sgd", "noisy_sgd"])
def test_mup_sgd_family_hidden_updates_match_mu_sgd(name):
    mup = pytest.importorskip("mup", reason="the mup package (pip install '.[parity]')")
    model, base = _mup_pair()
    reference = copy.deepcopy(model)
    mup.set_base_shapes(reference, base, rescale_params=False, do_assert=False)
    theirs = mup.MuSGD(reference.parameters(), lr=0.05, weight_decay=0.1)
    hyper = {"lr": 0.05, "weight_decay": 0.1} | ({"eta": 0.0} if name == "noisy_sgd" else {})
    diff = _step_both(model, reference, _ours(model, name, hyper), theirs)
    assert diff < 1e-6, diff


def test_noisy_sgd_and_sam_get_the_sgd_rules():
    assert {optimizer_family(n) for n in ("sgd", "sgdp", "noisy_sgd", "sam")} == {"sgd"}
    assert {optimizer_family(n) for n in ("adam", "adamw", "adamp", "noisy_adam")} == {"adam"}


# -- class activation maps against pytorch-grad-cam and captum ---------------------------------
def _cnn() -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1),
                          nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))
    x = torch.randn(5, 1, 12, 12, generator=torch.Generator().manual_seed(1))
    return model.eval(), x


def _grad_cam_projection():
    """pytorch_grad_cam's ``get_2d_projection`` (EigenCAM's whole computation).

    Loaded from its own file: the package's ``__init__`` imports torchvision, whose wheel may not
    match the pinned CPU torch; the projection itself needs only NumPy.
    """
    import importlib.util

    spec = importlib.util.find_spec("pytorch_grad_cam")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the grad-cam package (pip install '.[parity]') is not installed")
    path = f"{spec.submodule_search_locations[0]}/utils/svd_on_activations.py"
    module_spec = importlib.util.spec_from_file_location("_grad_cam_svd", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.get_2d_projection


def test_eigen_cam_grad_cam_convention_matches_pytorch_grad_cam():
    get_2d_projection = _grad_cam_projection()
    model, x = _cnn()
    with torch.no_grad():
        acts = model[:4](x).numpy()  # (B, K, H, W) at the target layer; H, W = the input's
    # BaseCAM.compute_cam_per_layer: the projection, np.maximum(cam, 0), scale_cam_image
    # (min-max per map; the resize to the input size is the identity here).
    cam = np.maximum(get_2d_projection(acts), 0)
    cam = cam - cam.min(axis=(1, 2), keepdims=True)
    theirs = torch.from_numpy(np.float32(cam / (1e-7 + cam.max(axis=(1, 2), keepdims=True))))
    ours = eigen_cam(model, x, "3", convention="pytorch_grad_cam")
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    try:  # the package's own class, where its torchvision import works
        from pytorch_grad_cam import EigenCAM
    except (ImportError, RuntimeError):
        return
    torch.testing.assert_close(ours, torch.from_numpy(EigenCAM(model, [model[3]])(input_tensor=x)),
                               rtol=1e-4, atol=1e-5)


def test_eigen_cam_default_convention_is_sign_corrected_not_clipped():
    model, x = _cnn()
    cam = eigen_cam(model, x, "3", upsample=False)
    maps = model[:4](x).sum(1)
    for c, m in zip(cam.reshape(len(x), -1), maps.reshape(len(x), -1)):
        assert float(torch.corrcoef(torch.stack([c, m]))[0, 1]) >= 0


def test_grad_cam_matches_captum_layer_grad_cam():
    captum = pytest.importorskip("captum.attr", reason="the captum package (pip install '.[parity]')")
    model, x = _cnn()
    target = torch.tensor([0, 1, 2, 0, 1])
    theirs = captum.LayerGradCam(model, model[3]).attribute(x, target=target, relu_attributions=True)
    ours = grad_cam(model, x, "3", target, upsample=False)
    torch.testing.assert_close(ours, theirs.squeeze(1).detach(), **FLOAT32)


# -- KAN B-splines against pykan ---------------------------------------------------------------
def test_bspline_basis_matches_pykan():
    spline = pytest.importorskip("kan.spline", reason="the pykan package (pip install '.[parity]')")
    from neuralab.components.kan.bspline import bspline_basis, uniform_knots

    knots = uniform_knots(grid_size=5, order=3, low=-1.0, high=1.0, n=4)  # (4, 12)
    x = torch.rand(50, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1
    torch.testing.assert_close(bspline_basis(x, knots, 3), spline.B_batch(x, knots, k=3), **FLOAT32)


# -- structured pruning's channel scores against torch-pruning ---------------------------------
def test_l1_unit_importance_matches_torch_pruning():
    tp = pytest.importorskip("torch_pruning", reason="the torch-pruning package (pip install '.[parity]')")
    from neuralab.compress.prune.structured import unit_importance

    spec = load_dataset("xor_clusters").spec
    model = build_model("mlp", spec, {"width": 16, "depth": 2}, seed=0)
    ours = unit_importance(model, "l1", None)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    graph = tp.DependencyGraph().build_dependency(model, example_inputs=torch.randn(2, *spec.input_shape))
    imp = tp.importance.MagnitudeImportance(p=1, group_reduction="first", normalizer=None)
    for layer, score in zip(linears, ours):
        group = graph.get_pruning_group(layer, tp.prune_linear_out_channels,
                                        idxs=list(range(layer.out_features)))
        torch.testing.assert_close(score, imp(group), **FLOAT32)
