"""HAWQ: layer sensitivity from the Hessian probe, ranked bit allocation within the budget."""

import pytest
import torch

from neuralab.compress.quantize.fake import bits_by_layer
from neuralab.compress.quantize.hawq import (allocate_bits, allocate_bits_v2, average_bits, hawq,
                                             layer_sensitivity, quantization_perturbation,
                                             quantize_mixed, trace_sensitivity)
from neuralab.data.dataset import load_dataset
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model
from neuralab.probes.hessian import LossHessian


def test_allocation_follows_the_ranking_within_the_budget():
    sizes = {"a": 100, "b": 1000, "c": 100}
    sens = {"a": 5.0, "b": 1.0, "c": 0.1}
    alloc = allocate_bits(sens, sizes, 4.0, (2, 4, 8))
    # budget 4 * 1200 = 4800 from 2400 at 2 bits: a -> 8 (3000), b cannot reach 4 (5000), c -> 8
    assert alloc == {"a": 8, "b": 2, "c": 8}
    assert average_bits(alloc, sizes) <= 4.0
    rev = allocate_bits(sens, sizes, 4.0, (2, 4, 8), reverse=True)
    assert rev == {"a": 8, "b": 2, "c": 8}  # small layers first either way here
    alloc = allocate_bits({"a": 1.0, "b": 2.0}, {"a": 10, "b": 10}, 3.0, (2, 3, 4))
    assert alloc == {"a": 2, "b": 4}
    assert allocate_bits({"a": 1.0, "b": 2.0}, {"a": 10, "b": 10}, 3.0, (2, 3, 4),
                         reverse=True) == {"a": 4, "b": 2}
    with pytest.raises(NeuralabError, match="below the smallest"):
        allocate_bits(sens, sizes, 1.0, (2, 4))


def test_sensitivity_is_the_top_eigenvalue_per_weight():
    data = load_dataset("mnist1d", num_samples=200)
    model = build_model("mlp", data.spec, {"width": 4, "depth": 1}, seed=0)
    sens = layer_sensitivity(model, data, examples=64, iters=200)
    x, y = data.x_train[:64], data.y_train[:64]
    lam = float(torch.linalg.eigvalsh(LossHessian(model, x, y, params=["head.weight"]).dense())[-1])
    assert sens["head.weight"] == pytest.approx(lam / 40, rel=1e-2)
    quantized, alloc = hawq(model, data, 3.0, candidates=(2, 3, 4), examples=64, iters=20)
    assert bits_by_layer(quantized) == {k: float(v) for k, v in alloc.items()}
    sizes = {"blocks.0.linear.weight": 160, "head.weight": 40}
    assert average_bits(alloc, sizes) <= 3.0


def brute_force(sens, pert, sizes, avg_bits, bits):
    import itertools

    keys = list(sens)
    total = sum(sizes.values())
    best = None
    for combo in itertools.product(bits, repeat=len(keys)):
        if sum(b * sizes[k] for k, b in zip(keys, combo)) > avg_bits * total + 1e-9:
            continue
        value = sum(max(sens[k], 0) * pert[k][b] for k, b in zip(keys, combo))
        if best is None or value < best[0]:
            best = (value, dict(zip(keys, combo)))
    return best


def test_v2_allocation_is_the_exact_optimum_under_the_budget():
    g = torch.Generator().manual_seed(0)
    bits = (2, 3, 4, 5, 6, 8)
    for trial in range(20):
        keys = [f"l{i}" for i in range(4)]
        sizes = {k: int(torch.randint(10, 500, (1,), generator=g)) for k in keys}
        sens = {k: float(torch.rand(1, generator=g)) * 10 ** float(torch.randint(-2, 3, (1,), generator=g))
                for k in keys}
        pert = {k: {b: sizes[k] * 4.0 ** -b * (1 + float(torch.rand(1, generator=g))) for b in bits}
                for k in keys}
        alloc = allocate_bits_v2(sens, pert, sizes, 3.0, bits)
        value = sum(sens[k] * pert[k][alloc[k]] for k in keys)
        assert average_bits(alloc, sizes) <= 3.0 + 1e-9
        assert value == pytest.approx(brute_force(sens, pert, sizes, 3.0, bits)[0], rel=1e-12)


