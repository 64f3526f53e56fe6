import math

import torch
from smoke_check import smoke

from neuralab.claims import claim_record
from neuralab.claims.optimization.gradient_noise import (ARMS, CHANCE_LOSS, ETAS,
                                                         GradientNoiseDeepMlp, arm_configs, capped,
                                                         noise_arm)
from neuralab.data.dataset import load_dataset
from neuralab.engine.stacking import build_member
from neuralab.engine.sweep import split_populations


def test_runs_start_from_the_simple_init_and_train_as_one_population():
    runs = arm_configs(100, 1500, seeds=(0, 1, 2, 3, 4))
    assert [(arm, seed) for arm, seed, _ in runs[:4]] == [(arm, 0) for arm in ARMS]
    configs = [c for _, _, c in runs]
    assert split_populations(configs) == [list(range(20))]  # 4 arms x 5 seeds, one pass
    assert {c.optim.params["eta"] for c in configs} == {0.0, *ETAS}
    cfg = configs[0]
    model = build_member(cfg, load_dataset(cfg.data.name, **cfg.data.params))
    layers = [b.linear for b in model.blocks] + [model.head]
    weights = torch.cat([layer.weight.flatten() for layer in layers])
    assert len(model.blocks) == 20 and abs(float(weights.std()) - 0.1) < 0.002
    assert abs(float(weights.mean())) < 0.002
    assert all(float(layer.bias.abs().sum()) == 0 for layer in layers)


def _records(losses):
    return [claim_record(arm, s, "train_loss", v + 0.01 * s) for arm, v in losses.items()
            for s in range(5)]


def test_check_uses_the_best_noise_scale_and_caps_failures():
    assert capped(float("nan")) == capped(float("inf")) == capped(9.0) == CHANCE_LOSS == math.log(10)
    losses = {"plain": 2.0, noise_arm(0.01): 2.2, noise_arm(0.3): 0.9, noise_arm(1.0): float("nan")}
    claim = GradientNoiseDeepMlp()
    verdict = claim.verdict(_records(losses))
    assert verdict.verdict == "reproduced" and "eta = 0.3" in verdict.notes
    assert abs(verdict.effect - 1.1) < 1e-9 and len(ETAS) == 3 and len(claim.seeds) >= 5


def test_precondition_needs_some_arm_off_the_chance_plateau():
    claim = GradientNoiseDeepMlp()
    stuck = {arm: CHANCE_LOSS for arm in ARMS}
    stuck[noise_arm(1.0)] = float("nan")
    assert "chance plateau" in claim.budget_failure(_records(stuck))
    assert claim.verdict(_records(stuck)).verdict == "inconclusive"
    # plain SGD training and the noise arms stuck is a budget that tests the claim (and fails it)
    plain_trains = {**stuck, "plain": 0.5}
    assert claim.budget_failure(_records(plain_trains)) is None
    assert claim.verdict(_records(plain_trains)).verdict == "not reproduced"
    noise_trains = {**stuck, noise_arm(0.01): 0.5}
    assert claim.budget_failure(_records(noise_trains)) is None
    assert claim.verdict(_records(noise_trains)).verdict == "reproduced"


def test_smoke():
    # large noise may blow the network up: such a run is recorded as diverged (and counts as chance)
    smoke("gradient_noise", {arm: ("train_loss", "train_accuracy") for arm in ARMS}, finite=False)
