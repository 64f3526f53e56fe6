"""No command loses or misplaces data: run ids, run locks, a damaged index and its repair,
half-written checkpoints, report destinations, diverged sweeps, thread counts, sweep members'
weights."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from neuralab.compress.runs import prune_run, quantize_run
from neuralab.config import build_config
from neuralab.engine.checkpoint import latest_checkpoint, save_checkpoint
from neuralab.engine.run_model import load_run_model
from neuralab.engine.sweep import expand
from neuralab.engine.sweep_store import run_sweep
from neuralab.engine.trainer import Trainer, resume, train
from neuralab.errors import CheckpointError, NeuralabError
from neuralab.report.site import build_report, check_out
from neuralab.run_lock import RunInUseError, RunLock
from neuralab.store import DamagedIndexError, RunStore, check_run_id

from conftest import cli_env

XOR = ["data.name=xor_clusters", "data.n_train=128", "data.n_test=64", "model.width=8",
       "train.steps=40", "train.eval_every=20", "train.batch_size=16",
       "train.eval_train_examples=32", "optim.lr=0.01"]
BASE = {"data": {"name": "xor_clusters", "n_train": 128, "n_test": 64},
        "model": {"name": "mlp", "width": 8}, "optim": {"name": "sgd", "lr": 0.1},
        "train": {"steps": 12, "batch_size": 16, "eval_every": 6, "eval_train_examples": 32}}

HOLD_LOCK = """
import sys, time
from neuralab.run_lock import RunLock
RunLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def lock_holder():
    """Start a process that holds the lock of a run directory until it is killed."""
    procs = []

    def start(run_dir):
        proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(run_dir)], env=cli_env(),
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def _stopped_run(store, overrides, stop_at):
    """A run stopped (KeyboardInterrupt) at evaluation step ``stop_at``."""
    def stop(trainer, step):
        if step == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(build_config(overrides=overrides), store=store, progress="none", callbacks=[stop])
    return store.list()[-1]


# -- run ids -------------------------------------------------------------------------------------
def test_an_empty_id_prefix_is_refused(runs_dir):
    store = RunStore(runs_dir)
    run = store.create({}, name="only")
    for empty in ("", "  "):
        with pytest.raises(NeuralabError, match="must be non-empty"):
            store.get(empty)
        with pytest.raises(NeuralabError, match="must be non-empty"):
            store.remove(empty)
    assert [r.id for r in store.list()] == [run.id] and run.path.is_dir()


def test_ids_from_the_index_are_checked_before_they_become_paths(tmp_path):
    store = RunStore(tmp_path / "store")
    store.create({}, name="real")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    with sqlite3.connect(store.index_path) as conn:
        conn.execute("INSERT INTO runs (id, kind, status, created, updated) "
                     "VALUES ('../../victim', 'train', 'completed', 0, 0)")
    for call in (lambda: store.remove("../../victim"), lambda: store.get("../"), store.list):
        with pytest.raises(NeuralabError, match="invalid run id '../../victim'.*runs repair"):
            call()
    with pytest.raises(NeuralabError, match="invalid run id"):
        store.update("../../victim", status="failed")
    assert (victim / "precious.txt").read_text() == "keep me"
    assert check_run_id("20240101-120000-mlp-1a2b3c") == "20240101-120000-mlp-1a2b3c"
    for bad in ("", "..", "20240101-120000-../x-1a2b3c", "20240101-120000-mlp-1a2b3c/..", None):
        with pytest.raises(NeuralabError, match="invalid run id"):
            check_run_id(bad)


def test_latest_json_must_point_inside_its_run(tmp_path):
    model = torch.nn.Linear(2, 2)
    ckpt_dir = tmp_path / "run" / "checkpoints"
    save_checkpoint(ckpt_dir, 1, model, {})
    outside = tmp_path / "run" / "step-00000009"  # a real checkpoint, but not in checkpoints/
    save_checkpoint(tmp_path / "run", 9, model, {})
    assert outside.is_dir()
    for path in ("../step-00000009", "/etc", "step-1", ["step-00000001"]):
        (ckpt_dir / "latest.json").write_text(json.dumps({"step": 9, "path": path}))
        with pytest.raises(CheckpointError, match="checkpoint pointer"):
            latest_checkpoint(ckpt_dir)
    (ckpt_dir / "step-00000005").symlink_to(outside, target_is_directory=True)
    (ckpt_dir / "latest.json").write_text(json.dumps({"step": 5, "path": "step-00000005"}))
    with pytest.raises(CheckpointError, match="leads outside its run"):
        latest_checkpoint(ckpt_dir)


