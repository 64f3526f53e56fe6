"""Sweeps: grid expansion, the split into populations, the run store, the CLI and Ray."""

from __future__ import annotations

import json
import os

import pytest
import torch
from safetensors.torch import load_file

from neuralab.config import build_config
from neuralab.engine.metrics import read_records
from neuralab.engine.sweep import expand, load_sweep, split_populations, varying_keys
from neuralab.engine.sweep_store import run_sweep
from neuralab.engine.trainer import Trainer
from neuralab.errors import ConfigError, NeuralabError
from neuralab.store import RunStore

from conftest import run_cli

BASE = {"data": {"name": "xor_clusters", "n_train": 128, "n_test": 64},
        "model": {"name": "mlp", "width": 8}, "optim": {"name": "sgd", "lr": 0.1},
        "train": {"steps": 12, "batch_size": 16, "eval_every": 6, "eval_train_examples": 32}}

SWEEP_TOML = """
name = "tiny"
[base]
data = { name = "xor_clusters", n_train = 128, n_test = 64 }
model = { name = "mlp", width = 8 }
optim = { name = "sgd", lr = 0.1 }
train = { steps = 12, batch_size = 16, eval_every = 6, eval_train_examples = 32 }
[grid]
seed = [0, 1]
"model.width" = [4, 8]
[[runs]]
optim = { momentum = 0.0 }
[[runs]]
optim = { momentum = 0.9 }
"""


def test_grid_and_runs_expand_to_their_cross_product(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP_TOML)
    sweep = load_sweep(path, ["train.steps=10"])
    assert sweep.name == "tiny" and len(sweep.configs) == 8
    got = [(c.optim.params["momentum"], c.seed, c.model.params["width"]) for c in sweep.configs]
    assert got == [(m, s, w) for m in (0.0, 0.9) for s in (0, 1) for w in (4, 8)]
    assert all(c.train.steps == 10 for c in sweep.configs)
    assert varying_keys(sweep.configs) == ["model.width", "optim.momentum", "seed"]


def test_bad_sweep_specs_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown key"):
        expand({"base": BASE, "grids": {}})
    with pytest.raises(ConfigError, match="grid.seed must be a non-empty list"):
        expand({"base": BASE, "grid": {"seed": 3}})
    with pytest.raises(ConfigError, match="optim.lrr|lrr"):
        expand({"base": BASE, "grid": {"optim.lrr": [1.0]}})
    with pytest.raises(ConfigError, match="not found"):
        load_sweep(tmp_path / "missing.toml")


def test_configs_split_into_one_population_per_architecture_family():
    def cfg(**model):
        return build_config({**BASE, "model": {"name": "mlp", "width": 8, **model}})

    configs = [cfg(width=4), cfg(width=16), cfg(depth=3), cfg(norm="layer", width=4),
               cfg(norm="layer", width=8), cfg(width=32),
               build_config({**BASE, "model": {"name": "transformer", "d_model": 8, "n_heads": 2}})]
    # MLP widths pack together; a deeper MLP, layer-normed MLPs of other widths (not paddable)
    # and a transformer are populations of their own
    assert split_populations(configs) == [[0, 1, 5], [2], [3], [4], [6]]
    assert split_populations(configs, max_members=2) == [[0, 1], [5], [2], [3], [4], [6]]


def test_a_sweep_records_every_member_under_its_sweep_run(runs_dir):
    store = RunStore(runs_dir)
    sweep = expand({"name": "tiny", "base": BASE, "grid": {"seed": [0, 1], "model.width": [4, 8]}})
    result = run_sweep(sweep, store, progress="none")
    assert result.populations == [[0, 1, 2, 3]]
    sweep_run = store.get(result.sweep_id)
    assert sweep_run.kind == "sweep" and sweep_run.status == "completed"
    assert sweep_run.summary["members"] == 4 and sweep_run.summary["completed"] == 4
    members = store.list(parent=sweep_run.id)
    assert [m.member for m in members] == [0, 1, 2, 3]
    for info, member, cfg in zip(members, result.members, sweep.configs):
        assert info.status == "completed" and info.step == 12
        assert info.config() == cfg.to_dict()
        rows = list(read_records(info.records_path))
        assert {r["run"] for r in rows} == {info.id} and {r["step"] for r in rows} == {6, 12}
        assert info.summary["test_accuracy"] == member.metrics["test_accuracy"]
        weights = load_file(info.path / "model.safetensors")
        single = Trainer(cfg, progress="none").fit().model.state_dict()
        for k, v in single.items():
            torch.testing.assert_close(weights[k], v, atol=1e-5, rtol=1e-4)


def test_an_invalid_sweep_writes_nothing(runs_dir):
    store = RunStore(runs_dir)
    sweep = expand({"base": {**BASE, "schedule": {"name": "cosine", "warmup": 100}},
                    "grid": {"seed": [0, 1]}})
    with pytest.raises(NeuralabError, match="warmup"):
        run_sweep(sweep, store, progress="none")
    assert store.list() == []


def test_sweep_command_prints_members_and_runs_list_shows_them(tmp_path, runs_dir):
    path = tmp_path / "sweep.py"
    path.write_text(f"SWEEP = {{'name': 'py', 'base': {BASE!r}, 'grid': {{'seed': [0, 1, 2]}}}}\n")
    out = run_cli("sweep", str(path), "--runs-dir", str(runs_dir), "--json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert [m["member"] for m in payload["members"]] == [0, 1, 2]
    assert [m["settings"]["seed"] for m in payload["members"]] == [0, 1, 2]
    listing = run_cli("runs", "list", "--runs-dir", str(runs_dir))
    assert listing.returncode == 0
    lines = [line for line in listing.stdout.splitlines() if payload["sweep"] in line]
    assert len(lines) == 4  # the sweep and its three members (parent column)
    header = listing.stdout.splitlines()[0].split()
    assert "parent" in header and "member" in header
    bad = run_cli("sweep", str(tmp_path / "nope.toml"), "--runs-dir", str(tmp_path / "other"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and len(bad.stderr.splitlines()) == 1
    assert not (tmp_path / "other").exists()


def test_ray_executor_trains_populations_as_tasks_and_the_driver_writes_the_store(runs_dir):
    pytest.importorskip("ray", reason="Ray is the optional ray extra (make setup-ray)")
    store = RunStore(runs_dir)
    spec = {"name": "ray", "base": BASE, "grid": {"seed": [0, 1], "model.name": ["mlp", "logistic"]}}
    spec["base"] = {**BASE, "model": {"name": "mlp"}}
    sweep = expand(spec)
    local = run_sweep(sweep, None, progress="none")
    remote = run_sweep(sweep, store, executor="ray", progress="none")
    assert remote.populations == local.populations == [[0, 2], [1, 3]]
    for a, b in zip(local.members, remote.members):
        assert a.status == b.status == "completed"
        for k, v in a.state_dict.items():
            torch.testing.assert_close(b.state_dict[k], v, atol=1e-6, rtol=1e-5)
    runs = store.list()
    assert len(runs) == 5 and all(r.pid == os.getpid() for r in runs)  # only the driver wrote
