"""EL2N and GraNd scores against their definitions; subset selection."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.compress.data_pruning import el2n, grand, score_examples, select
from neuralab.data.dataset import load_dataset
from neuralab.engine.metrics import loss_fn
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist1d", num_samples=300)


def test_el2n_is_the_error_norm(data):
    model = build_model("mlp", data.spec, {"width": 8}, seed=0)
    x, y = data.x_train[:5], data.y_train[:5]
    p = F.softmax(model(x), -1)
    expected = torch.stack([(p[i] - F.one_hot(y[i], 10)).norm() for i in range(5)])
    torch.testing.assert_close(el2n(model, x, y, data.spec), expected.detach())


def test_grand_is_the_per_example_gradient_norm(data):
    model = build_model("mlp", data.spec, {"width": 8}, seed=0)
    x, y = data.x_train[:4], data.y_train[:4]
    got = grand(model, x, y, data.spec, batch=3)
    for i in range(4):
        model.zero_grad()
        loss_fn(data.spec, model(x[i:i + 1]), y[i:i + 1]).backward()
        norm = torch.sqrt(sum(p.grad.square().sum() for p in model.parameters()))
        assert float(got[i]) == pytest.approx(float(norm), rel=1e-4)


def test_scores_average_over_seeds_and_select(data):
    scores = score_examples(data, model_params={"width": 8}, seeds=(0, 1), steps=3, lr=1e-2)
    assert scores.shape == (data.x_train.shape[0],) and torch.isfinite(scores).all()
    hard, easy = select(scores, 0.5, keep="hard"), select(scores, 0.5, keep="easy")
    assert hard.numel() == easy.numel() == 120
    assert scores[hard].min() >= scores[easy].max()
    rnd = select(scores, 0.5, keep="random", seed=1)
    assert torch.equal(rnd, select(scores, 0.5, keep="random", seed=1)) and rnd.unique().numel() == 120
    with pytest.raises(NeuralabError, match="keep_fraction"):
        select(scores, 0.0)