# -- one process per run -------------------------------------------------------------------------
def test_resume_of_a_run_held_by_a_live_process_is_refused_and_a_dead_ones_lock_taken_over(
        runs_dir, lock_holder):
    store = RunStore(runs_dir)
    run = _stopped_run(store, XOR + ["train.checkpoint_every=10"], stop_at=20)  # saved at 10
    holder = lock_holder(run.path)
    with pytest.raises(RunInUseError, match=f"run {run.id} is in use by process {holder.pid} on"):
        resume(store, run.id, progress="none")
    assert store.get(run.id).status == "interrupted"  # the refused resume changed nothing
    holder.kill()
    holder.wait()
    assert json.loads((run.path / "run.lock").read_text())["pid"] == holder.pid  # stale
    result = resume(store, run.id, progress="none")
    assert result.status == "completed" and not (run.path / "run.lock").exists()
    lines = (run.path / "records.jsonl").read_text().splitlines()
    keys = [(r["step"], r["metric"]) for r in map(json.loads, lines)]
    assert len(keys) == len(set(keys)) and max(k[0] for k in keys) == 40  # no duplicated rows


def test_a_lock_file_left_by_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / "run.lock").write_text(json.dumps({"pid": 2**22 + 12345, "host": "gone"}))
    with RunLock(tmp_path) as lock:
        assert lock.held
        assert json.loads((tmp_path / "run.lock").read_text())["pid"] == os.getpid()
        with pytest.raises(RunInUseError, match=f"in use by process {os.getpid()}"):
            RunLock(tmp_path).acquire()  # a second holder, even in this process, is refused
    assert not (tmp_path / "run.lock").exists()


def test_rm_of_a_running_run_is_refused_and_a_removed_run_is_never_recreated(runs_dir, lock_holder):
    store = RunStore(runs_dir)
    sweep = store.create({}, kind="sweep")
    member = store.create({}, parent=sweep.id, member=0)
    lonely = store.create({})
    holder = lock_holder(sweep.path)
    for target in (sweep.id, member.id):  # the sweep, or one member of the running sweep
        refusal = f"run {sweep.id} is in use by process {holder.pid}"
        with pytest.raises(RunInUseError, match=refusal):
            store.remove(target)
    assert {r.id for r in store.list()} == {sweep.id, member.id, lonely.id}
    assert member.path.is_dir() and sweep.path.is_dir()
    store.remove(lonely.id)
    with pytest.raises(NeuralabError, match=f"run {lonely.id} was removed"):
        store.update(lonely.id, status="completed", summary={"test_accuracy": 1.0})
    assert not lonely.path.exists()


def test_a_trainer_holds_its_runs_lock_while_it_trains(runs_dir):
    store = RunStore(runs_dir)
    seen = []

    def try_rm(trainer, step):
        with pytest.raises(RunInUseError):
            store.remove(trainer.run.id)
        seen.append(step)

    result = train(build_config(overrides=XOR), store=store, progress="none", callbacks=[try_rm])
    assert seen == [20, 40] and result.status == "completed"
    assert store.get(result.run_id).path.is_dir()
    assert store.remove(result.run_id) == [result.run_id]  # unlocked once it is done


# -- half-written checkpoints ---------------------------------------------------------------------
def _litter(ckpt_dir):
    (ckpt_dir / ".step-00000060.k1ll.tmp").mkdir()
    (ckpt_dir / ".step-00000060.k1ll.tmp" / "model.safetensors").write_bytes(b"x" * 1000)
    (ckpt_dir / ".latest.json.k1ll.tmp").write_text("{")


def _leftovers(ckpt_dir):
    return sorted(p.name for p in ckpt_dir.iterdir() if p.name.startswith("."))


