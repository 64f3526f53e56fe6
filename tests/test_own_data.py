"""Your own data: arrays, tensors and torch Datasets in Python; .npz, .csv and .pt files from the
command line, with one-line errors for bad input and a content hash that ties a run to its data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import neuralab as nl
from neuralab.config import build_config
from neuralab.data.dataset import _build
from neuralab.data.files import sha256_of
from neuralab.engine.sweep import expand
from neuralab.engine.sweep_store import run_sweep
from neuralab.errors import NeuralabError
from neuralab.engine.run_model import load_run_model
from neuralab.store import RunStore

from conftest import run_cli

TRAIN = {"model": {"name": "mlp", "width": 16}, "optim": {"name": "adam", "lr": 1e-2},
         "train": {"steps": 60, "batch_size": 32, "eval_every": 30}}


def _blobs(n=200, seed=0):
    """Two linearly separable classes in 4-D (label = sign of the first two features' sum)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def test_from_arrays_numpy_and_torch_agree_and_split_by_seed():
    x, y = _blobs()
    a = nl.Dataset.from_arrays(x, y, task="classification", seed=3)
    b = nl.Dataset.from_arrays(torch.from_numpy(x), torch.from_numpy(y), seed=3)
    c = nl.Dataset.from_arrays(x, y, seed=4)
    assert a.spec == nl.DataSpec("classification", (4,), 2)
    assert a.x_train.shape == (160, 4) and a.x_test.shape == (40, 4)  # test_fraction 0.2
    assert a.x_train.dtype == torch.float32 and a.y_train.dtype == torch.int64
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_test, c.x_test)  # another seed, another split
    # the split is a partition of the examples
    rows = torch.cat([a.x_train, a.x_test])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, torch.from_numpy(x).tolist()))


def test_from_arrays_with_a_test_set_and_regression_targets():
    x, _ = _blobs()
    target = x[:, :2].sum(1)
    d = nl.Dataset.from_arrays(x[:150], target[:150], x_test=x[150:], y_test=target[150:],
                               task="regression")
    assert d.spec == nl.DataSpec("regression", (4,), 1)
    assert d.y_train.shape == (150, 1) and d.y_test.shape == (50, 1)
    torch.testing.assert_close(d.y_test[:, 0], torch.from_numpy(target[150:]))


