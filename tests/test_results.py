"""Results out: tidy records as CSV / JSON lines / Parquet / a DataFrame, TensorBoard scalars, and a
run's trained model back as an nn.Module."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest
import torch

import neuralab as nl
from neuralab.config import build_config
from neuralab.engine import tensorboard
from neuralab.engine.metrics import read_records
from neuralab.engine.sweep import expand
from neuralab.engine.sweep_store import run_sweep
from neuralab.errors import NeuralabError
from neuralab.results import RECORD_KEYS, export_records, records_frame, run_records
from neuralab.store import RunStore

from conftest import run_cli

BASE = {"data": {"name": "xor_clusters", "n_train": 128, "n_test": 64},
        "model": {"name": "mlp", "width": 8}, "optim": {"name": "sgd", "lr": 0.1},
        "train": {"steps": 12, "batch_size": 16, "eval_every": 6, "eval_train_examples": 32}}


@pytest.fixture
def trained(runs_dir):
    store = RunStore(runs_dir)
    result = nl.train(build_config(BASE), store=store, progress="none")
    return store, result


def test_records_of_a_run_in_every_format(trained, tmp_path):
    store, result = trained
    rows = run_records(store, [result.run_id[:15]])  # a unique prefix is enough
    assert rows == list(read_records(store.get(result.run_id).records_path))
    assert {r["step"] for r in rows} == {6, 12} and {r["run"] for r in rows} == {result.run_id}

    text = export_records(rows, "csv")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == list(RECORD_KEYS) and len(parsed) == len(rows)
    assert [float(p["value"]) for p in parsed] == [r["value"] for r in rows]
    assert [p["metric"] for p in parsed] == [r["metric"] for r in rows]

    export_records(rows, "jsonl", tmp_path / "r.jsonl")
    assert [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()] == rows

    frame = store.records(result.run_id)
    assert list(frame.columns) == list(RECORD_KEYS) and len(frame) == len(rows)
    final = frame[(frame.step == 12) & (frame.metric == "test_accuracy")]["value"].item()
    assert final == pytest.approx(result.metrics["test_accuracy"])


def test_parquet_round_trip(trained, tmp_path):
    pytest.importorskip("pyarrow", reason="parquet export needs pyarrow (pip install '.[export]')")
    pandas = pytest.importorskip("pandas", reason="pip install '.[export]'")
    store, result = trained
    export_records(run_records(store, [result.run_id]), "parquet", tmp_path / "r.parquet")
    pandas.testing.assert_frame_equal(pandas.read_parquet(tmp_path / "r.parquet"),
                                      store.records(result.run_id))


def test_without_pandas_records_is_a_one_line_error(trained, monkeypatch):
    store, result = trained
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(NeuralabError, match=r"need pandas: pip install 'neuralab\[export\]'"):
        store.records(result.run_id)
    with pytest.raises(NeuralabError, match="pandas"):
        export_records([], "parquet", "x.parquet")
    assert export_records([], "csv").splitlines() == [",".join(RECORD_KEYS)]  # stdlib only


def test_bad_export_requests_are_one_line_errors(trained, tmp_path):
    store, result = trained
    with pytest.raises(NeuralabError, match="unknown export format 'xml'"):
        export_records([], "xml")
    with pytest.raises(NeuralabError, match="binary format"):
        export_records([], "parquet")
    with pytest.raises(NeuralabError, match="unknown run 'nosuch'"):
        run_records(store, [result.run_id, "nosuch"])


def test_load_model_gives_the_trained_module(trained):
    store, result = trained
    model = nl.load_model(result.run_id, store=store)
    assert isinstance(model, torch.nn.Module) and not model.training
    x = nl.load_dataset("xor_clusters", n_train=128, n_test=64).x_test[:5]
    result.model.eval()
    torch.testing.assert_close(model(x), result.model(x), rtol=0, atol=0)


def test_a_sweep_exports_its_members_and_its_members_load(runs_dir):
    store = RunStore(runs_dir)
    sweep = expand({"name": "tiny", "base": BASE, "grid": {"seed": [0, 1]}})
    result = run_sweep(sweep, store, progress="none")
    frame = store.records(result.sweep_id)
    members = [m.id for m in store.list(parent=result.sweep_id)]
    assert sorted(set(frame["run"])) == sorted(members)
    x = nl.load_dataset("xor_clusters", n_train=128, n_test=64).x_test[:7]
    for run_id, member in zip(result.run_ids, result.members):
        torch.testing.assert_close(nl.load_model(run_id, store=store)(x),
                                   member.model().eval()(x), rtol=0, atol=0)


def test_tensorboard_tags():
    assert tensorboard.tag({"metric": "test_loss", "layer": None, "member": 0}) == "test_loss"
    row = {"metric": "cka", "layer": "blocks.0", "member": 3}
    assert tensorboard.tag(row) == "member3/blocks.0/cka"
    assert tensorboard.tag(row, prefix_members=False) == "blocks.0/cka"


def _scalars(directory):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(directory))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_tensorboard_scalars_match_the_records(runs_dir, tmp_path):
    pytest.importorskip("tensorboard", reason="train.tensorboard needs it (pip install '.[tensorboard]')")
    store = RunStore(runs_dir)
    result = nl.train(build_config(BASE, ["train.tensorboard=true"]), store=store, progress="none")
    scalars = _scalars(store.get(result.run_id).path / "tensorboard")
    rows = list(read_records(store.get(result.run_id).records_path))
    assert set(scalars) == {r["metric"] for r in rows}
    assert scalars["test_accuracy"] == [(r["step"], pytest.approx(r["value"])) for r in rows
                                        if r["metric"] == "test_accuracy"]

    sweep = expand({"name": "tb", "base": {**BASE, "train": {**BASE["train"],
                                                             "tensorboard": str(tmp_path / "tb")}},
                    "grid": {"seed": [0, 1]}})
    swept = run_sweep(sweep, store, progress="none")
    for run_id, member in zip(swept.run_ids, swept.members):  # one TensorBoard run per member
        got = _scalars(tmp_path / "tb" / run_id)["test_loss"]
        assert got == [(r["step"], pytest.approx(r["value"])) for r in member.records
                       if r["metric"] == "test_loss"]


def test_tensorboard_without_the_package_fails_before_anything_is_written(runs_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    store = RunStore(runs_dir)
    with pytest.raises(NeuralabError, match=r"pip install 'neuralab\[tensorboard\]'"):
        nl.train(build_config(BASE, ["train.tensorboard=true"]), store=store, progress="none")
    assert store.list() == []


def test_cli_export_and_tensorboard_flag(tmp_path):
    pytest.importorskip("tensorboard", reason="pip install '.[tensorboard]'")
    runs = str(tmp_path / "runs")
    out = run_cli("train", "--data", "xor_clusters", "--steps", "20", "--set", "model.width=8",
                  "--set", "train.eval_every=10", "--tensorboard", str(tmp_path / "tb"),
                  "--runs-dir", runs, "--json", "--progress", "none")
    assert out.returncode == 0, out.stderr
    run_id = json.loads(out.stdout)["run"]
    assert "test_accuracy" in _scalars(tmp_path / "tb" / run_id)
    text = run_cli("runs", "export", run_id, "--format", "jsonl", "--runs-dir", runs).stdout
    rows = [json.loads(line) for line in text.splitlines()]
    assert {r["step"] for r in rows} == {10, 20} and {r["run"] for r in rows} == {run_id}
    bad = run_cli("runs", "export", run_id, "--format", "xml", "--runs-dir", runs)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --format must be one of")
    assert len(bad.stderr.strip().splitlines()) == 1
