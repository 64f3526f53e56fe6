"""Activating-while-Pruning: the base pruner's share by magnitude, AP's share on the negative
weights that moved least, exact round sparsity, and its place in iterative pruning."""

import pytest
import torch
from torch import nn

from neuralab.compress.prune import iterative_pruning, sparsity
from neuralab.compress.prune.masks import apply_masks
from neuralab.data.dataset import load_dataset
from neuralab.errors import NeuralabError
from neuralab.models import build_model
from neuralab.registry import REGISTRY


def _one_layer(weights):
    layer = nn.Linear(len(weights), 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([weights]))
    return nn.Sequential(layer)


def test_ap_prunes_the_least_moved_negative_weights_after_the_base_share():
    #          w:  3.0   -2.0  0.5  -1.0   0.1  -0.2   4.0  -3.0   2.5  -1.5
    w = [3.0, -2.0, 0.5, -1.0, 0.1, -0.2, 4.0, -3.0, 2.5, -1.5]
    ref = torch.tensor([[3.0, -0.1, 0.5, -0.9, 0.1, -2.0, 4.0, -2.9, 2.5, -1.5]])
    model = _one_layer(w)
    pruner = REGISTRY.create("pruner", "ap", sparsity=0.4, ap_share=0.5)
    masks = pruner.apply(model, reference={"0.weight": ref})
    kept = masks["0.weight"][0].tolist()
    # base (magnitude) removes 2 of 10: 0.1 and -0.2; AP removes 2 more among the negatives
    # left (-2.0 moved 1.9, -1.0 moved 0.1, -3.0 moved 0.1, -1.5 moved 0.0): -1.5 and one of
    # the two that moved 0.1
    pruned = {i for i, k in enumerate(kept) if not k}
    assert len(pruned) == 4 and {4, 5, 9} <= pruned and pruned & {3, 7}
    assert sparsity(model)["total"] == pytest.approx(0.4)


def test_ap_falls_back_to_small_positive_weights_and_keeps_earlier_masks():
    model = _one_layer([1.0, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0, 8.0])
    apply_masks(model, {"0.weight": torch.tensor([[True] * 7 + [False]])})  # 8.0 already pruned
    ref = {"0.weight": model[0].weight_orig.detach().clone()}
    pruner = REGISTRY.create("pruner", "ap", sparsity=0.5, ap_share=1.0)
    kept = pruner.apply(model, reference=ref)["0.weight"][0].tolist()
    # AP's whole share: the one negative weight, then the smallest positives
    assert kept == [False, False, True, False, True, True, True, False]


def test_ap_without_reference_or_with_a_structured_base_is_refused():
    model = _one_layer([1.0, -1.0])
    with pytest.raises(NeuralabError, match="iterative schedule"):
        REGISTRY.create("pruner", "ap", sparsity=0.5).apply(model)
    with pytest.raises(NeuralabError, match="unstructured mask pruner"):
        REGISTRY.create("pruner", "ap", base="channel_l1")
    with pytest.raises(NeuralabError, match="ap_share"):
        REGISTRY.create("pruner", "ap", ap_share=1.5)


def test_ap_in_iterative_pruning_reaches_each_round_target_and_lowers_the_negative_share():
    data = load_dataset("mnist1d", num_samples=600)

    def run(name, **kw):
        model = build_model("mlp", data.spec, {"width": 32, "depth": 2}, seed=0)
        pruner = REGISTRY.create("pruner", name, sparsity=0.64, **kw)
        result = iterative_pruning(model, data, pruner, rounds=2, steps=30, seed=0)
        weights = torch.cat([m.detach().reshape(-1) for n, m in model.named_parameters()
                             if n.endswith("weight_orig")])
        masks = torch.cat([b.reshape(-1) for n, b in model.named_buffers()
                           if n.endswith("weight_mask")]).bool()
        return result, float((weights[masks] < 0).float().mean())

    plain, negative_plain = run("global_magnitude")
    with_ap, negative_ap = run("ap", ap_share=0.5)
    assert [r["sparsity"] for r in with_ap.rounds] == pytest.approx([0.4, 0.64])
    assert with_ap.masks.keys() == plain.masks.keys()
    assert negative_ap < negative_plain  # AP removed negative weights the base pruner kept


def test_iterative_pruning_hands_ap_the_weights_each_round_started_from():
    data = load_dataset("mnist1d", num_samples=300)
    model = build_model("mlp", data.spec, {"width": 16, "depth": 1}, seed=0)
    initial = {k: v.detach().clone() for k, v in model.named_parameters() if k.endswith("weight")}
    seen = []

    class Spy:
        needs_reference, sparsity = True, 0.5

        def apply(self, model, data=None, *, sparsity=None, seed=0, reference=None):
            seen.append({k: v.clone() for k, v in reference.items()})
            return REGISTRY.create("pruner", "global_magnitude").apply(model, sparsity=sparsity)

    iterative_pruning(model, data, Spy(), rounds=2, steps=20, rewind_step=0, seed=0)
    # round 1 started from the initial weights; round 2 from them again (rewound), masked
    for k, w in initial.items():
        assert torch.equal(seen[0][k], w)
        assert torch.equal(seen[1][k], w * (seen[1][k] != 0))