@pytest.mark.parametrize("args, kwargs, message", [
    ((np.zeros((5, 2)), np.zeros(4, dtype=int)), {}, "x_train has 5 examples but y_train has 4"),
    ((np.array([[1.0, np.nan], [0, 1]]), np.array([0, 1])), {}, "x_train: 1 non-finite value"),
    ((np.zeros((4, 2)), np.array([0, 1, 2, -1])), {}, "labels must be 0..n_classes-1; found -1"),
    ((np.zeros((4, 2)), np.array([0, 1, 2, 3])), {"n_classes": 3}, "label 3 is out of range"),
    ((np.zeros((4, 2)), np.array([0.5, 1, 0, 1])), {}, "integer class ids"),
    ((np.array([["a", "b"]] * 4), np.array([0, 1, 0, 1])), {}, "is not numeric"),
    ((np.zeros(4), np.array([0, 1, 0, 1])), {}, "no feature axis"),
    ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"x_test": np.zeros((2, 3)),
                                                  "y_test": np.zeros(2, dtype=int)},
     "x_test examples have shape (3,) but x_train examples (2,)"),
    ((np.zeros((4, 2)), np.array([0, 1, 0, 1])), {"x_test": np.zeros((2, 2))}, "give both x_test"),
    ((np.zeros((4, 2)), np.array([0, 1, 0, 1])), {"task": "ranking"}, "task must be one of"),
    ((np.zeros((0, 2)), np.zeros(0)), {}, "x_train: no examples"),
])
def test_bad_arrays_are_one_line_errors(args, kwargs, message):
    with pytest.raises(NeuralabError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        nl.Dataset.from_arrays(*args, **kwargs)
    assert "\n" not in str(info.value)


class _Squares(torch.utils.data.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.tensor([float(i), float(i) ** 2]), i % 3


def test_from_torch_materializes_a_map_style_dataset():
    d = nl.Dataset.from_torch(_Squares(30), _Squares(9))
    assert d.x_train.shape == (30, 2) and d.spec.n_outputs == 3
    assert d.x_train[7].tolist() == [7.0, 49.0] and d.y_train[7] == 1
    assert d.y_test.tolist() == [i % 3 for i in range(9)]
    with pytest.raises(NeuralabError, match=r"would take .* GiB in memory, over max_bytes=100"):
        nl.Dataset.from_torch(_Squares(30), max_bytes=100)
    with pytest.raises(NeuralabError, match="not a map-style dataset"):
        nl.Dataset.from_torch(iter([]))


def test_training_on_arrays_records_a_copy_that_rebuilds_the_run(runs_dir):
    x, y = _blobs()
    data = nl.Dataset.from_arrays(x, y)
    store = RunStore(runs_dir)
    result = nl.train(build_config(TRAIN), data=data, store=store, progress="none")
    assert result.metrics["test_accuracy"] > 0.85  # separable: far above chance (0.5)
    recorded = store.get(result.run_id).config()["data"]
    assert recorded["name"] == "file" and recorded["sha256"] == sha256_of(recorded["path"])
    _, rebuilt, model = load_run_model(store, result.run_id)
    assert torch.equal(rebuilt.x_test, data.x_test) and torch.equal(rebuilt.y_train, data.y_train)
    result.model.eval()
    torch.testing.assert_close(model(data.x_test), result.model(data.x_test), rtol=0, atol=0)


def _write_files(tmp_path):
    x, y = _blobs()
    np.savez(tmp_path / "own.npz", x_train=x[:150], y_train=y[:150], x_test=x[150:], y_test=y[150:])
    torch.save({"x_train": torch.from_numpy(x), "y_train": torch.from_numpy(x[:, :2].sum(1))},
               tmp_path / "own.pt")
    lines = ["f0,f1,note,f2,f3,label"] + [
        f"{a},{b},row{i},{c},{d},{'pos' if t else 'neg'}" for i, ((a, b, c, d), t) in enumerate(zip(x, y))]
    (tmp_path / "own.csv").write_text("\n".join(lines) + "\n")
    return x, y


def test_files_load_with_their_checks(tmp_path):
    x, y = _write_files(tmp_path)
    npz = nl.load_dataset("file", path=str(tmp_path / "own.npz"))
    assert npz.x_test.shape == (50, 4) and torch.equal(npz.y_test, torch.from_numpy(y[150:]))
    pt = nl.load_dataset("file", path=str(tmp_path / "own.pt"))
    assert pt.spec.task == "regression" and pt.x_train.shape == (160, 4)  # float targets; split
    table = nl.load_dataset("file", path=str(tmp_path / "own.csv"), target="label")
    assert table.classes == ("neg", "pos") and table.spec.input_shape == (4,)  # 'note' is dropped
    both = torch.cat([table.x_train, table.x_test])
    assert torch.allclose(both.sum(0), torch.from_numpy(x).sum(0), atol=1e-3)

    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    np.savez(tmp_path / "keys.npz", x=x, y=y)
    torch.save({"x_train": [1, 2]}, tmp_path / "list.pt")
    for params, message in [
        ({"path": str(tmp_path / "own.csv")}, "needs data.target=COLUMN"),
        ({"path": str(tmp_path / "own.csv"), "target": "nope"}, "has no column 'nope'"),
        ({"path": str(tmp_path / "bad.npz")}, "not a readable .npz"),
        ({"path": str(tmp_path / "keys.npz")}, "unknown array(s) x, y; allowed"),
        ({"path": str(tmp_path / "list.pt")}, "expected a dict of tensors"),
        ({"path": str(tmp_path / "missing.npz")}, "not found"),
        ({"path": str(tmp_path / "own.txt")}, "must end in .npz, .csv, .pt"),
        ({"path": str(tmp_path / "own.npz"), "sha256": "0" * 64}, "has changed since it was recorded"),
    ]:
        with pytest.raises(NeuralabError, match=message.replace("(", r"\(").replace(")", r"\)")):
            nl.load_dataset("file", **params)


def test_a_file_run_records_its_hash_and_a_changed_file_is_refused(tmp_path, runs_dir):
    _write_files(tmp_path)
    config = build_config({**TRAIN, "data": {"name": "file", "path": str(tmp_path / "own.npz")}})
    assert config.data.params["sha256"] == sha256_of(tmp_path / "own.npz")
    store = RunStore(runs_dir)
    result = nl.train(config, store=store, progress="none")
    assert result.metrics["test_accuracy"] > 0.85
    x, y = _blobs(seed=1)
    np.savez(tmp_path / "own.npz", x_train=x, y_train=y)  # the file changes under the run
    _build.cache_clear()  # as in a new process (within one, the memo holds the hashed content)
    with pytest.raises(NeuralabError, match="has changed since it was recorded"):
        load_run_model(store, result.run_id)


def test_a_sweep_over_file_data_and_its_members_probe(tmp_path, runs_dir):
    _write_files(tmp_path)
    store = RunStore(runs_dir)
    sweep = expand({"name": "own", "base": {**TRAIN, "data": {"name": "file",
                                                              "path": str(tmp_path / "own.npz")}},
                    "grid": {"seed": [0, 1]}})
    result = run_sweep(sweep, store, progress="none")
    assert [m.status for m in result.members] == ["completed", "completed"]
    for run_id in result.run_ids:
        info, data, model = load_run_model(store, run_id)  # a member's final model.safetensors
        assert info.config()["data"]["sha256"] == sha256_of(tmp_path / "own.npz")
        rows = nl.create("probe", "representation_stats", model, data.x_test)
        assert rows and all(np.isfinite(r["value"]) for r in rows)


def test_cli_trains_on_a_csv_and_explains_a_missing_target(tmp_path):
    _write_files(tmp_path)
    runs = str(tmp_path / "runs")
    out = run_cli("train", "--data", f"file:{tmp_path / 'own.csv'}", "--set", "data.target=label",
                  "--steps", "100", "--lr", "0.01", "--set", "model.width=16", "--runs-dir", runs, "--json",
                  "--progress", "none")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["metrics"]["test_accuracy"] > 0.8
    bad = run_cli("train", "--data", f"file:{tmp_path / 'own.csv'}", "--steps", "5", "--runs-dir", runs)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert bad.stderr.startswith("error: own.csv needs data.target=COLUMN (columns: f0, f1, note")


@pytest.mark.parametrize("source", ["file", "arrays"])
def test_runs_on_your_own_data_probe_prune_and_quantize_from_the_cli(tmp_path, source):
    """Every command rebuilds a run's own data: a file by its recorded path and hash, arrays from
    the copy the store keeps (data/<sha256>.npz)."""
    x, y = _blobs()
    runs = str(tmp_path / "runs")
    if source == "file":
        np.savez(tmp_path / "mine.npz", x_train=x[:150], y_train=y[:150], x_test=x[150:],
                 y_test=y[150:])
        out = run_cli("train", "--data", f"file:{tmp_path / 'mine.npz'}", "--steps", "30",
                      "--runs-dir", runs, "--json", "--progress", "none")
        assert out.returncode == 0, out.stderr
        run = json.loads(out.stdout)["run"]
    else:
        config = build_config(overrides=["model.width=8", "train.steps=30"])
        run = nl.train(config, store=RunStore(runs), progress="none",
                       data=nl.Dataset.from_arrays(x, y, seed=0)).run_id
    for args in (["probe", run, "gradient_norms"],
                 ["prune", run, "--method", "global_magnitude", "--sparsity", "0.5", "--steps", "5"],
                 ["quantize", run, "--method", "fake_per_channel"]):
        done = run_cli(*args, "--runs-dir", runs)
        assert done.returncode == 0, (args, done.stderr)
