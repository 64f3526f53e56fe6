"""Ctrl-C and SIGTERM stop a training run with a checkpoint; --resume continues it bit-exactly;
a run with nothing to resume from is refused; the run index shows a live step count."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from conftest import cli_env, run_cli
from neuralab.config import RunConfig, build_config
from neuralab.engine.checkpoint import latest_checkpoint
from neuralab.engine.trainer import train
from neuralab.interrupts import StopRequests, TrainingInterrupted
from neuralab.store import RunStore

SETTINGS = ["data.name=xor_clusters", "data.n_train=256", "data.n_test=64", "model.width=16",
            "train.steps=3000", "train.eval_every=100", "train.batch_size=16",
            "train.eval_train_examples=32", "optim.name=adam", "optim.lr=0.003",
            "model.dropout=0.1"]
INTERRUPTED = re.compile(r"^interrupted \((SIGINT|SIGTERM)\) at step (\d+): checkpoint saved to "
                         r"(\S+); continue with: neuralab train --resume (\S+)$")


def _train_args(runs):
    return ["train", "--runs-dir", str(runs), "--progress", "lines",
            *[a for s in SETTINGS for a in ("--set", s)]]


def _interrupted_train(runs, signum):
    """Start `neuralab train`, send ``signum`` once it has evaluated twice; (exit code, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "neuralab", *_train_args(runs)],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if sum(" step " in x for x in lines) >= 2:
            proc.send_signal(signum)
            break
    _, rest = proc.communicate(timeout=120)
    return proc.returncode, "".join(lines) + rest


def _final_weights(runs, run_id):
    return load_file(str(latest_checkpoint(RunStore(runs).get(run_id).checkpoints) /
                         "model.safetensors"))


def test_sigint_saves_a_checkpoint_and_the_resumed_run_is_bit_exact(tmp_path):
    runs = tmp_path / "runs"
    code, err = _interrupted_train(runs, signal.SIGINT)
    assert code == 130, err
    last = err.strip().splitlines()[-1]
    m = INTERRUPTED.match(last)
    assert m, last  # one line: where it saved and how to go on
    step, run_id = int(m[2]), m[4]
    assert 200 <= step < 3000
    listed = {r["id"]: r for r in json.loads(run_cli("runs", "list", "--json", "--runs-dir",
                                                     str(runs)).stdout)}
    assert listed[run_id]["status"] == "interrupted" and listed[run_id]["step"] == step
    assert latest_checkpoint(RunStore(runs).get(run_id).checkpoints).name == f"step-{step:08d}"

    resumed = run_cli("train", "--resume", run_id, "--runs-dir", str(runs), "--json",
                      "--progress", "none")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["step"] == 3000
    fresh = run_cli(*_train_args(runs), "--json")
    assert fresh.returncode == 0, fresh.stderr
    a, b = _final_weights(runs, run_id), _final_weights(runs, json.loads(fresh.stdout)["run"])
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_sigterm_stops_with_a_checkpoint_and_exit_143(tmp_path):
    code, err = _interrupted_train(tmp_path / "runs", signal.SIGTERM)
    assert code == 143, err
    m = INTERRUPTED.match(err.strip().splitlines()[-1])
    assert m and m[1] == "SIGTERM"
    assert RunStore(tmp_path / "runs").get(m[4]).status == "interrupted"


def test_resume_refuses_a_run_with_no_checkpoint_and_keeps_its_records(tmp_path):
    store = RunStore(tmp_path / "runs")
    config = build_config(overrides=SETTINGS[:-2] + ["train.steps=300", "train.checkpoint_every=0"])

    def stop(trainer, step):
        if step == 200:
            raise KeyboardInterrupt  # a hard stop: no checkpoint written

    with pytest.raises(KeyboardInterrupt):
        train(config, store=store, progress="none", callbacks=[stop])
    run = store.list()[-1]
    records = run.records_path.read_text()
    out = run_cli("train", "--resume", run.id, "--runs-dir", str(tmp_path / "runs"))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"error: run {run.id} has no checkpoint to resume from (it stopped at step 200, before its "
        "first checkpoint; train.checkpoint_every sets how often one is written); start it again "
        "with the same config")
    assert run.records_path.read_text() == records and store.get(run.id).status == "interrupted"


def test_the_index_shows_the_step_of_a_live_run(tmp_path):
    store = RunStore(tmp_path / "runs")
    seen = []
    config = build_config(overrides=SETTINGS[:-2] + ["train.steps=300", "train.checkpoint_every=0"])
    train(config, store=store, progress="none",
          callbacks=[lambda trainer, step: seen.append(store.get(trainer.run_id).step)])
    assert seen == [0, 100, 200]  # each evaluation sees the step the previous one recorded
    assert store.list()[-1].step == 300


def test_stop_requests_note_a_signal_and_a_second_ctrl_c_stops_at_once():
    before = signal.getsignal(signal.SIGINT)
    with StopRequests() as stop:
        signal.raise_signal(signal.SIGTERM)
        assert stop.signal == signal.SIGTERM  # noted, not raised
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # a second one: out at once
    assert signal.getsignal(signal.SIGINT) is before
    assert TrainingInterrupted(signal.SIGINT, 5, "r1", "/x").exit_code == 130
    assert "nothing saved" in str(TrainingInterrupted(signal.SIGTERM, 5, None, None))


def test_a_recorded_run_checkpoints_every_1000_steps_by_default():
    assert RunConfig().train.checkpoint_every == 1000
