"""The command line answers without importing torch where it need not: --help, --version, and the
listing commands once the registry's catalog is cached."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import cli_env

PROBE = """
import contextlib, io, json, sys
from neuralab.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main({args!r})
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
print(json.dumps({{"torch": "torch" in sys.modules, "code": code, "out": out.getvalue()}}))
"""


def _probe(args: list[str], cache) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True,
                          text=True, timeout=300, env=cli_env(NEURALAB_CACHE=str(cache)))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["train", "--help"],
                                  ["runs", "list", "--help"]])
def test_help_and_version_do_not_import_torch(args, tmp_path):
    result = _probe(args, tmp_path / "cache")
    assert result["code"] == 0 and not result["torch"]
    if args == ["--version"]:
        import neuralab
        assert result["out"].strip() == f"neuralab {neuralab.__version__}"


def test_listing_commands_do_not_import_torch_once_the_catalog_is_cached(tmp_path):
    cache, runs = tmp_path / "cache", str(tmp_path / "runs")
    first = _probe(["list", "model", "--json"], cache)  # builds the catalog: imports the parts
    assert first["torch"] and first["code"] == 0
    for args in (["list", "model", "--json"], ["info", "model", "mlp", "--json"],
                 ["claims", "list", "--runs-dir", runs], ["runs", "list", "--runs-dir", runs]):
        result = _probe(args, cache)
        assert result["code"] == 0 and not result["torch"], args
    listed = _probe(["list", "model", "--json"], cache)["out"]
    assert json.loads(listed) == json.loads(first["out"])
    info = json.loads(_probe(["info", "model", "mlp", "--json"], cache)["out"])
    assert info["name"] == "mlp" and "width" in info["hyperparameters"]


def test_catalog_is_rebuilt_only_when_a_source_file_changes(tmp_path, monkeypatch):
    from neuralab import catalog
    from neuralab.registry import REGISTRY

    builds = []

    def describe_all():
        builds.append(1)
        return [{"kind": "model", "name": f"m{len(builds)}", "aliases": []}]

    monkeypatch.setenv("NEURALAB_CACHE", str(tmp_path))
    monkeypatch.setattr(REGISTRY, "_loaded", False)  # as in a fresh process
    monkeypatch.setattr(catalog, "_describe_all", describe_all)
    monkeypatch.setattr(catalog, "source_key", lambda: "key-1")
    assert catalog.entry("model", "m1") and catalog.entry("model", "m1")
    assert len(builds) == 1  # the second answer came from the cache file
    monkeypatch.setattr(catalog, "source_key", lambda: "key-2")  # a source file changed
    assert catalog.entry("model", "m2") and len(builds) == 2


def test_cached_catalog_equals_the_live_registry(tmp_path):
    from neuralab.registry import REGISTRY

    cached = json.loads(_probe(["list", "model", "--json"], tmp_path)["out"])  # fresh process
    assert cached == [{k: e.describe()[k] for k in ("kind", "name", "summary", "paper", "arxiv",
                                                    "tags", "aliases")} for e in REGISTRY.list("model")]
    info = json.loads(_probe(["info", "optimizer", "adam", "--json"], tmp_path)["out"])
    assert info == json.loads(json.dumps(REGISTRY.get("optimizer", "adam").describe(), default=str))


def test_catalog_unknown_names_are_one_line_errors():
    from neuralab import catalog
    from neuralab.errors import NeuralabError

    with pytest.raises(NeuralabError, match="unknown kind 'nokind'"):
        catalog.entries_of("nokind")
    with pytest.raises(NeuralabError, match="unknown model 'nosuch'"):
        catalog.entry("model", "nosuch")
    assert catalog.entry("model", "logreg")["name"] == "logistic"  # an alias


def test_cli_copies_of_library_constants_agree():
    from neuralab.claims.base import BUDGETS
    from neuralab.claims.runner import EXECUTORS
    from neuralab.cli import claims_cmd, report_cmd
    from neuralab.report.site import DEFAULT_OUT

    assert tuple(claims_cmd.BUDGETS) == tuple(BUDGETS)
    assert tuple(claims_cmd.EXECUTORS) == tuple(EXECUTORS)
    assert report_cmd.DEFAULT_OUT == str(DEFAULT_OUT)


def test_claims_list_reads_latest_verdicts_without_torch_by_the_runner_rule(tmp_path):
    from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
    from neuralab.claims import run_claim
    from neuralab.claims.runner import latest_claim_runs
    from neuralab.cli.claims_cmd import _latest
    from neuralab.store import RunStore

    store = RunStore(tmp_path / "runs")
    for budget in ("full", "smoke", "smoke"):  # a later smoke run does not hide the full one
        run_claim("report_toy_claim", budget, store=store)
    with pytest.raises(RuntimeError):
        run_claim("report_failing_claim", "smoke", store=store)
    assert [r.status for r in store.list(kind="claim")][-1] == "failed"  # ignored by both
    expected = {k: r.summary for k, r in latest_claim_runs(store).items()}
    assert _latest(store) == expected and expected["report_toy_claim"]["budget"] == "full"
    _probe(["list", "model"], tmp_path / "cache")  # warm the catalog
    result = _probe(["claims", "list", "--json", "--runs-dir", str(store.root)], tmp_path / "cache")
    assert result["code"] == 0 and not result["torch"]
