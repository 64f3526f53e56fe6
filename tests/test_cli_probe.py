import json

import pytest

from neuralab.cli import main
from neuralab.config import build_config
from neuralab.engine.trainer import train
from neuralab.store import RunStore


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("probe_runs")


@pytest.fixture(scope="module")
def trained(store_dir):
    store = RunStore(store_dir)
    config = build_config(overrides=["data.name=digits", "model.name=mlp", "model.width=16",
                                     "train.steps=20", "train.eval_every=0", "seed=1"])
    return store, train(config, store=store, progress="none").run_id


def cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    return exit_info.value.code or 0, out.out, out.err


def test_probe_a_run_and_save_its_records(trained, store_dir, capsys):
    store, run = trained
    code, out, _ = cli(capsys, "probe", run[:15], "hessian", "--set", "top_k=2", "--set",
                       "trace_samples=2", "--examples", "64", "--json", "--save",
                       "--runs-dir", str(store_dir))
    rows = json.loads(out)
    assert code == 0 and {r["metric"] for r in rows} >= {"hessian_eig1", "hessian_eig2"}
    assert all(r["run"] == run and r["step"] == 20 for r in rows)
    saved = store.get(run).records_path.read_text().splitlines()
    assert sum('"hessian_eig1"' in line for line in saved) >= 1
    code, out, _ = cli(capsys, "probe", run, "cka", "--with", run, "--runs-dir", str(store_dir))
    assert code == 0 and "block0" in out and "cka" in out


@pytest.mark.parametrize("args, message", [
    (["hesian"], "did you mean 'hessian'"),
    (["hessian", "--set", "top_kk=2"], "top_kk: unknown parameter"),
    (["neuron_matching"], "compares two models; give the second with --with RUN"),
    (["hessian", "--with", "x"], "reads one model; --with is not allowed"),
    (["hessian", "--split", "valid"], "--split must be train or test"),
])
def test_bad_input_is_one_line_and_writes_nothing(trained, store_dir, capsys, args, message):
    store, run = trained
    before = store.get(run).records_path.read_text()
    code, _, err = cli(capsys, "probe", run, *args, "--runs-dir", str(store_dir))
    assert code == 2 and message in err and err.count("\n") == 1
    assert store.get(run).records_path.read_text() == before
    code, _, err = cli(capsys, "probe", "nope", "hessian", "--runs-dir", str(store_dir))
    assert code == 2 and "unknown run 'nope'" in err
