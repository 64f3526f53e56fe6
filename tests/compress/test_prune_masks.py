"""Masks on models: torch.nn.utils.prune underneath, safetensors on disk, populations, schedules."""

import pytest
import torch
from torch import nn
from torch.func import stack_module_state

from neuralab.compress.finetune import fit
from neuralab.compress.prune import (GradualPruning, apply_masks, cubic_sparsity,
                                     folded_state_dict, iterative_pruning, load_pruned,
                                     population_masks, prunable_weights, save_pruned, sparsity)
from neuralab.compress.prune.masks import masks_of, weights_of
from neuralab.data.dataset import load_dataset
from neuralab.errors import CheckpointError, NeuralabError
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist1d", num_samples=600)


def _mlp(data, seed=0, **params):
    return build_model("mlp", data.spec, {"width": 32, **params}, seed=seed)


def test_pruned_weights_stay_zero_through_training(data):
    model = _mlp(data)
    REGISTRY.create("pruner", "global_magnitude", sparsity=0.7).apply(model)
    masks = masks_of(prunable_weights(model))
    fit(model, data, steps=5, lr=1e-2)
    for key, w in weights_of(prunable_weights(model)).items():
        assert torch.all(w[~masks[key]] == 0)
    assert sparsity(model)["total"] == pytest.approx(0.7, abs=1e-3)
    # a second pruning composes: only removes more
    REGISTRY.create("pruner", "layerwise_magnitude", sparsity=0.8).apply(model)
    after = masks_of(prunable_weights(model))
    assert all(bool((after[k] <= masks[k]).all()) for k in masks)
    assert sparsity(model)["total"] == pytest.approx(0.8, abs=2e-3)


def test_pruning_recurrent_weights(data):
    model = build_model("lstm", data.spec, {"width": 8})
    targets = prunable_weights(model)
    assert {"rnn.weight_ih_l0", "rnn.weight_hh_l0"} <= set(targets)
    REGISTRY.create("pruner", "global_magnitude", sparsity=0.5).apply(model)
    x = data.x_test[:4]
    reference = build_model("lstm", data.spec, {"width": 8})
    reference.load_state_dict(folded_state_dict(model))
    torch.testing.assert_close(model(x), reference(x))
    assert sparsity(model)["total"] == pytest.approx(0.5, abs=1e-3)


