import math

import pytest
import torch

from neuralab.errors import ConfigError
from neuralab.optim import make_optimizer, make_schedule
from neuralab.registry import REGISTRY


def _torch_factors(make_sched, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = make_sched(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_cosine_matches_torch():
    ours = make_schedule("cosine", 50)
    ref = _torch_factors(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50), 50)
    assert [ours(t) for t in range(50)] == pytest.approx(ref)


def test_step_matches_torch():
    ours = make_schedule("step", 50, {"step_size": 7, "gamma": 0.5})
    ref = _torch_factors(lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5), 50)
    assert [ours(t) for t in range(50)] == pytest.approx(ref)


def test_linear_matches_torch():
    ours = make_schedule("linear", 40, {"end_factor": 0.1})
    ref = _torch_factors(lambda o: torch.optim.lr_scheduler.LinearLR(o, 1.0, 0.1, total_iters=40), 40)
    assert [ours(t) for t in range(40)] == pytest.approx(ref)


def test_warmup_then_cosine():
    s = make_schedule("cosine", 110, {"warmup": 10, "min_factor": 0.1})
    assert [s(t) for t in range(10)] == pytest.approx([(t + 1) / 10 for t in range(10)])
    assert s(10) == pytest.approx(1.0)
    assert s(60) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * 0.5)) / 2)
    assert s(10_000) == pytest.approx(0.1)
    assert make_schedule("constant", 5)(3) == 1.0
    with pytest.raises(ValueError, match="warmup"):
        make_schedule("cosine", 10, {"warmup": 20})


@pytest.mark.parametrize("name, cls", [("sgd", torch.optim.SGD), ("adam", torch.optim.Adam),
                                       ("adamw", torch.optim.AdamW), ("rmsprop", torch.optim.RMSprop),
                                       ("adagrad", torch.optim.Adagrad), ("nadam", torch.optim.NAdam),
                                       ("radam", torch.optim.RAdam)])
def test_optimizers_are_torch_optim(name, cls):
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(5))
    w_ref = torch.nn.Parameter(w.detach().clone())
    ours = make_optimizer(name, [w], {"lr": 0.05})
    ref = cls([w_ref], lr=0.05, **({"weight_decay": 0.01} if name == "adamw" else {}))
    assert isinstance(ours, cls)
    for _ in range(3):
        for p, o in ((w, ours), (w_ref, ref)):
            o.zero_grad()
            (p ** 2).sum().backward()
            o.step()
    torch.testing.assert_close(w, w_ref)


def test_sgd_momentum_rule():
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt = make_optimizer("sgd", [w], {"lr": 0.1, "momentum": 0.9})
    v, x = 0.0, 1.0
    for _ in range(3):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
        v = 0.9 * v + 2 * x
        x = x - 0.1 * v
    assert w.item() == pytest.approx(x)


def test_optimizer_hyperparameters_validated():
    with pytest.raises(ConfigError, match="momentun: unknown parameter"):
        make_optimizer("sgd", [torch.nn.Parameter(torch.zeros(1))], {"momentun": 0.9})
    assert REGISTRY.get("optimizer", "adamw").arxiv == "1711.05101"
