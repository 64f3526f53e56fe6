"""Channel pruning to a smaller dense model, LRP relevance, batch-norm folding."""

import pytest
import torch
from torch import nn

from neuralab.compress.finetune import fit
from neuralab.compress.prune.relevance import relevance_maps, unit_relevance
from neuralab.compress.prune.structured import shrink
from neuralab.compress.reparam.bn_fold import count_batchnorms, fold_batchnorm
from neuralab.data.dataset import load_dataset
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist1d", num_samples=400)


def _zero_units(model, keep):
    """Forward hooks that zero every unit not in ``keep[i]`` at block ``i``'s output."""
    handles = []
    for block, kept in zip(model.blocks, keep):
        def hook(module, inputs, out, kept=kept):
            mask = torch.zeros(out.shape[1], dtype=out.dtype)
            mask[kept] = 1
            return out * mask.view(1, -1, *[1] * (out.dim() - 2))
        handles.append(block.register_forward_hook(hook))
    return handles


@pytest.mark.parametrize("name, params", [
    ("mlp", {"width": 12, "depth": 2}),
    ("mlp", {"width": 12, "depth": 2, "norm": "batch"}),
    ("cnn", {"channels": 12, "depth": 2, "pool": "flatten", "norm": "batch"}),
    ("cnn", {"channels": 12, "depth": 2, "pool": "mean"}),
])
def test_removing_units_equals_zeroing_them(data, name, params):
    model = build_model(name, data.spec, params, seed=1)
    fit(model, data, steps=3, lr=1e-2)  # moves batch-norm statistics away from their defaults
    model.eval()
    keep = [torch.tensor([0, 3, 4, 7, 9]), torch.tensor([1, 2, 5, 8, 11])]
    small, new_params = shrink(model, keep, name, params, data.spec)
    assert new_params[{"mlp": "width", "cnn": "channels"}[name]] == 5
    handles = _zero_units(model, keep)
    x = data.x_test[:16]
    torch.testing.assert_close(small.eval()(x), model(x), atol=1e-5, rtol=1e-5)
    for h in handles:
        h.remove()


@pytest.mark.parametrize("method", ["channel_l1", "channel_taylor", "channel_lrp"])
def test_channel_pruners_build_a_smaller_model(data, method):
    model = build_model("cnn", data.spec, {"channels": 8, "depth": 2}, seed=0)
    fit(model, data, steps=5, lr=1e-2)
    pruner = REGISTRY.create("pruner", method, sparsity=0.5)
    small, params = pruner.prune(model, data.spec, data, name="cnn",
                                 params={"channels": 8, "depth": 2})
    assert params["channels"] == 4
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in model.parameters())


def test_structured_pruning_rejects_unsupported_models(data):
    pruner = REGISTRY.create("pruner", "channel_l1", sparsity=0.5)
    with pytest.raises(NeuralabError, match="norm 'none' or 'batch'"):
        pruner.prune(build_model("mlp", data.spec, {"norm": "layer"}), data.spec, data,
                     name="mlp", params={"norm": "layer"})
    with pytest.raises(NeuralabError, match="mlp and cnn"):
        pruner.prune(build_model("gru", data.spec, {}), data.spec, data, name="gru", params={})


def _bias_free_mlp(data):
    model = build_model("mlp", data.spec, {"width": 10, "bias": False}, seed=3)
    with torch.no_grad():
        model.head.bias.zero_()
    return model


def test_lrp_zplus_conserves_relevance(data):
    model = _bias_free_mlp(data)
    x, y = data.x_test[:8], data.y_test[:8]
    maps = relevance_maps(model, x, y, rule="zplus")
    totals = [m.flatten(1).sum(1) for m in maps]
    for t in totals[1:]:
        torch.testing.assert_close(t, totals[-1], atol=1e-4, rtol=1e-4)
    logits = model(x).gather(1, y.view(-1, 1)).squeeze(1)
    torch.testing.assert_close(totals[-1], logits, atol=1e-4, rtol=1e-4)


def test_lrp_epsilon_equals_gradient_times_input(data):
    model = _bias_free_mlp(data)
    x, y = data.x_test[:8], data.y_test[:8]
    r_input = relevance_maps(model, x, y, rule="epsilon", eps=1e-9)[0]
    xg = x.clone().requires_grad_(True)
    model(xg).gather(1, y.view(-1, 1)).sum().backward()
    torch.testing.assert_close(r_input, (xg * xg.grad).detach(), atol=1e-4, rtol=1e-3)
    assert [r.shape[0] for r in unit_relevance(model, x, y)] == [10, 10]


def test_batchnorm_folding_equals_the_training_form(data):
    for name, params in [("mlp", {"norm": "batch", "width": 16}), ("cnn", {"norm": "batch"})]:
        model = build_model(name, data.spec, params, seed=2)
        fit(model, data, steps=5, lr=1e-2)
        folded = fold_batchnorm(model)
        assert count_batchnorms(model) == len(model.blocks) and count_batchnorms(folded) == 0
        x = data.x_test[:32]
        torch.testing.assert_close(folded(x), model.eval()(x), atol=1e-5, rtol=1e-5)
    seq = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4))
    seq[1].running_mean.uniform_()
    seq[1].running_var.uniform_(0.5, 2)
    x = torch.randn(3, 2, 6, 6)
    torch.testing.assert_close(fold_batchnorm(seq)(x), seq.eval()(x), atol=1e-5, rtol=1e-5)
