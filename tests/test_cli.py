import json

from conftest import run_cli


def test_help_everywhere():
    for args in ([], ["train"], ["runs"], ["runs", "list"], ["data", "show"], ["list"], ["info"],
                 ["demo"], ["claims"], ["claims", "run"], ["report"]):
        out = run_cli(*args, "--help")
        assert out.returncode == 0 and "Usage" in out.stdout, args


def test_list_and_info():
    out = run_cli("list", "model", "--json")
    names = {e["name"] for e in json.loads(out.stdout)}
    assert {"mlp", "cnn", "gru", "lstm", "transformer", "logistic"} <= names
    out = run_cli("info", "activation", "gelu", "--json")
    info = json.loads(out.stdout)
    assert info["arxiv"] == "1606.08415" and "approximate" in info["hyperparameters"]
    text = run_cli("info", "model", "mlp").stdout
    assert "width: int = 128" in text


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path):
    runs = tmp_path / "runs"
    cases = [
        (["list", "modle"], "did you mean 'model'"),
        (["info", "model", "mpl"], "did you mean 'mlp'"),
        (["train", "--model", "mpl"], "unknown model 'mpl'"),
        (["train", "--set", "model.widht=3"], "model.widht: unknown parameter"),
        (["train", "--set", "optim.lr=fast"], "optim.lr: Input should be a valid number"),
        (["train", "--config", str(tmp_path / "missing.toml")], "not found"),
        (["train", "--resume", "nope"], "unknown run 'nope'"),
        (["runs", "show", "nope"], "unknown run 'nope'"),
        (["data", "show", "mnist2d"], "did you mean 'mnist1d'"),
    ]
    for args, message in cases:
        extra = ["--runs-dir", str(runs)] if args[0] in ("train", "runs") else []
        out = run_cli(*args, *extra, cwd=tmp_path)
        assert out.returncode == 2, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (args, lines)
    assert not runs.exists() and not (tmp_path / "neuralab-runs").exists()


def test_train_then_runs_list_show_rm(tmp_path):
    runs = str(tmp_path / "runs")
    out = run_cli("train", "--data", "xor_clusters", "--steps", "60", "--set", "model.width=8",
                  "--runs-dir", runs, "--progress", "lines", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "completed" and "step 60/60" in out.stderr
    listed = json.loads(run_cli("runs", "list", "--json", "--runs-dir", runs).stdout)
    assert [r["id"] for r in listed] == [result["run"]]
    shown = json.loads(run_cli("runs", "show", result["run"], "--json", "--runs-dir", runs).stdout)
    assert shown["config"]["model"]["width"] == 8 and shown["records"]
    assert "test_accuracy" in run_cli("runs", "show", result["run"], "--runs-dir", runs).stdout
    out = run_cli("runs", "rm", result["run"], "--runs-dir", runs)
    assert out.returncode == 0 and result["run"] in out.stdout
    assert json.loads(run_cli("runs", "list", "--json", "--runs-dir", runs).stdout) == []


def test_neuralab_home_moves_the_store(tmp_path):
    home = tmp_path / "home"
    out = run_cli("train", "--data", "xor_clusters", "--steps", "5", cwd=tmp_path,
                  NEURALAB_HOME=str(home))
    assert out.returncode == 0, out.stderr
    assert (home / "index.sqlite").exists() and not (tmp_path / "neuralab-runs").exists()


def test_diverged_run_exits_1_with_one_line(tmp_path):
    out = run_cli("train", "--data", "teacher_student", "--optim", "sgd", "--lr", "1e6",
                  "--set", "model.depth=6", "--steps", "200", "--runs-dir", str(tmp_path / "r"))
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("error: training diverged at step")


def test_data_show_card():
    card = json.loads(run_cli("data", "show", "mnist1d", "--json").stdout)
    assert card["train_size"] == 4000 and card["test_size"] == 1000 and card["input_shape"] == [40]
    text = run_cli("data", "show", "stdlib_chars", "--set", "max_chars=5000", "--set", "seq_len=16").stdout
    assert "sequence" in text and "96" in text
