import math

import torch
from smoke_check import smoke

from neuralab.claims.activations.he_init_prelu import ARMS, DEPTH, WIDTH, glorot_gain_one
from neuralab.data.dataset import DataSpec
from neuralab.models.base import build_model


def _net(seed=0):
    return build_model("mlp", DataSpec("classification", (40,), 10),
                       {"depth": DEPTH, "width": WIDTH, "init": "he"}, seed=seed)


def test_xavier_gain_one_halves_the_signal_at_every_relu():
    he, xavier = _net(), _net()
    glorot_gain_one(xavier)
    layer = xavier.blocks[3].linear
    bound = math.sqrt(6 / (WIDTH + WIDTH))  # U(-a, a), a = sqrt(6 / (fan_in + fan_out))
    assert float(layer.weight.detach().abs().max()) <= bound
    assert float(layer.bias.detach().abs().max()) == 0
    assert abs(float(layer.weight.detach().var()) - bound**2 / 3) < 0.1 * bound**2 / 3  # U(-a, a)
    x = torch.randn(512, 40, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ratio = float(xavier.forward_features(x).std() / he.forward_features(x).std())
    # each of 30 ReLU layers keeps half the variance under Xavier, all of it under He
    assert 1e-6 < ratio < 1e-3


def test_smoke():
    smoke("he_init_prelu", {arm: ("train_accuracy", "batch_loss") for arm in ARMS}, parts=2)


def _records(he=0.95, xavier=0.1, prelu=0.95, still_fitting=False):
    from neuralab.claims import claim_record

    rows = []
    for seed in range(5):
        jitter = 0.01 * (seed - 2)
        for arm, final in (("relu/he", he), ("relu/xavier", xavier), ("prelu/he", prelu)):
            for step in range(100, 1001, 100):
                value = final + jitter - (0.5 * (1 - step / 1000) if still_fitting else 0.0)
                rows.append(claim_record(arm, seed, "train_accuracy", value, step=step))
    return rows


def test_check_and_precondition_on_known_records():
    from neuralab.claims import get_claim

    claim = get_claim("he_init_prelu")
    assert claim.check(_records()).verdict == "reproduced"
    assert claim.check(_records(xavier=0.9)).verdict == "not reproduced"  # Xavier trains too
    assert claim.check(_records(prelu=0.8)).verdict == "not reproduced"  # PReLU fits worse
    assert claim.budget_failure(_records()) is None
    assert "still moving" in claim.budget_failure(_records(still_fitting=True))
