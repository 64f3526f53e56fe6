"""EL2N and GraNd scores against their definitions; subset selection."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.compress.data_pruning import el2n, grand, score_examples, select
from neuralab.config import build_config
from neuralab.data.dataset import load_dataset
from neuralab.engine.trainer import train
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


def test_scores_average_over_a_population_and_select(data):
    configs = [build_config({"seed": s, "data": {"name": "mnist1d", "num_samples": 300},
                             "model": {"name": "mlp", "width": 8}, "optim": {"name": "adam", "lr": 1e-2},
                             "train": {"steps": 3, "eval_every": 0, "eval_train_examples": 0}})
               for s in (0, 1)]
    scores = score_examples(configs)
    assert scores.shape == (data.x_train.shape[0],) and torch.isfinite(scores).all()
    members = [train(c, progress="none").model for c in configs]  # the single-model runs
    expected = sum(el2n(m, data.x_train, data.y_train, data.spec) for m in members) / 2
    torch.testing.assert_close(scores, expected, atol=1e-4, rtol=1e-4)
    hard, easy = select(scores, 0.5, keep="hard"), select(scores, 0.5, keep="easy")
    assert hard.numel() == easy.numel() == 120
    assert scores[hard].min() >= scores[easy].max()
    rnd = select(scores, 0.5, keep="random", seed=1)
    assert torch.equal(rnd, select(scores, 0.5, keep="random", seed=1)) and rnd.unique().numel() == 120
    with pytest.raises(NeuralabError, match="keep_fraction"):
        select(scores, 0.0)
