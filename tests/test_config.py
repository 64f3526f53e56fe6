import pytest

from neuralab.config import RunConfig, apply_overrides, build_config, load_config, parse_value
from neuralab.errors import ConfigError


def test_defaults_are_resolved_with_every_hyperparameter():
    cfg = load_config()
    assert cfg.model.name == "mlp" and cfg.model.params["width"] == 128
    assert cfg.optim.params["lr"] == 1e-3
    assert cfg.data.params["seed"] == 42


def test_toml_file_and_dotted_overrides(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('seed = 3\n[model]\nname = "cnn"\nchannels = 8\n[train]\nsteps = 50\n')
    cfg = load_config(path, ["model.depth=2", "optim.lr=3e-3", "optim.betas=[0.8, 0.9]"])
    assert cfg.seed == 3 and cfg.train.steps == 50
    assert cfg.model.name == "cnn" and cfg.model.params["channels"] == 8
    assert cfg.model.params["depth"] == 2
    assert cfg.optim.params["lr"] == pytest.approx(3e-3)
    assert tuple(cfg.optim.params["betas"]) == (0.8, 0.9)


def test_config_is_frozen():
    cfg = load_config()
    with pytest.raises(Exception):
        cfg.seed = 5  # type: ignore[misc]


def test_parse_value():
    assert parse_value("64") == 64 and parse_value("1e-3") == 1e-3
    assert parse_value("true") is True and parse_value("[1, 2]") == [1, 2]
    assert parse_value("gelu") == "gelu" and parse_value('"3"') == "3"


@pytest.mark.parametrize("override, message", [
    ("model.widht=3", "model.widht: unknown parameter; allowed: activation, base_width, bias, depth"),
    ("model.width=abc", "model.width: Input should be a valid integer"),
    ("model.activation=gleu", "did you mean 'gelu'"),
    ("model.name=mpl", "model.name: unknown model 'mpl'; did you mean 'mlp'"),
    ("modle.width=3", "modle: unknown setting; allowed: name, seed, data, model"),
    ("train.steps=0", "train.steps: Input should be greater than or equal to 1 (got 0)"),
    ("train.stepz=5", "train.stepz: unknown setting; allowed: steps, batch_size"),
    ("optim.lr=fast", "optim.lr: Input should be a valid number"),
    ("no-equals-sign", "must look like key.sub=value"),
])
def test_errors_name_the_field_the_value_and_what_is_allowed(override, message):
    with pytest.raises(ConfigError) as err:
        build_config(overrides=[override])
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("override, hint", [
    ("model.widht=3", "; did you mean 'width'"),  # the closest first
    ("train.stpes=5", "; did you mean 'steps'"),
    ("train.batchsize=5", "; did you mean 'batch_size'"),
    ("sed=1", "; did you mean 'seed'"),
])
def test_a_mistyped_setting_names_the_closest_match(override, hint):
    with pytest.raises(ConfigError) as err:
        build_config(overrides=[override])
    assert hint in str(err.value) and "\n" not in str(err.value)


def test_a_mistyped_setting_in_a_toml_file_names_the_closest_match(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[model]\nname = "mlp"\nwidht = 3\n')
    with pytest.raises(ConfigError, match=r"model\.widht: unknown parameter; allowed: .*; "
                                          r"did you mean 'width'"):
        load_config(path)


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:0", "cuda:12", "auto"])
def test_train_device_accepts_cpu_cuda_cuda_n_and_auto(device):
    assert build_config(overrides=[f'train.device="{device}"']).train.device == device


@pytest.mark.parametrize("device", ["gpu", "cuda:", "cuda:-1", "cuda:x", "CPU", "mps"])
def test_train_device_refuses_other_names_saying_what_is_allowed(device):
    with pytest.raises(ConfigError) as err:
        build_config(overrides=[f'train.device="{device}"'])
    assert str(err.value) == (f"train.device: unknown device; allowed: cpu, cuda, cuda:N "
                              f"(N = 0, 1, ...), auto (cuda when available, else cpu) "
                              f"(got {device!r})")


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_resolved_config_round_trips_through_json():
    cfg = load_config(overrides=["model.name=transformer", "data.name=stdlib_chars",
                                 "data.max_chars=20000"])
    again = build_config(cfg.to_dict())
    assert again == cfg
    assert isinstance(RunConfig.model_validate(cfg.to_dict()), RunConfig)


def test_apply_overrides_copies():
    raw = {"model": {"name": "mlp"}}
    out = apply_overrides(raw, ["model.width=3"])
    assert raw == {"model": {"name": "mlp"}} and out["model"]["width"] == 3
