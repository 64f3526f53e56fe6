"""--device on train, sweep, claims run and demo; train.device as the trainer and claims see it."""

from __future__ import annotations

import json

import pytest
import torch

from neuralab.claims.runner import cpu_only_note, device_for, get_claim, run_claim, run_claims
from neuralab.claims.training import claim_device, on_claim_device
from neuralab.cli import main
from neuralab.config import build_config
from neuralab.devices import device_name, resolve_device
from neuralab.errors import NeuralabError
from neuralab.store import RunStore

cpu_only = pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``neuralab ARGS`` in this process: (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


@cpu_only
def test_auto_resolves_to_the_cpu_on_a_machine_without_cuda():
    assert resolve_device("auto") == torch.device("cpu")
    assert device_name("auto") == "cpu" and device_name("cpu") == "cpu"


@cpu_only
@pytest.mark.parametrize("name, message", [
    ("cuda", "--device 'cuda': no CUDA device is available on this machine; allowed here: cpu, auto"),
    ("cuda:1", "--device 'cuda:1': no CUDA device is available on this machine; allowed here: "
               "cpu, auto"),
    ("gpu", "--device 'gpu' is not a device; allowed: cpu, cuda, cuda:N (N = 0, 1, ...), auto "
            "(cuda when available, else cpu)"),
])
def test_a_device_this_machine_lacks_is_one_line_naming_what_is_allowed(name, message):
    with pytest.raises(NeuralabError) as err:
        resolve_device(name, "--device")
    assert str(err.value) == message


@cpu_only
@pytest.mark.parametrize("command", [
    ["train", "--data", "xor_clusters", "--steps", "5"],
    ["sweep", "configs/sweep_mlp.toml"],
    ["claims", "run", "expected_length", "--budget", "smoke"],
    ["demo", "expected_length", "--budget", "smoke"],
])
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "tpu"])
def test_every_command_refuses_a_device_it_cannot_use_with_one_line_and_exit_2(
        capsys, tmp_path, command, device):
    runs = tmp_path / "runs"
    extra = ["--out", str(tmp_path / "report")] if command[0] == "demo" else []
    code, out, err = cli(capsys, *command, "--device", device, "--runs-dir", str(runs), *extra)
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"error: --device {device!r}") and "allowed" in line
    assert not runs.exists() and not (tmp_path / "report").exists()


@cpu_only
def test_train_device_auto_in_a_config_is_recorded_as_the_device_it_resolved_to(capsys, tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[data]\nname = "xor_clusters"\n[model]\nname = "mlp"\nwidth = 4\n'
                    '[train]\nsteps = 3\ndevice = "auto"\n')
    runs = str(tmp_path / "runs")
    code, out, err = cli(capsys, "train", "--config", str(path), "--runs-dir", runs,
                         "--progress", "none", "--json")
    assert code == 0, err
    assert RunStore(runs).get(json.loads(out)["run"]).config()["train"]["device"] == "cpu"


def test_on_device_checks_the_name():
    assert build_config().on_device("cuda:2").train.device == "cuda:2"
    with pytest.raises(ValueError, match="unknown device"):
        build_config().on_device("gpu")


@cpu_only
def test_a_config_asking_for_cuda_is_refused_before_a_run_is_recorded(capsys, tmp_path):
    runs = tmp_path / "runs"
    code, _, err = cli(capsys, "train", "--set", 'train.device="cuda"', "--runs-dir", str(runs))
    assert code == 2 and err.startswith("error: train.device 'cuda': no CUDA device")
    assert not runs.exists()


@cpu_only
def test_train_records_the_resolved_device_in_the_run_config(capsys, tmp_path):
    runs = str(tmp_path / "runs")
    code, out, err = cli(capsys, "train", "--data", "xor_clusters", "--steps", "5",
                         "--set", "model.width=4", "--device", "auto", "--runs-dir", runs,
                         "--progress", "none", "--json")
    assert code == 0, err
    run_id = json.loads(out)["run"]
    assert RunStore(runs).get(run_id).config()["train"]["device"] == "cpu"
    code, out, _ = cli(capsys, "runs", "list", "--json", "--runs-dir", runs)
    [row] = json.loads(out)
    assert row["id"] == run_id and row["config"]["train"]["device"] == "cpu"
    assert row["config"]["model"] == {**row["config"]["model"], "name": "mlp", "width": 4}


def test_sweep_members_train_on_the_given_device(capsys, tmp_path):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text('[base]\nmodel = { name = "mlp", width = 4 }\ndata = { name = "xor_clusters" }\n'
                     'train = { steps = 3, eval_every = 0 }\n[grid]\nseed = [0, 1]\n')
    runs = str(tmp_path / "runs")
    code, out, err = cli(capsys, "sweep", str(sweep), "--device", "cpu", "--runs-dir", runs,
                         "--progress", "none", "--json")
    assert code == 0, err
    members = [RunStore(runs).get(m["run"]) for m in json.loads(out)["members"]]
    assert [m.config()["train"]["device"] for m in members] == ["cpu", "cpu"]
    if not torch.cuda.is_available():  # auto in the file: recorded as the CPU here
        sweep.write_text(sweep.read_text().replace("eval_every = 0", 'eval_every = 0, device = "auto"'))
        code, out, err = cli(capsys, "sweep", str(sweep), "--runs-dir", runs, "--progress", "none",
                             "--json")
        assert code == 0, err
        members = [RunStore(runs).get(m["run"]) for m in json.loads(out)["members"]]
        assert [m.config()["train"]["device"] for m in members] == ["cpu", "cpu"]


