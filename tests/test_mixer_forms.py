"""Every registered mixer, through the registry: its forms agree, stepping equals the parallel
forward, it is causal when asked, and it plugs into the transformer testbed."""

from __future__ import annotations

import typing

import pytest
import torch

from neuralab.data.dataset import DataSpec
from neuralab.errors import ConfigError
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY
from neuralab.seed import seeded

MIXERS = REGISTRY.names("mixer")
FORM_OPTIONS = ("form", "scan")


def _mixer(name: str, causal: bool = True, **options):
    with seeded(0):
        return REGISTRY.create("mixer", name, 16, 2, causal, **options)


def _x(T: int = 13) -> torch.Tensor:
    return torch.randn(2, T, 16, generator=torch.Generator().manual_seed(5))


def _form_options() -> list[tuple[str, str, str]]:
    cases = []
    for name in MIXERS:
        entry = REGISTRY.get("mixer", name)
        hints = typing.get_type_hints(entry.factory)
        for option in FORM_OPTIONS:
            if option in entry.hyperparameters:
                cases += [(name, option, value) for value in typing.get_args(hints[option])]
    return cases


FORMS = _form_options()
STEPPERS = [n for n in MIXERS if hasattr(_mixer(n), "step")]


@pytest.mark.parametrize("name, option, value", FORMS, ids=[f"{n}-{o}-{v}" for n, o, v in FORMS])
def test_every_form_gives_the_same_outputs(name, option, value):
    x = _x(21)
    default = _mixer(name)(x)
    torch.testing.assert_close(_mixer(name, **{option: value})(x), default, atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("name", STEPPERS)
def test_stepping_equals_the_causal_parallel_forward(name):
    mixer, x = _mixer(name), _x()
    state = mixer.init_state(x.shape[0], device=x.device, dtype=x.dtype)
    steps = []
    for t in range(x.shape[1]):
        y_t, state = mixer.step(x[:, t], state)
        steps.append(y_t)
    torch.testing.assert_close(torch.stack(steps, 1), mixer(x), atol=2e-5, rtol=1e-4)


def test_the_recurrent_mixers_can_step():
    assert {"lstm", "gru", "min_gru", "min_lstm", "lru", "diagonal_lrnn", "hgrn", "hgrn2", "hawk",
            "rwkv", "gated_linear_rnn", "retnet", "gla", "linear_attention", "aaren", "lssl",
            "s4d", "relu_attention", "rela", "rope_attention", "hopfield",
            "local_attention"} <= set(STEPPERS)


@pytest.mark.parametrize("name", MIXERS)
def test_causal_mixers_do_not_read_the_future(name):
    mixer, x = _mixer(name), _x()
    later = x.clone()
    later[:, 7:] += torch.randn(2, 6, 16)
    with torch.no_grad():
        torch.testing.assert_close(mixer(later)[:, :7], mixer(x)[:, :7])


def test_recurrent_mixers_refuse_a_non_causal_build():
    with pytest.raises(ConfigError, match="causal"):
        REGISTRY.create("mixer", "lru", 16, 2, False)


@pytest.mark.parametrize("name", MIXERS)
def test_every_mixer_plugs_into_the_char_lm_and_a_sequence_classifier(name):
    lm = DataSpec("sequence", (12,), 96, vocab_size=96)
    clf = DataSpec("classification", (12,), 4, vocab_size=10)
    tokens = torch.randint(0, 10, (2, 12), generator=torch.Generator().manual_seed(0))
    for spec, params in ((lm, {}), (clf, {"causal": True, "positions": "none"})):
        model = build_model("transformer", spec, {"mixer": name, "d_model": 16, "n_heads": 2,
                                                  "n_layers": 1, **params})
        out = model(tokens)
        assert out.shape == ((2, 12, 96) if spec is lm else (2, 4))
        out.square().mean().backward()
        assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_mixer_options_reach_the_mixer_and_are_validated():
    spec = DataSpec("sequence", (12,), 4, vocab_size=4)
    model = build_model("transformer", spec, {"mixer": "diagonal_lrnn", "n_layers": 1,
                                              "mixer_options": {"negative_eigenvalues": True}})
    assert model.blocks[0].mixer.negative_eigenvalues
    with pytest.raises(ConfigError, match="negative_eigenvalue: unknown parameter"):
        build_model("transformer", spec, {"mixer": "diagonal_lrnn",
                                          "mixer_options": {"negative_eigenvalue": True}})
    no_pos = build_model("transformer", spec, {"mixer": "lru", "positions": "none"})
    assert no_pos.pos is None and no_pos(torch.zeros(1, 40, dtype=torch.long)).shape == (1, 40, 4)


@pytest.mark.parametrize("name", STEPPERS)
def test_the_char_lm_generates_through_every_stepping_mixer(name):
    spec = DataSpec("sequence", (10,), 12, vocab_size=12)
    positions = "learned" if name in ("softmax_attention",) else "none"
    model = build_model("transformer", spec, {"mixer": name, "d_model": 16, "n_heads": 2,
                                              "n_layers": 2, "positions": positions}).eval()
    tokens = torch.randint(0, 12, (2, 10), generator=torch.Generator().manual_seed(1))
    state = model.init_state(2)
    stepped = []
    for t in range(10):
        logits, state = model.step(tokens[:, t], state)
        stepped.append(logits)
    with torch.no_grad():
        torch.testing.assert_close(torch.stack(stepped, 1), model(tokens), atol=5e-5, rtol=1e-4)