def test_half_written_checkpoints_are_removed_on_pruning_and_on_resume(runs_dir, tmp_path):
    model = torch.nn.Linear(2, 2)
    ckpt_dir = tmp_path / "checkpoints"
    save_checkpoint(ckpt_dir, 1, model, {})
    _litter(ckpt_dir)
    save_checkpoint(ckpt_dir, 2, model, {}, keep=2)
    assert _leftovers(ckpt_dir) == []
    assert sorted(p.name for p in ckpt_dir.iterdir()) == ["latest.json", "step-00000001",
                                                           "step-00000002"]

    store = RunStore(runs_dir)
    run = _stopped_run(store, XOR + ["train.checkpoint_every=20", "train.steps=60"], stop_at=40)
    _litter(run.checkpoints)
    trainer = Trainer(build_config(run.config()), store=store, run=store.get(run.id),
                      progress="none")
    assert trainer.restore() and trainer.step == 20  # stopped before its step-40 checkpoint
    assert _leftovers(run.checkpoints) == []


# -- a damaged index ------------------------------------------------------------------------------
def _damage(index, how):
    if how == "garbage":
        index.write_bytes(os.urandom(4096))
    elif how == "truncated":
        index.write_bytes(index.read_bytes()[:1500])
    elif how == "header":
        data = bytearray(index.read_bytes())
        data[:16] = b"not a database!\0"
        index.write_bytes(bytes(data))
    elif how == "directory":
        index.unlink()
        index.mkdir()
    elif how == "schema":
        index.unlink()
        with sqlite3.connect(index) as conn:
            conn.execute("CREATE TABLE runs (id TEXT PRIMARY KEY)")


@pytest.mark.parametrize("how", ["garbage", "truncated", "header", "directory", "schema"])
def test_a_damaged_index_is_one_error_and_repair_rebuilds_it(runs_dir, how):
    store = RunStore(runs_dir)
    sweep = store.create({"base": {}}, kind="sweep", name="grid")
    member = store.create({"seed": 0}, kind="train", name="mlp", parent=sweep.id, member=0)
    done = store.create({"seed": 1}, kind="train", name="mlp")
    store.update(done.id, status="completed", step=7, summary={"test_accuracy": 0.75})
    store.update(sweep.id, status="diverged", step=1, summary={"diverged": 1})
    before = {r.id: r.to_dict() for r in store.list()}
    for side in ("index.sqlite-wal", "index.sqlite-shm"):
        (runs_dir / side).unlink(missing_ok=True)
    _damage(store.index_path, how)
    original = (store.index_path.read_bytes() if store.index_path.is_file() else None)

    fresh = RunStore(runs_dir)
    for call in (fresh.list, lambda: fresh.get(done.id), lambda: fresh.create({}),
                 lambda: fresh.remove(done.id)):
        with pytest.raises(DamagedIndexError, match="is damaged .*`neuralab runs repair`") as err:
            call()
        assert "\n" not in str(err.value)
    assert sorted(p.name for p in fresh.runs_dir.iterdir()) == sorted(before)  # no orphan run

    ids, kept = RunStore(runs_dir).repair()
    assert sorted(ids) == sorted(before) and kept.name.startswith("index.sqlite.damaged-")
    if original is not None:
        assert kept.read_bytes() == original  # the damaged file is kept aside, unchanged
    after = {r.id: r.to_dict() for r in RunStore(runs_dir).list()}
    for run_id, row in before.items():
        for key in ("name", "kind", "status", "step", "parent", "member", "summary", "created"):
            assert after[run_id][key] == row[key], (run_id, key)


def test_a_corrupt_row_is_a_damaged_index_too(runs_dir):
    store = RunStore(runs_dir)
    run = store.create({}, name="x")
    store.update(run.id, status="completed", summary={"test_accuracy": 0.5})
    with sqlite3.connect(store.index_path) as conn:
        conn.execute("UPDATE runs SET summary = '{not json' WHERE id = ?", (run.id,))
    with pytest.raises(DamagedIndexError, match="corrupt summary.*`neuralab runs repair`"):
        store.list()
    RunStore(runs_dir).repair()
    assert RunStore(runs_dir).get(run.id).summary == {"test_accuracy": 0.5}


