"""Per-layer gradient norms and residual-stream variance against direct computation."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.data.dataset import DataSpec
from neuralab.models.base import build_model
from neuralab.probes.runner import run_probe

LM = DataSpec("sequence", (12,), 20, vocab_size=20)


def _lm(**kw):
    return build_model("transformer", LM, {"d_model": 16, "n_layers": 3, "n_heads": 2, **kw}, seed=0)


def test_gradient_norms_match_backward_and_leave_grads_alone():
    model = _lm(dropout=0.1)
    model.train()
    x = torch.randint(0, 20, (4, 12))
    y = torch.randint(0, 20, (4, 12))
    rows = run_probe("gradient_norms", model, x, y, run="r", step=7)
    assert model.training and all(p.grad is None for p in model.parameters())
    model.eval()
    F.cross_entropy(model(x).reshape(-1, 20), y.reshape(-1)).backward()
    expected = {f"block{i}": torch.sqrt(sum(p.grad.square().sum() for p in b.parameters())).item()
                for i, b in enumerate(model.blocks)}
    got = {r["layer"]: r["value"] for r in rows if r["metric"] == "grad_norm"}
    assert got.keys() >= {"stem", "head", "block0", "block2"}
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-5)
    assert all(r["run"] == "r" and r["step"] == 7 for r in rows)


def test_residual_variance_of_each_block_output():
    model = _lm()
    x = torch.randint(0, 20, (4, 12))
    rows = run_probe("residual_variance", model, x)
    var = {r["layer"]: r["value"] for r in rows if r["metric"] == "residual_variance"}
    assert list(var) == ["block0", "block1", "block2"]
    with torch.no_grad():
        h = model.stem(x) + model.pos[:12]
        for i, block in enumerate(model.blocks):
            h = block(h)
            assert var[f"block{i}"] == pytest.approx(h.var(unbiased=False).item(), rel=1e-4)


def test_gradient_norms_of_a_regression_mlp_use_mse():
    model = build_model("mlp", DataSpec("regression", (3,), 2), {"width": 8})
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    rows = run_probe("gradient_norms", model, x, y)
    F.mse_loss(model(x), y).backward()
    head = {r["layer"]: r["value"] for r in rows}["head"]
    assert head == pytest.approx(torch.sqrt(sum(p.grad.square().sum() for p in model.head.parameters())).item(),
                                 rel=1e-5)
