"""The command line loses and misplaces nothing: empty or ambiguous ids, --resume '', a damaged
index and `runs repair`, diverged sweeps, report destinations, sweep members' weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from neuralab.config import build_config
from neuralab.engine.sweep import expand
from neuralab.engine.sweep_store import run_sweep
from neuralab.engine.trainer import train
from neuralab.store import RunStore

from conftest import cli_env, run_cli

BASE = {"data": {"name": "xor_clusters", "n_train": 128, "n_test": 64},
        "model": {"name": "mlp", "width": 8}, "optim": {"name": "sgd", "lr": 0.1},
        "train": {"steps": 12, "batch_size": 16, "eval_every": 6, "eval_train_examples": 32}}


def _one_error_line(out, *needles):
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def _listed(runs):
    return json.loads(run_cli("runs", "list", "--json", "--runs-dir", runs).stdout)


def _ids(runs):
    return [r["id"] for r in _listed(runs)]


def test_runs_rm_and_show_refuse_an_empty_id(tmp_path):
    runs = str(tmp_path / "runs")
    only = RunStore(runs).create({}, name="only")
    _one_error_line(run_cli("runs", "rm", "", "--runs-dir", runs), "must be non-empty")
    _one_error_line(run_cli("runs", "show", "", "--runs-dir", runs), "must be non-empty")
    assert _ids(runs) == [only.id] and only.path.is_dir()


def test_runs_rm_of_several_runs_needs_yes(tmp_path):
    runs = str(tmp_path / "runs")
    store = RunStore(runs)
    a, b = store.create({}, name="a"), store.create({}, name="b")
    prefix = os.path.commonprefix([a.id, b.id])
    _one_error_line(run_cli("runs", "rm", prefix, "--runs-dir", runs), "matches 2 runs", "--yes")
    _one_error_line(run_cli("runs", "rm", a.id, b.id, "--runs-dir", runs), "2 runs", "--yes")
    assert _ids(runs) == [a.id, b.id]
    out = run_cli("runs", "rm", prefix, "--yes", "--runs-dir", runs)
    assert out.returncode == 0 and out.stdout.split() == ["removed", a.id, "removed", b.id]
    assert _ids(runs) == [] and not a.path.exists() and not b.path.exists()


def test_train_resume_of_an_empty_id_is_refused(tmp_path):
    runs = tmp_path / "runs"
    out = run_cli("train", "--resume", "", "--steps", "5", "--data", "xor_clusters",
                  "--runs-dir", str(runs), cwd=tmp_path)
    _one_error_line(out, "must be non-empty")
    assert not (runs / "runs").exists() or not any((runs / "runs").iterdir())


def test_two_resumes_of_one_run_at_once_train_it_once(tmp_path):
    runs = tmp_path / "runs"

    def stop(trainer, step):
        if step == 100:
            raise KeyboardInterrupt

    overrides = ["data.name=xor_clusters", "model.width=8", "train.steps=3000",
                 "train.eval_every=100", "train.checkpoint_every=50"]  # saved at 50
    with pytest.raises(KeyboardInterrupt):
        train(build_config(overrides=overrides), store=RunStore(runs), progress="none",
              callbacks=[stop])
    run = RunStore(runs).list()[0]
    procs = [subprocess.Popen([sys.executable, "-m", "neuralab", "train", "--resume", run.id,
                               "--runs-dir", str(runs), "--progress", "none"], env=cli_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [(p.wait(300), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in outs) == [0, 2], outs
    refused = next(err for code, err in outs if code == 2).strip().splitlines()
    assert len(refused) == 1 and ("is in use by process" in refused[0]
                                  or "already completed" in refused[0]), refused
    rows = [json.loads(line) for line in run.records_path.read_text().splitlines()]
    keys = [(r["step"], r["metric"]) for r in rows]
    assert len(keys) == len(set(keys)) and max(k[0] for k in keys) == 3000


def test_a_damaged_index_says_so_in_one_line_and_runs_repair_rebuilds_it(tmp_path):
    runs = tmp_path / "runs"
    kept = RunStore(runs).create({"seed": 3}, name="kept")
    (runs / "index.sqlite").write_bytes(b"garbage, not a database" * 100)
    for args in (["runs", "list"], ["runs", "show", kept.id], ["runs", "rm", kept.id],
                 ["train", "--data", "xor_clusters", "--steps", "5"]):
        _one_error_line(run_cli(*args, "--runs-dir", str(runs)), "is damaged",
                        "`neuralab runs repair`")
    assert [p.name for p in (runs / "runs").iterdir()] == [kept.id]  # train left no orphan
    out = run_cli("runs", "repair", "--runs-dir", str(runs))
    assert out.returncode == 0, out.stderr
    assert "index rebuilt from 1 run directories" in out.stdout
    aside = [p for p in runs.iterdir() if p.name.startswith("index.sqlite.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == b"garbage, not a database" * 100
    assert _ids(str(runs)) == [kept.id]


def test_a_sweep_with_diverged_members_exits_1_with_the_count(tmp_path):
    runs = str(tmp_path / "runs")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text('name = "boom"\n[base]\ndata = { name = "xor_clusters", n_train = 128, '
                     'n_test = 64 }\nmodel = { name = "mlp", width = 8 }\n'
                     'optim = { name = "sgd", lr = 1e6 }\ntrain = { steps = 12, batch_size = 16 }\n'
                     '[grid]\nseed = [0, 1, 2]\n')
    out = run_cli("sweep", str(sweep), "--runs-dir", runs, "--progress", "none", "--json")
    assert out.returncode == 1, out.stderr
    result = json.loads(out.stdout)
    diverged = result["summary"]["diverged"]
    assert diverged >= 1 and diverged + result["summary"]["completed"] == 3
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {diverged} of 3 sweep members diverged"), last
    listed = {r["id"]: r for r in _listed(runs)}
    assert listed[result["sweep"]]["status"] == "diverged"


def test_report_out_refuses_an_empty_path_and_a_foreign_directory(tmp_path):
    runs = str(tmp_path / "runs")
    RunStore(runs).create({})
    before = sorted(p.name for p in tmp_path.iterdir())
    _one_error_line(run_cli("report", "--out", "", "--runs-dir", runs, cwd=tmp_path), "empty")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    _one_error_line(run_cli("report", "--out", str(tmp_path / "notes"), "--runs-dir", runs),
                    "non-empty directory", "--force")
    (tmp_path / "file").write_text("x")
    _one_error_line(run_cli("report", "--out", str(tmp_path / "file" / "site"), "--runs-dir", runs),
                    "which is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["file", "notes"])
    assert os.listdir(tmp_path / "notes") == ["todo.txt"]
    out = run_cli("report", "--out", str(tmp_path / "notes"), "--force", "--runs-dir", runs)
    assert out.returncode == 0 and (tmp_path / "notes" / "index.html").is_file()
    again = run_cli("report", "--out", str(tmp_path / "notes"), "--runs-dir", runs)
    assert again.returncode == 0, again.stderr  # a previous report is rebuilt in place


def test_probe_prune_and_quantize_work_on_a_sweep_member(tmp_path):
    runs = str(tmp_path / "runs")
    result = run_sweep(expand({"base": BASE, "grid": {"seed": [0, 1]}}), RunStore(runs),
                       progress="none")
    member = result.run_ids[0]
    out = run_cli("probe", member, "representation_stats", "--runs-dir", runs, "--json")
    assert out.returncode == 0, out.stderr
    assert {r["run"] for r in json.loads(out.stdout)} == {member}
    for args in (["prune", member, "--sparsity", "0.5"], ["quantize", member, "--method",
                                                           "dynamic_int8"]):
        out = run_cli(*args, "--no-timing", "--runs-dir", runs, "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["parent"] == member