def test_claim_runs_use_the_claim_device_and_cpu_outside_it():
    config = build_config()
    assert on_claim_device(config).train.device == "cpu"
    with claim_device("cuda:1"):
        assert on_claim_device(config).train.device == "cuda:1"
    assert on_claim_device(config).train.device == "cpu"


def test_train_arm_hands_the_claim_device_to_the_trainer(monkeypatch):
    import neuralab.claims.training as training

    seen = []

    class Stop(Exception):
        pass

    def trainer(cfg, **kwargs):
        seen.append(cfg.train.device)
        raise Stop

    monkeypatch.setattr(training, "Trainer", trainer)
    with claim_device("cuda"), pytest.raises(Stop):
        training.train_arm("arm", 0, overrides=["train.steps=1"])
    assert seen == ["cuda"]


def test_a_claim_that_cannot_use_a_device_says_so_and_trains_on_the_cpu():
    on_device, on_cpu = get_claim("mnist1d_baselines"), get_claim("expected_length")
    assert on_device.trains_on_device and not on_cpu.trains_on_device
    assert device_for(on_device, "cuda") == "cuda" and device_for(on_cpu, "cuda") == "cpu"
    assert cpu_only_note(on_device, "cuda") is None and cpu_only_note(on_cpu, "cpu") is None
    assert cpu_only_note(on_cpu, "cuda:1") == (
        "trains on the CPU: it builds models outside the trainer and the population engine, so "
        "--device cuda:1 does not apply to it")


@cpu_only
def test_claims_refuse_a_device_this_machine_lacks_and_record_the_one_used(runs_dir):
    store = RunStore(runs_dir)
    with pytest.raises(NeuralabError, match="no CUDA device"):
        run_claims(["expected_length"], "smoke", store=store, device="cuda")
    assert not store.list()
    result = run_claim("expected_length", "smoke", store=store, device="auto")
    info = store.get(result.run_id)
    assert info.config()["device"] == "cpu" and info.summary["environment"]["device"] == "cpu"


def test_info_shows_positional_arguments_and_allowed_values(capsys):
    code, out, _ = cli(capsys, "info", "mixer", "retnet")
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    args = lines.index("positional arguments (in this order):")
    assert lines[args + 1:args + 4] == ["d_model: int (required)", "n_heads: int (required)",
                                        "causal: bool (required)"]
    assert "usage: neuralab.create('mixer', 'retnet', d_model, n_heads, causal, " \
           "**hyper_parameters)" in lines
    assert ("form: Form = 'chunkwise'  allowed: one of 'chunkwise', 'recurrent', 'parallel'"
            in lines)
    code, out, _ = cli(capsys, "info", "model", "transformer", "--json")
    info = json.loads(out)
    assert list(info["arguments"]) == ["spec"]
    assert info["hyperparameters"]["dropout"]["allowed"] == ">= 0, < 1"


def test_a_mistyped_setting_on_the_command_line_names_the_closest_match(capsys, tmp_path):
    code, _, err = cli(capsys, "train", "--set", "model.widht=3", "--runs-dir", str(tmp_path))
    [line] = err.splitlines()
    assert code == 2 and line.startswith("error: model.widht: unknown parameter; allowed: ")
    assert line.endswith("; did you mean 'width', 'base_width'?")


def test_quantize_help_shows_a_quantizer_parameter_and_prune_help_a_pruner_one(capsys):
    import re

    code, out, _ = cli(capsys, "quantize", "--help")
    text = re.sub(r"[\s│]+", " ", out)
    assert code == 0 and "--set avg_bits=3 (with --method hawq)" in text
    assert "min_keep" not in text and "neuralab info quantizer METHOD" in text
    code, out, _ = cli(capsys, "prune", "--help")
    text = re.sub(r"[\s│]+", " ", out)
    assert code == 0 and "--set min_keep=10" in text and "neuralab info pruner METHOD" in text


def test_runs_list_json_has_each_runs_config_even_when_one_is_damaged(capsys, tmp_path):
    store = RunStore(tmp_path / "runs")
    good = store.create({"seed": 3, "model": {"name": "mlp"}}, kind="train", name="good")
    bad = store.create({"seed": 4}, kind="train", name="bad")
    (bad.path / "config.json").write_text("{not json")
    code, out, _ = cli(capsys, "runs", "list", "--json", "--runs-dir", str(store.root))
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and rows[good.id]["config"] == {"seed": 3, "model": {"name": "mlp"}}
    assert rows[bad.id]["config"] is None


def test_claims_show_says_whether_a_claim_trains_on_the_asked_device(capsys, tmp_path):
    runs = str(tmp_path / "runs")
    _, out, _ = cli(capsys, "claims", "show", "mnist1d_baselines", "--runs-dir", runs)
    assert "  device: trains on --device" in out.splitlines()
    _, out, _ = cli(capsys, "claims", "show", "expected_length", "--runs-dir", runs)
    assert "  device: the CPU only (it builds models outside the trainer)" in out.splitlines()


def test_a_ray_task_asks_for_a_gpu_only_when_it_trains_on_cuda():
    from neuralab.engine.sweep import _gpus

    assert (_gpus("cpu"), _gpus("cuda"), _gpus("cuda:1")) == (0, 1, 1)