def test_repair_reconstructs_runs_that_have_no_run_json(runs_dir):
    store = RunStore(runs_dir)
    result = train(build_config(overrides=XOR + ["train.checkpoint_every=20"]), store=store,
                   progress="none")
    (store.get(result.run_id).path / "run.json").unlink()
    ids, kept = RunStore(runs_dir).repair()
    assert ids == [result.run_id] and kept.name.startswith("index.sqlite.old-")
    run = RunStore(runs_dir).get(result.run_id)
    assert (run.kind, run.status, run.step) == ("train", "completed", 40)
    assert run.summary["test_accuracy"] == result.metrics["test_accuracy"]


# -- report destinations --------------------------------------------------------------------------
def test_report_out_refuses_roots_empty_paths_paths_under_files_and_foreign_directories(tmp_path):
    (tmp_path / "file").write_text("x")
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work")
    for out, message in (("/", "filesystem root"), ("", "empty"), ("  ", "empty"),
                         (tmp_path / "file" / "site", "which is a file"),
                         (tmp_path / "file", "not a directory"),
                         (foreign, "non-empty directory that holds no report")):
        with pytest.raises(NeuralabError, match=message):
            check_out(out)
    assert check_out(foreign, force=True) == foreign
    assert check_out(tmp_path / "new") == tmp_path / "new"
    store = RunStore(tmp_path / "store")
    store.create({})
    build_report(store, tmp_path / "site")
    assert check_out(tmp_path / "site") == tmp_path / "site"  # a previous report is rebuilt
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]


# -- sweeps ---------------------------------------------------------------------------------------
def test_a_sweep_whose_members_diverged_is_marked_diverged(runs_dir):
    store = RunStore(runs_dir)
    spec = {"base": {**BASE, "optim": {"name": "sgd", "lr": 1e6}}, "grid": {"seed": [0, 1]}}
    result = run_sweep(expand(spec), store, progress="none")
    sweep = store.get(result.sweep_id)
    assert sweep.status == "diverged" and sweep.summary["diverged"] == 2
    assert sweep.summary["completed"] == 0
    ok = run_sweep(expand({"base": BASE, "grid": {"seed": [0]}}), store, progress="none")
    assert store.get(ok.sweep_id).status == "completed"


def test_probe_prune_and_quantize_read_a_sweep_members_final_weights(runs_dir):
    store = RunStore(runs_dir)
    result = run_sweep(expand({"base": BASE, "grid": {"seed": [0, 1]}}), store, progress="none")
    member = store.get(result.run_ids[1])
    assert latest_checkpoint(member.checkpoints) is None
    info, _, model = load_run_model(store, member.id)
    saved = load_file(member.path / "model.safetensors")
    assert info.id == member.id
    assert all(torch.equal(v, saved[k]) for k, v in model.state_dict().items())
    pruned = prune_run(store, member.id, method="global_magnitude", sparsity_target=0.5,
                       timing=False)
    assert store.get(pruned.run_id).parent == member.id
    assert pruned.after["nonzeros"] < pruned.before["nonzeros"]
    quantized = quantize_run(store, member.id, method="dynamic_int8", timing=False)
    assert store.get(quantized.run_id).status == "completed"
    sweep = store.get(result.sweep_id)
    with pytest.raises(NeuralabError, match="has no model to probe"):
        load_run_model(store, sweep.id)


# -- thread counts --------------------------------------------------------------------------------
def test_checkpoints_record_the_thread_count_and_a_resume_with_another_warns(runs_dir, capfd):
    store = RunStore(runs_dir)
    run = _stopped_run(store, XOR + ["train.checkpoint_every=20"], stop_at=40)
    from neuralab.engine.checkpoint import load_state

    assert load_state(latest_checkpoint(run.checkpoints))["threads"] == torch.get_num_threads() == 1
    capfd.readouterr()
    torch.set_num_threads(2)
    try:
        resume(store, run.id, progress="none")
    finally:
        torch.set_num_threads(1)
    lines = capfd.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: run {run.id} was checkpointed "
                                                   "with 1 torch threads and resumes with 2")
    same = _stopped_run(store, XOR + ["train.checkpoint_every=20"], stop_at=40)
    capfd.readouterr()
    resume(store, same.id, progress="none")
    assert capfd.readouterr().err == ""
