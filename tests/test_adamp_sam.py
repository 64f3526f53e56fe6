"""AdamP/SGDP against Adam/SGD and their projection; SAM against its two-step rule."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neuralab.config import build_config
from neuralab.engine.trainer import train
from neuralab.optim.build import make_optimizer


def _scale_invariant_setup(seed=0):
    torch.manual_seed(seed)
    layer = nn.Linear(10, 6, bias=False)  # followed by a normalization: scale-invariant weight
    x, y = torch.randn(32, 10), torch.randn(32, 6)

    def loss():
        h = layer(x)
        h = (h - h.mean(0)) / h.std(0)
        return F.mse_loss(h, y)
    return layer, loss


@pytest.mark.parametrize("name", ["adamp", "sgdp"])
def test_updates_of_scale_invariant_weights_are_orthogonal_to_them(name):
    layer, loss = _scale_invariant_setup()
    opt = make_optimizer(name, layer.parameters(), {"lr": 0.05})
    for _ in range(5):
        w0 = layer.weight.detach().clone()
        opt.zero_grad()
        loss().backward()
        opt.step()
        dw = layer.weight.detach() - w0
        # per output channel, the update has no component along the weight
        cos = F.cosine_similarity(dw, w0, dim=1)
        assert cos.abs().max() < 1e-4


def test_adam_inflates_the_norm_that_adamp_keeps():
    norms = {}
    for name in ("adam", "adamp"):
        layer, loss = _scale_invariant_setup()
        opt = make_optimizer(name, layer.parameters(), {"lr": 0.05})
        n0 = layer.weight.norm().item()
        for _ in range(50):
            opt.zero_grad()
            loss().backward()
            opt.step()
        norms[name] = layer.weight.norm().item() / n0
    # the projected update still adds a second-order lr^2 |p|^2 to |w|^2, a far smaller growth
    assert norms["adam"] > 2.0 and norms["adamp"] - 1 < 0.25 * (norms["adam"] - 1)


def test_adamp_is_adam_and_sgdp_is_sgd_when_weights_are_not_scale_invariant():
    for ours, theirs, hyper in [("adamp", "adam", {"lr": 0.01, "weight_decay": 0.0}),
                                ("sgdp", "sgd", {"lr": 0.05, "momentum": 0.9})]:
        torch.manual_seed(0)
        a = nn.Linear(5, 3, bias=False)
        b = nn.Linear(5, 3, bias=False)
        b.load_state_dict(a.state_dict())
        x = torch.randn(512, 5)
        y = 3 * a(x).detach()  # the loss pulls w along itself: gradient and w stay aligned
        oa = make_optimizer(ours, a.parameters(), hyper)
        ob = make_optimizer(theirs, b.parameters(), hyper)
        for _ in range(10):
            for m, o in ((a, oa), (b, ob)):
                o.zero_grad()
                F.mse_loss(m(x), y).backward()
                o.step()
        torch.testing.assert_close(a.weight, b.weight)


def test_sam_step_is_base_step_with_the_gradient_at_the_ascent_point():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    ref = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    ref.load_state_dict(model.state_dict())
    x, y = torch.randn(10, 4), torch.randn(10, 2)
    rho, lr = 0.1, 0.2
    opt = make_optimizer("sam", model.parameters(), {"lr": lr, "rho": rho, "momentum": 0.0})

    def closure():
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        return loss
    loss = opt.step(closure)

    params = list(ref.parameters())
    grads = torch.autograd.grad(F.mse_loss(ref(x), y), params)
    assert loss.item() == pytest.approx(F.mse_loss(ref(x), y).item())
    norm = torch.sqrt(sum(g.square().sum() for g in grads))
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.add_(rho * g / norm)
    grads_at_e = torch.autograd.grad(F.mse_loss(ref(x), y), params)
    with torch.no_grad():
        for p, g, g_e in zip(params, grads, grads_at_e):
            p.sub_(rho * g / norm)
            p.sub_(lr * g_e)
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q)


def test_trainer_drives_sam_through_a_closure():
    cfg = build_config({"data": {"name": "xor_clusters"}, "model": {"name": "mlp", "width": 32},
                        "optim": {"name": "sam", "lr": 0.1, "rho": 0.05},
                        "train": {"steps": 150, "eval_every": 0, "batch_size": 64}})
    result = train(cfg, progress="none")
    assert result.status == "completed" and result.metrics["test_accuracy"] > 0.9