def test_v2_gives_the_sensitive_layer_more_bits():
    sizes = {"sharp": 100, "flat": 100}
    pert = {k: {b: 4.0 ** -b for b in (2, 3, 4)} for k in sizes}
    assert allocate_bits_v2({"sharp": 100.0, "flat": 1.0}, pert, sizes, 3.0, (2, 3, 4)) \
        == {"sharp": 4, "flat": 2}
    # equal sensitivity: the convex quantization error makes uniform bits best
    assert allocate_bits_v2({"sharp": 1.0, "flat": 1.0}, pert, sizes, 3.0, (2, 3, 4)) \
        == {"sharp": 3, "flat": 3}
    with pytest.raises(NeuralabError, match="below the smallest"):
        allocate_bits_v2({"sharp": 1.0}, {"sharp": {2: 1.0}}, {"sharp": 10}, 1.0, (2,))


def test_v2_on_a_net_whose_layers_differ_in_sensitivity():
    data = load_dataset("mnist1d", num_samples=200)
    model = build_model("mlp", data.spec, {"width": 8, "depth": 2}, seed=0)
    x, y = data.x_train[:64], data.y_train[:64]
    sens = trace_sensitivity(model, data, examples=64, samples=400, seed=0)
    for key in sens:  # Hutchinson's estimate of the block trace, per weight
        h = LossHessian(model, x, y, params=[key]).dense()
        assert sens[key] == pytest.approx(float(torch.trace(h)) / h.shape[0], rel=0.15, abs=1e-4)
    bits = (2, 3, 4, 8)
    sizes = {"blocks.0.linear.weight": 320, "blocks.1.linear.weight": 64, "head.weight": 80}
    pert = quantization_perturbation(model, bits)
    assert all(pert[k][2] > pert[k][3] > pert[k][4] > pert[k][8] for k in pert)
    alloc = allocate_bits_v2(sens, pert, sizes, 3.0, bits)
    assert average_bits(alloc, sizes) <= 3.0
    assert alloc == brute_force(sens, pert, sizes, 3.0, bits)[1]
    assert bits_by_layer(quantize_mixed(model, alloc)) == {k: float(v) for k, v in alloc.items()}

    # The same function with the first layer scaled by 1/4 and the second by 4 (ReLU is
    # homogeneous): the first layer's Hessian trace per weight grows 16-fold, the second's shrinks
    # 16-fold, so the layers now differ in sensitivity by a factor of about 256 more; their
    # quantization errors move the other way, and HAWQ-V2's objective, hence its choice, is the same.
    scaled = build_model("mlp", data.spec, {"width": 8, "depth": 2}, seed=0)
    with torch.no_grad():
        scaled.blocks[0].linear.weight.mul_(0.25)
        scaled.blocks[0].linear.bias.mul_(0.25)
        scaled.blocks[1].linear.weight.mul_(4.0)
        assert torch.allclose(scaled(x), model(x), atol=1e-5)
    sens2 = trace_sensitivity(scaled, data, examples=64, samples=400, seed=0)
    ratio = lambda s: s["blocks.0.linear.weight"] / s["blocks.1.linear.weight"]  # noqa: E731
    # (exactly in expectation; Hutchinson's cross-block terms add noise to each estimate)
    assert ratio(sens2) == pytest.approx(256 * ratio(sens), rel=0.25)
    pert2 = quantization_perturbation(scaled, bits)
    assert allocate_bits_v2(sens2, pert2, sizes, 3.0, bits) == alloc
    # the top-eigenvalue ranking of HAWQ-V1 is not invariant: it follows the rescaling
    v1 = layer_sensitivity(scaled, data, examples=64, iters=50)
    assert v1["blocks.0.linear.weight"] > v1["blocks.1.linear.weight"]


def test_the_quantizer_selects_bits_by_hawq_v2_by_default_and_v1_on_request():
    from neuralab.compress.quantize.hawq import quantization_perturbation, trace_sensitivity

    data = load_dataset("mnist1d", num_samples=200)
    model = build_model("mlp", data.spec, {"width": 4, "depth": 1}, seed=0)
    sizes = {"blocks.0.linear.weight": 160, "head.weight": 40}
    _, v2 = hawq(model, data, 3.0, candidates=(2, 3, 4), examples=64, iters=10)
    sens = trace_sensitivity(model, data, examples=64, samples=10)
    assert v2 == allocate_bits_v2(sens, quantization_perturbation(model, (2, 3, 4)), sizes, 3.0,
                                  (2, 3, 4))
    _, v1 = hawq(model, data, 3.0, candidates=(2, 3, 4), examples=64, iters=20, selection="v1")
    assert v1 == allocate_bits(layer_sensitivity(model, data, examples=64, iters=20), sizes, 3.0,
                               (2, 3, 4))
    with pytest.raises(ValueError, match="selection"):
        hawq(model, data, 3.0, selection="v3")
