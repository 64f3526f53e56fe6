"""Matryoshka representation learning: the nested loss written out, prefixes that share one
representation, and the method by name."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.data import load_dataset
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY
from neuralab.training.matryoshka import MatryoshkaModel


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist1d", num_samples=300)


def test_each_prefix_reads_the_first_m_coordinates_of_one_representation(data):
    backbone = build_model("mlp", data.spec, {"width": 16, "depth": 1}, seed=0)
    model = MatryoshkaModel(backbone, 16, 10, (4, 8))
    x = data.x_train[:5]
    z = model.project(backbone.forward_features(x))  # (5, 8): the one representation
    with model.prefix(4):
        torch.testing.assert_close(model(x), z[:, :4] @ model.heads["4"].weight.T + model.heads["4"].bias)
    torch.testing.assert_close(model(x), model.heads["8"](z))  # the largest size by default
    with pytest.raises(ValueError, match="nested sizes"):
        with model.prefix(5):
            pass


def test_the_method_minimizes_the_mean_of_the_prefix_losses(data):
    """One step of the method equals one Adam step on mean_m CE(head_m(z[:m]), y)."""
    from neuralab.training.loop import minibatches

    model = build_model("mlp", data.spec, {"width": 16, "depth": 1}, seed=0)
    rows = REGISTRY.create("method", "matryoshka", model, data, dims=(4, 8), steps=1,
                           batch_size=32, seed=3)
    assert {r["layer"] for r in rows if r["metric"] == "test_accuracy"} == {"m4", "m8"}
    assert all(0 <= r["value"] <= 1 for r in rows if r["metric"] == "test_accuracy")
    # the recorded loss of the single step is the nested loss at the initial weights
    from neuralab.seed import derive_seed, seeded
    fresh = build_model("mlp", data.spec, {"width": 16, "depth": 1}, seed=0)
    with seeded(derive_seed(3, "matryoshka")):
        mrl = MatryoshkaModel(fresh, 16, 10, (4, 8))
    x, y = next(minibatches(data, 32, 3))
    z = mrl.project(fresh.forward_features(x))
    expected = (F.cross_entropy(mrl.heads["4"](z[:, :4]), y) + F.cross_entropy(mrl.heads["8"](z), y)) / 2
    (loss,) = [r["value"] for r in rows if r["metric"] == "batch_loss"]
    assert loss == pytest.approx(float(expected.detach()), rel=1e-5)