def test_save_and_load_with_masks_folded(data, tmp_path):
    model = _mlp(data)
    REGISTRY.create("pruner", "lamp", sparsity=0.6).apply(model)
    path = save_pruned(model, tmp_path / "pruned.safetensors")
    fresh = load_pruned(_mlp(data, seed=5), path)
    torch.testing.assert_close(fresh(data.x_test), model(data.x_test))
    assert sparsity(fresh)["total"] == pytest.approx(0.6, abs=1e-3)
    fit(fresh, data, steps=3, lr=1e-2)  # the zeros came back as masks: they stay zero
    assert sparsity(fresh)["total"] == pytest.approx(0.6, abs=1e-3)
    (tmp_path / "bad.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_pruned(_mlp(data), tmp_path / "bad.safetensors")


def test_taylor_scores_are_weight_times_gradient_squared(data):
    from neuralab.compress.prune.scores import taylor
    from neuralab.engine.metrics import loss_fn

    model = _mlp(data)
    x, y = data.x_train[:64], data.y_train[:64]
    got = taylor(model, prunable_weights(model), data.spec, x, y)
    loss_fn(data.spec, model(x), y).backward()
    w = model.blocks[1].linear.weight
    torch.testing.assert_close(got["blocks.1.linear.weight"], (w * w.grad).square().detach())


@pytest.mark.parametrize("method", ["global_magnitude", "layerwise_magnitude", "lamp", "random_erk"])
def test_population_masks_equal_single_model_masks(data, method):
    members = [_mlp(data, seed=s) for s in range(3)]
    stacked, _ = stack_module_state(members)
    keys = list(prunable_weights(members[0]))
    pruner = REGISTRY.create("pruner", method, sparsity=0.8)
    together = population_masks(pruner, {k: stacked[k] for k in keys}, seeds=[0, 1, 2])
    for i, m in enumerate(members):
        single = pruner.masks(m, seed=i)
        for k in keys:
            assert torch.equal(together[k][i], single[k]), (method, i, k)


def test_rate_distortion_pruner_meets_the_budget(data):
    model = _mlp(data)
    fit(model, data, steps=20, lr=1e-2)
    REGISTRY.create("pruner", "rd_adaptive", sparsity=0.8, calibration=128).apply(model, data)
    assert sparsity(model)["total"] >= 0.8 - 1e-3


def test_cubic_schedule_values():
    kw = {"final": 0.9, "start": 100, "end": 300}
    assert cubic_sparsity(50, **kw) == 0.0 and cubic_sparsity(300, **kw) == 0.9
    assert cubic_sparsity(200, **kw) == pytest.approx(0.9 - 0.9 * 0.5**3)
    assert cubic_sparsity(150, **kw, initial=0.2) == pytest.approx(0.9 - 0.7 * 0.75**3)
    with pytest.raises(NeuralabError, match="end > start"):
        cubic_sparsity(0, final=0.5, start=10, end=10)


def test_gradual_pruning_reaches_the_final_sparsity(data):
    model = _mlp(data)
    schedule = GradualPruning(REGISTRY.create("pruner", "global_magnitude", sparsity=0.9), model,
                              start=2, end=12, every=3)
    fit(model, data, steps=15, lr=1e-2, after_step=schedule)
    steps = [s for s, _ in schedule.history]
    levels = [v for _, v in schedule.history]
    assert steps == [2, 5, 8, 11, 12] and levels == sorted(levels) and levels[-1] == 0.9
    assert sparsity(model)["total"] == pytest.approx(0.9, abs=1e-3)


def test_iterative_pruning_rewinds_the_survivors(data):
    model = _mlp(data)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    seen = {}

    def on_round(r, m):
        seen[r] = sparsity(m)["total"]

    result = iterative_pruning(model, data, REGISTRY.create("pruner", "global_magnitude",
                                                            sparsity=0.75),
                               rounds=2, steps=6, rewind_step=0, on_round=on_round,
                               fit_options={"lr": 1e-2})
    assert seen[0] == 0.0  # the trained dense model
    assert seen[1] == pytest.approx(0.5, abs=1e-3) and seen[2] == pytest.approx(0.75, abs=1e-3)
    assert [r["round"] for r in result.rounds] == [1, 2]
    for k, v in result.rewind_state.items():
        torch.testing.assert_close(v, init[k])
    with pytest.raises(NeuralabError, match="rewind_step"):
        iterative_pruning(model, data, REGISTRY.create("pruner", "lamp"), rounds=1, steps=5,
                          rewind_step=5)


def test_apply_masks_rejects_unknown_names(data):
    with pytest.raises(NeuralabError, match="masks name weights"):
        apply_masks(_mlp(data), {"nope.weight": torch.ones(3)})
    with pytest.raises(NeuralabError, match="no prunable weights"):
        prunable_weights(nn.ReLU())


def _layers(seed=0):
    """Convolution, linear and recurrent weights (the prunable kinds), drawn from ``seed``."""
    torch.manual_seed(seed)
    return nn.ModuleDict({"conv": nn.Conv1d(3, 5, 3), "fc": nn.Linear(30, 20),
                          "rnn": nn.GRU(20, 4), "head": nn.Linear(4, 7)})


def test_random_uniform_prunes_the_same_fraction_of_every_layer_at_random():
    """``random_uniform``: i.i.d. uniform scores (seeded per layer), every layer keeping its
    ``round((1 - sparsity) n)`` top-scored weights; scores ignore the weights' values."""
    pruner = REGISTRY.create("pruner", "random_uniform", sparsity=0.6)
    model = _layers()
    masks = pruner.apply(model, seed=3)
    sizes = {"conv.weight": 45, "fc.weight": 600, "rnn.weight_ih_l0": 240,
             "rnn.weight_hh_l0": 48, "head.weight": 28}
    assert {k: m.numel() for k, m in masks.items()} == sizes
    for key, (module, name) in prunable_weights(model).items():
        mask = masks[key]
        assert int(mask.sum()) == round(0.4 * sizes[key])  # 18, 240, 96, 19, 11
        assert torch.equal(getattr(module, name) == 0, ~mask)  # the forward weight is masked
    # reproducible for a seed, whatever the weights; another seed draws other weights
    again, other_weights = pruner.masks(_layers(0), seed=3), pruner.masks(_layers(1), seed=3)
    other_seed = pruner.masks(_layers(0), seed=4)
    for k in sizes:
        assert torch.equal(again[k], masks[k]) and torch.equal(other_weights[k], masks[k])
        assert not torch.equal(other_seed[k], masks[k])


def test_random_uniform_never_revives_a_pruned_weight():
    """Pruned weights score -inf: a second round (any seed) only removes more, and its sparsity
    counts every weight; a round at a lower sparsity keeps the model as it is."""
    pruner = REGISTRY.create("pruner", "random_uniform", sparsity=0.5)
    model = _layers()
    first = pruner.apply(model, seed=1)
    second = pruner.apply(model, sparsity=0.8, seed=2)
    for key, (module, name) in prunable_weights(model).items():
        assert not (second[key] & ~first[key]).any()  # kept now => kept before
        assert int(second[key].sum()) == round(0.2 * first[key].numel())
        torch.testing.assert_close(getattr(module, f"{name}_mask").bool(), second[key])
    lower = pruner.masks(model, sparsity=0.3, seed=5)
    assert all(not (lower[k] & ~second[k]).any() for k in lower)
    pruner.apply(model, sparsity=0.3, seed=5)
    assert sparsity(model)["total"] == pytest.approx(0.8, abs=1e-3)
