import multiprocessing as mp
import os
import sqlite3

import pytest

from neuralab.errors import NeuralabError, UnknownNameError
from neuralab.store import RunStore


def test_round_trip(runs_dir):
    store = RunStore(runs_dir)
    assert store.list() == [] and not runs_dir.exists()  # reading creates nothing
    run = store.create({"seed": 1}, kind="train", name="mlp")
    assert run.status == "running" and run.config() == {"seed": 1}
    store.update(run.id, status="completed", step=10, summary={"test_accuracy": 0.5})
    got = store.get(run.id)
    assert got.status == "completed" and got.step == 10 and got.summary == {"test_accuracy": 0.5}
    assert (got.path / "summary.json").exists()
    assert store.get(run.id[:20]).id == run.id  # unique prefix
    with pytest.raises(UnknownNameError, match="unknown run 'nope'"):
        store.get("nope")
    with pytest.raises(ValueError, match="status must be one of"):
        store.update(run.id, status="weird")


def test_members_and_removal(runs_dir):
    store = RunStore(runs_dir)
    parent = store.create({}, kind="sweep", name="grid")
    members = [store.create({"i": i}, kind="train", parent=parent.id, member=i) for i in range(3)]
    other = store.create({}, kind="train")
    assert [m.id for m in store.list(parent=parent.id)] == [m.id for m in members]
    assert {r.id for r in store.list(include_members=False)} == {parent.id, other.id}
    assert [r.id for r in store.list(kind="sweep")] == [parent.id]
    removed = store.remove(parent.id)
    assert set(removed) == {parent.id, *(m.id for m in members)}
    assert [r.id for r in store.list()] == [other.id]
    assert not (store.runs_dir / parent.id).exists()


def test_ambiguous_prefix(runs_dir):
    store = RunStore(runs_dir)
    store.create({}, name="a")
    store.create({}, name="b")
    with pytest.raises(NeuralabError, match="ambiguous"):
        store.get("2")


def test_dead_running_run_is_reported_interrupted(runs_dir):
    store = RunStore(runs_dir)
    run = store.create({})
    with sqlite3.connect(runs_dir / "index.sqlite") as conn:
        conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (2**22 + 12345, run.id))
    assert store.get(run.id).status == "interrupted"


def test_wal_mode_and_parameterized_names(runs_dir):
    store = RunStore(runs_dir)
    run = store.create({}, name="x'); DROP TABLE runs; --")
    assert store.get(run.id).name == "x'); DROP TABLE runs; --"
    with sqlite3.connect(runs_dir / "index.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _writer(root, n):
    store = RunStore(root)
    for i in range(n):
        run = store.create({"i": i}, name=f"p{os.getpid()}")
        store.update(run.id, status="completed", step=i)


def test_concurrent_writers(runs_dir):
    RunStore(runs_dir).list()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(runs_dir), 15)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    runs = RunStore(runs_dir).list()
    assert len(runs) == 45 and all(r.status == "completed" for r in runs)
