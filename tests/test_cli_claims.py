"""``neuralab claims list|show|run``, ``neuralab report`` and ``neuralab demo`` end to end."""

import json

import pytest
import torch

from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
from conftest import run_cli
from neuralab.cli import main


def cli(capsys, *args):
    """Run the command line in this process: (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_claims_are_listed_by_the_installed_command(tmp_path):
    out = run_cli("claims", "list", "--json", "--runs-dir", str(tmp_path / "runs"))
    assert out.returncode == 0, out.stderr
    claims = {c["id"]: c for c in json.loads(out.stdout)}
    assert claims["mnist1d_baselines"]["arxiv"] == "2011.14439"
    assert claims["mnist1d_baselines"]["latest"] is None and len(claims["mnist1d_baselines"]["seeds"]) >= 5
    assert all(c["precondition"] for c in claims.values())


def test_claims_run_list_show_and_report(tmp_path, capsys):
    runs, site = str(tmp_path / "runs"), tmp_path / "site"
    code, out, err = cli(capsys, "claims", "run", "report_toy_claim", "report_failing_claim",
                         "--budget", "smoke", "--runs-dir", runs)
    assert code == 1  # one claim failed; the other still ran and both are in the table
    assert "[report_toy_claim] seed 2 done" in err and "the experiment crashed" in err
    header, _, first, second = out.splitlines()[:4]
    assert header.split()[:3] == ["claim", "budget", "verdict"]
    assert first.startswith("report_toy_claim  ") and "smoke check: ran, no verdict" in first
    assert "reproduced" not in out  # a smoke run never prints a verdict
    assert second.split()[:3] == ["report_failing_claim", "smoke", "failed"]
    [row] = [line for line in cli(capsys, "claims", "list", "--runs-dir", runs)[1].splitlines()
             if line.startswith("report_toy_claim ")]
    assert row.endswith("smoke check: ran, no verdict")

    code, out, _ = cli(capsys, "claims", "run", "report_toy_claim", "--budget", "full", "--runs-dir", runs)
    assert code == 0 and "reproduced" in out and "1 reproduced (1 claims," in out
    listed = {c["id"]: c for c in json.loads(cli(capsys, "claims", "list", "--json", "--runs-dir", runs)[1])}
    latest = listed["report_toy_claim"]["latest"]
    assert latest["budget"] == "full" and latest["verdict"] == "reproduced"
    assert latest["n_seeds"] == 6 and len(latest["interval"]) == 2 and latest["run_id"]
    assert latest["deciding_part"] in ("a minus b accuracy", "lead of a")
    assert latest["environment"]["threads"] == 1
    assert listed["report_failing_claim"]["latest"] is None
    [row] = [line for line in cli(capsys, "claims", "list", "--runs-dir", runs)[1].splitlines()
             if line.startswith("report_toy_claim ")]
    assert "0000.00001" in row and row.endswith("reproduced (full)")
    shown = cli(capsys, "claims", "show", "report_toy_claim", "--runs-dir", runs)[1]
    for text in ("Arm <b>a</b> beats arm b", "margin = 0.1", "budget full: scale = 2.0",
                 "latest (full", "- reproduced: lead of a", "precondition: arm b's accuracy"):
        assert text in shown, text

    code, out, _ = cli(capsys, "report", "--out", str(site), "--runs-dir", runs)
    assert code == 0 and str(site / "index.html") in out
    assert "reproduced" in (site / "claims" / "report_toy_claim.html").read_text()


def test_demo_runs_claims_and_writes_the_report(tmp_path, capsys):
    runs, site = str(tmp_path / "runs"), tmp_path / "site"
    code, out, err = cli(capsys, "demo", "report_toy_claim", "report_full_only_claim",
                         "--runs-dir", runs, "--out", str(site))
    assert code == 0, err
    assert "report written to" in out
    [toy] = [line.split() for line in out.splitlines() if line.startswith("report_toy_claim ")]
    assert toy[1] == "quick" and toy[2] in ("reproduced", "not", "inconclusive")
    [skipped] = [line for line in out.splitlines() if line.startswith("report_full_only_claim")]
    assert "needs --budget full (about 12 min)" in skipped
    assert "report_toy_claim" in (site / "index.md").read_text()


def test_claims_run_json_gives_one_object_per_claim(tmp_path, capsys):
    runs = str(tmp_path / "runs")
    code, out, _ = cli(capsys, "claims", "run", "report_toy_claim", "report_full_only_claim",
                       "--budget", "quick", "--json", "--runs-dir", runs)
    assert code == 0
    ran, skipped = json.loads(out)
    assert ran["id"] == "report_toy_claim" and ran["budget"] == "quick"
    assert ran["verdict"] in ("reproduced", "not reproduced", "inconclusive")
    for key in ("effect", "interval", "n_seeds", "deciding_part", "precondition", "seconds",
                "run_id", "environment"):
        assert ran[key] is not None, key
    assert ran["environment"]["torch"] == torch.__version__ and ran["environment"]["threads"] == 1
    assert skipped["status"] == "skipped" and "needs --budget full" in skipped["error"]


@pytest.mark.parametrize("args, message", [
    (["claims", "run", "report_toy_clam"], "did you mean 'report_toy_claim'"),
    (["claims", "run", "report_toy_claim", "--budget", "huge"], "unknown budget 'huge'"),
    (["claims", "run", "report_toy_claim", "--executor", "slurm"], "unknown executor 'slurm'"),
    (["claims", "run", "report_toy_claim", "--address", "10.0.0.1:6379"], "--address applies"),
    (["claims", "run"], "at least one claim id"),
    (["claims", "run", "report_toy_claim", "--all"], "not both"),
    (["claims", "show", "report_toy"], "did you mean 'report_toy_claim'"),
    (["report"], "no run store"),
    (["demo", "--out", "afile"], "not a directory"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(args, message, tmp_path, capsys,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    code, _, err = cli(capsys, *args, "--runs-dir", str(tmp_path / "runs"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
