"""HAWQ: layer sensitivity from the Hessian probe, ranked bit allocation within the budget."""

import pytest
import torch

from neuralab.compress.quantize.fake import bits_by_layer
from neuralab.compress.quantize.hawq import allocate_bits, average_bits, hawq, layer_sensitivity
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
