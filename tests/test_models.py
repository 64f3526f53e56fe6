import pytest
import torch

from neuralab.data import load_dataset
from neuralab.data.dataset import DataSpec
from neuralab.errors import ConfigError
from neuralab.models import build_model

MNIST1D = DataSpec("classification", (40,), 10)
DIGITS = DataSpec("classification", (1, 8, 8), 10)
CHARS = DataSpec("sequence", (16,), 96, vocab_size=96)


@pytest.mark.parametrize("name, spec, out_shape, feature_shape", [
    ("logistic", MNIST1D, (3, 10), (3, 40)),
    ("mlp", MNIST1D, (3, 10), (3, 128)),
    ("cnn", MNIST1D, (3, 10), (3, 32 * 5)),
    ("cnn", DIGITS, (3, 10), (3, 32 * 1 * 1)),
    ("gru", MNIST1D, (3, 10), (3, 64)),
    ("lstm", CHARS, (3, 16, 96), (3, 16, 64)),
    ("transformer", MNIST1D, (3, 10), (3, 64)),
    ("transformer", CHARS, (3, 16, 96), (3, 16, 64)),
])
def test_shapes_and_forward_is_head_of_features(name, spec, out_shape, feature_shape):
    model = build_model(name, spec, seed=0)
    x = torch.randint(0, 96, (3, 16)) if spec.tokens else torch.randn(3, *spec.input_shape)
    features = model.forward_features(x)
    assert features.shape == feature_shape
    out = model(x)
    assert out.shape == out_shape
    torch.testing.assert_close(out, model.forward_head(features))
    assert model.probe_points(), "every model names probe points"


def test_logistic_regression_is_linear():
    model = build_model("logistic", MNIST1D, seed=0)
    a, b = torch.randn(2, 40), torch.randn(2, 40)
    bias = model(torch.zeros(1, 40))
    torch.testing.assert_close(model(a + b), model(a) + model(b) - bias)


def test_causal_lm_does_not_look_ahead():
    for name in ("transformer", "gru", "lstm"):
        model = build_model(name, CHARS, seed=0).eval()
        x = torch.randint(0, 96, (2, 16))
        y = x.clone()
        y[:, 10:] = torch.randint(0, 96, (2, 6))
        torch.testing.assert_close(model(x)[:, :10], model(y)[:, :10])
        assert not torch.allclose(model(x)[:, 12:], model(y)[:, 12:])


def test_encoder_classifier_sees_every_position():
    model = build_model("transformer", MNIST1D, seed=0).eval()
    x = torch.randn(1, 40)
    y = x.clone()
    y[0, -1] += 1.0
    assert not torch.allclose(model(x), model(y))


def test_choices_by_name_reach_the_modules():
    model = build_model("mlp", MNIST1D, {"activation": "tanh", "norm": "layer", "depth": 3}, seed=0)
    assert isinstance(model.blocks[0].act, torch.nn.Tanh)
    assert isinstance(model.blocks[2].norm, torch.nn.LayerNorm)
    t = build_model("transformer", CHARS, {"norm": "rms", "activation": "silu",
                                           "norm_position": "post"}, seed=0)
    assert isinstance(t.blocks[0].norm1, torch.nn.RMSNorm)
    assert isinstance(t.blocks[0].ffn.act, torch.nn.SiLU)
    c = build_model("cnn", DIGITS, {"norm": "batch", "activation": "gelu"}, seed=0)
    assert isinstance(c.blocks[0].norm, torch.nn.BatchNorm2d)


def test_token_mlp_embeds_tokens():
    data = load_dataset("modular_arithmetic", p=7)
    model = build_model("mlp", data.spec, {"embed_dim": 4}, seed=0)
    assert model(data.x_train[:5]).shape == (5, 7)


def test_bad_model_settings_are_config_errors():
    with pytest.raises(ConfigError, match="mlp maps one input to one output"):
        build_model("mlp", CHARS)
    with pytest.raises(ConfigError, match="divisible"):
        build_model("transformer", MNIST1D, {"d_model": 30, "n_heads": 4})
    with pytest.raises(ConfigError, match="cnn"):
        build_model("cnn", CHARS)
