"""Importance scores and scopes against their formulas and known answers."""

import math

import numpy as np
import pytest
import torch

from neuralab.compress.prune import scores, scopes
from neuralab.compress.prune.rate_distortion import allocate
from neuralab.errors import NeuralabError


def _weights(seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"a": torch.randn(16, 8, generator=g), "b": torch.randn(32, 16, generator=g) * 0.3,
            "c": torch.randn(4, 32, generator=g) * 2.0}


def test_global_keeps_exactly_the_largest_magnitudes():
    w = _weights()
    masks = scopes.global_masks(scores.magnitude(w), 0.8)
    flat = torch.cat([v.abs().flatten() for v in w.values()])
    n_keep = round(0.2 * flat.numel())
    threshold = torch.topk(flat, n_keep).values.min()
    assert sum(int(m.sum()) for m in masks.values()) == n_keep
    for k in w:
        torch.testing.assert_close(masks[k], w[k].abs() >= threshold)


def test_layerwise_prunes_each_layer_to_the_same_fraction():
    w = _weights()
    masks = scopes.layerwise_masks(scores.magnitude(w), 0.75)
    for k, m in masks.items():
        assert int(m.sum()) == round(0.25 * m.numel())
        kept, dropped = w[k].abs()[m], w[k].abs()[~m]
        assert kept.min() >= dropped.max()


def test_min_keep_prevents_layer_collapse():
    w = {"big": torch.randn(100, 100), "tiny": torch.randn(10, 10) * 1e-3}
    collapsed = scopes.global_masks(scores.magnitude(w), 0.99)
    assert int(collapsed["tiny"].sum()) == 0
    kept = scopes.global_masks(scores.magnitude(w), 0.99, min_keep=5)
    assert int(kept["tiny"].sum()) == 5 and sum(int(m.sum()) for m in kept.values()) == 101


def test_erk_densities_follow_the_formula():
    shapes = {"conv": (32, 16, 3, 3), "fc1": (256, 512), "fc2": (10, 256)}
    d = scopes.erk_densities(shapes, 0.9)
    raw = {k: sum(s) / math.prod(s) for k, s in shapes.items()}
    sizes = {k: math.prod(s) for k, s in shapes.items()}
    assert sum(d[k] * sizes[k] for k in d) == pytest.approx(0.1 * sum(sizes.values()))
    sparse = [k for k in d if d[k] < 1]
    for k in sparse:
        assert d[k] / raw[k] == pytest.approx(d[sparse[0]] / raw[sparse[0]])
    # a small layer whose ERK density would exceed 1 stays dense; the rest is solved again
    d = scopes.erk_densities({"small": (4, 4), "large": (1000, 1000)}, 0.5)
    assert d["small"] == 1.0
    assert d["large"] * 1e6 + 16 == pytest.approx(0.5 * (1e6 + 16))


def test_lamp_scores_match_the_formula():
    w = torch.tensor([3.0, -1.0, 2.0])
    # sorted squares 1, 4, 9; suffix sums 14, 13, 9
    torch.testing.assert_close(scores.lamp_layer(w), torch.tensor([1.0, 1 / 14, 4 / 13]))
    masks = scopes.global_masks(scores.lamp(_weights()), 0.99)  # keeps 8 of 768
    assert all(int(m.sum()) >= 1 for m in masks.values())  # each layer's top weight scores 1


def test_random_scores_are_seeded_per_layer():
    w = _weights()
    a, b = scores.random(w, 3), scores.random({"b": w["b"]}, 3)
    torch.testing.assert_close(a["b"], b["b"])
    assert not torch.equal(scores.random(w, 4)["b"], a["b"])


def test_bad_sparsity_is_one_line_error():
    with pytest.raises(NeuralabError, match=r"sparsity must be a number in \[0, 1\)"):
        scopes.global_masks(scores.magnitude(_weights()), 1.0)


def test_rate_distortion_dp_equals_brute_force():
    rng = np.random.default_rng(0)
    grid = [0.0, 0.25, 0.5, 0.75, 0.9]
    sizes = {"a": 400, "b": 100, "c": 250}
    curves = {k: np.sort(rng.random(len(grid))) * rng.random() for k in sizes}  # rising in s
    chosen = allocate(curves, sizes, 0.6, grid, bins=750)
    best, best_cost = None, math.inf
    for sa in grid:
        for sb in grid:
            for sc in grid:
                alloc = {"a": sa, "b": sb, "c": sc}
                kept = sum(round((1 - alloc[k]) * sizes[k]) for k in sizes)
                cost = sum(curves[k][grid.index(alloc[k])] for k in sizes)
                if kept <= 0.4 * 750 and cost < best_cost:
                    best, best_cost = alloc, cost
    assert sum(curves[k][grid.index(chosen[k])] for k in sizes) == pytest.approx(best_cost)
    assert sum(round((1 - chosen[k]) * sizes[k]) for k in sizes) <= 0.4 * 750
