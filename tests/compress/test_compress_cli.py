"""``neuralab prune`` / ``neuralab quantize``: new runs with parent links, tables, one-line errors."""

import json

import pytest

from neuralab.cli import main
from neuralab.compress.runs import load_run
from neuralab.engine.metrics import read_records
from neuralab.store import RunStore


def _cli(capsys, *args):
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    runs = tmp_path_factory.mktemp("compress") / "runs"
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", "mnist1d", "--model", "mlp", "--set", "model.width=16",
              "--set", "data.num_samples=400", "--steps", "30", "--progress", "none",
              "--runs-dir", str(runs)])
    assert exit_info.value.code in (0, None)
    return runs, RunStore(runs).list()[0].id


def test_prune_creates_a_child_run_and_prints_the_table(capsys, trained):
    runs, parent = trained
    code, out, err = _cli(capsys, "prune", parent, "--method", "global_magnitude", "--sparsity",
                          "0.75", "--steps", "5", "--runs-dir", str(runs), "--no-timing")
    assert code == 0, err
    assert "nonzeros" in out and "after/before" in out
    store = RunStore(runs)
    child = [r for r in store.list(kind="prune") if r.parent == parent][-1]
    assert child.status == "completed" and child.summary["method"] == "global_magnitude"
    assert child.config()["compress"]["sparsity"] == 0.75
    metrics = {r["metric"]: r for r in read_records(child.records_path) if r["layer"] is None}
    assert {"before_nonzeros", "after_nonzeros", "after_test_accuracy"} <= set(metrics)
    sparsity = [r for r in read_records(child.records_path) if r["metric"] == "sparsity"]
    assert any(r["layer"] == "total" and r["value"] == pytest.approx(0.75, abs=1e-3)
               for r in sparsity)
    # the pruned run can itself be loaded (zeros come back as masks) and pruned further
    _, _, _, model = load_run(store, child.id)
    from neuralab.compress.prune import sparsity as sparsity_of
    assert sparsity_of(model)["total"] == pytest.approx(0.75, abs=1e-3)
    code, out, err = _cli(capsys, "prune", child.id, "--method", "lamp", "--sparsity", "0.9",
                          "--schedule", "gradual", "--steps", "10", "--runs-dir", str(runs),
                          "--no-timing", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["parent"] == child.id and result["after"]["nonzeros"] < result["before"]["nonzeros"]


def test_structured_prune_shrinks_the_config(capsys, trained):
    runs, parent = trained
    code, out, err = _cli(capsys, "prune", parent, "--method", "channel_l1", "--sparsity", "0.5",
                          "--runs-dir", str(runs), "--no-timing", "--json")
    assert code == 0, err
    child = RunStore(runs).get(json.loads(out)["run"])
    assert child.config()["model"]["width"] == 8
    _, _, data, model = load_run(RunStore(runs), child.id)
    assert model.blocks[0].linear.weight.shape == (8, 40)


def test_quantize_creates_a_child_run(capsys, trained):
    runs, parent = trained
    code, out, err = _cli(capsys, "quantize", parent, "--method", "static_int8", "--runs-dir",
                          str(runs), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert 8 <= result["after"]["bits"] < 9 and result["after"]["latency_ms"] > 0
    child = RunStore(runs).get(result["run"])
    assert child.kind == "quantize" and (child.path / "quantized.safetensors").exists()
    code, _, err = _cli(capsys, "prune", child.id, "--runs-dir", str(runs))
    assert code == 2 and "is quantized" in err


def test_bad_input_is_one_line_and_writes_nothing(capsys, trained):
    runs, parent = trained
    before = [r.id for r in RunStore(runs).list()]
    cases = [
        (["prune", "nope"], "unknown run 'nope'"),
        (["prune", parent, "--method", "lampp"], "did you mean 'lamp'"),
        (["prune", parent, "--sparsity", "1.5"], "sparsity: Input should be less than or equal to 1 (got 1.5)"),
        (["prune", parent, "--schedule", "sometimes"], "unknown schedule 'sometimes'"),
        (["prune", parent, "--schedule", "gradual"], "give it --steps >= 1"),
        (["prune", parent, "--method", "channel_l1", "--schedule", "gradual", "--steps", "3"],
         "use --schedule oneshot"),
        (["prune", parent, "--method", "ap", "--steps", "3"], "use --schedule iterative"),
        (["prune", parent, "--method", "ap", "--set", "ap_share=2", "--schedule", "iterative",
          "--steps", "3"], "ap_share must be in [0, 1]"),
        (["prune", parent, "--set", "min_keep"], "must look like name=value"),
        (["quantize", parent, "--method", "static_int8", "--bits", "4"],
         "bits: unknown parameter; allowed: calibration"),
        (["quantize", parent, "--method", "qat_int8"], "steps >= 1"),
    ]
    for args, message in cases:
        code, _, err = _cli(capsys, *args, "--runs-dir", str(runs), "--no-timing")
        lines = err.strip().splitlines()
        assert code == 2, (args, err)
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (args, lines)
    assert [r.id for r in RunStore(runs).list()] == before


def test_help(capsys):
    for command in ("prune", "quantize"):
        code, out, _ = _cli(capsys, command, "--help")
        assert code == 0 and "Usage" in out and "--method" in out
