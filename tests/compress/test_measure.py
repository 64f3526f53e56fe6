"""The compression report against hand counts."""

import pytest
import torch

from neuralab.compress.measure import as_records, compare, count_flops, measure
from neuralab.data.dataset import load_dataset
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist1d", num_samples=300)


def test_dense_and_pruned_counts(data):
    model = build_model("mlp", data.spec, {"width": 16, "depth": 1}, seed=0)
    with torch.no_grad():  # biases start at zero; make every parameter non-zero
        for p in model.parameters():
            p.add_(p.sign() * 0.1 + (p == 0) * 0.1)
    n_in, h, out = 40, 16, 10
    dense = measure(model, data, timing=False)
    assert dense["params"] == n_in * h + h + h * out + out
    assert dense["flops"] == 2 * (n_in * h + h * out)
    assert dense["bits"] == 32 and dense["nonzeros"] == dense["params"]
    assert dense["packed_bytes"] == dense["params"] * 4
    assert dense["size_bytes"] > dense["params"] * 4  # the safetensors header is on top
    REGISTRY.create("pruner", "layerwise_magnitude", sparsity=0.75).apply(model)
    pruned = measure(model, data, timing=False)
    assert pruned["params"] == dense["params"]
    assert pruned["nonzeros"] == dense["params"] - 0.75 * (n_in * h + h * out)
    assert pruned["sparse_flops"] == pytest.approx(0.25 * dense["flops"])
    weights = n_in * h + h * out
    assert pruned["packed_bytes"] == round(0.25 * weights * 4 + weights / 8 + (h + out) * 4)
    rows = {r[0]: r for r in compare(dense, pruned)}
    assert rows["nonzeros"][3] == pytest.approx(pruned["nonzeros"] / dense["nonzeros"])
    recs = as_records(pruned, "run-1", "after")
    assert {r["metric"] for r in recs} >= {"after_test_accuracy", "after_nonzeros"}


def test_flops_of_a_convolution(data):
    model = build_model("cnn", data.spec, {"channels": 4, "depth": 1, "kernel_size": 3,
                                           "stride": 1}, seed=0)
    total, per_module = count_flops(model, data.x_test[:1])
    # 40 positions x 4 filters x 3 taps, plus the head over 4 x 40 features
    assert per_module["blocks.0.conv"] == 2 * 40 * 4 * 3
    assert total == 2 * 40 * 4 * 3 + 2 * 160 * 10


def test_timing_is_reported(data):
    model = build_model("logistic", data.spec, {}, seed=0)
    out = measure(model, data, batch=32)
    assert out["latency_ms"] > 0 and torch.isfinite(torch.tensor(out["latency_ms"]))
