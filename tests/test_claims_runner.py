"""Running several claims, failures, threads, and which run a report shows."""

import pytest
import torch

from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
from neuralab.claims.runner import (ClaimFailure, ClaimResult, check_options, latest_claim_runs,
                                    resolve_claims, run_claim, run_claims, torch_threads)
from neuralab.errors import ConfigError, UnknownNameError
from neuralab.store import RunStore


def test_latest_run_prefers_full_then_newest(runs_dir):
    store = RunStore(runs_dir)
    smoke1 = run_claim("report_toy_claim", "smoke", store=store).run_id
    assert latest_claim_runs(store)["report_toy_claim"].id == smoke1
    full = run_claim("report_toy_claim", "full", store=store).run_id
    run_claim("report_toy_claim", "smoke", store=store)  # newer, but smoke
    with pytest.raises(RuntimeError):
        run_claim("report_failing_claim", "full", store=store)
    latest = latest_claim_runs(store)
    assert latest["report_toy_claim"].id == full and "report_failing_claim" not in latest
    summary = latest["report_toy_claim"].summary
    assert summary["verdict"] == "reproduced" and summary["budget"] == "full"
    assert [p["measure"] for p in summary["parts"]] == ["a minus b accuracy", "lead of a"]
    assert len(summary["per_seed"]) == 4  # full: all four seeds; smoke: the first three


def test_run_claims_goes_on_after_a_failure(runs_dir):
    store = RunStore(runs_dir)
    seen, lines = [], []
    results = run_claims(["report_failing_claim", "report_toy_claim"], "smoke", store=store,
                         progress=lambda cid, msg: lines.append((cid, msg)), on_done=seen.append)
    assert [type(r) for r in results] == [ClaimFailure, ClaimResult] and seen == results
    assert "crashed" in str(results[0].error)
    assert store.get(results[0].run_id).status == "failed"
    assert store.get(results[1].run_id).status == "completed"
    assert ("report_toy_claim", "seed 2 done") in lines
    assert results[1].verdict.verdict == "not reproduced"  # smoke: lead 0.3 < 0.5


def test_options_are_checked_before_anything_runs(runs_dir):
    store = RunStore(runs_dir)
    with pytest.raises(ConfigError, match="unknown budget 'huge'"):
        run_claims(["report_toy_claim"], "huge", store=store)
    with pytest.raises(ConfigError, match="--address applies to --executor ray only"):
        run_claims(["report_toy_claim"], "smoke", store=store, address="10.0.0.1:6379")
    with pytest.raises(ConfigError, match="unknown executor"):
        check_options([], "smoke", "slurm")
    with pytest.raises(UnknownNameError, match="did you mean 'report_toy_claim'"):
        run_claims(["report_toy_claim", "report_toy_clam"], "smoke", store=store)
    assert not store.exists
    assert resolve_claims(["report_toy_claim", "report_toy_claim"]) == ["report_toy_claim"]
    assert "report_toy_claim" in resolve_claims([], all_claims=True)
    with pytest.raises(ConfigError, match="--all"):
        resolve_claims([])


def test_threads_are_set_and_restored():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_ray_executor_runs_claims_as_tasks_and_the_driver_writes_the_store(runs_dir):
    store = RunStore(runs_dir)
    local = run_claim("expected_length", "smoke")
    sent = []
    [remote] = run_claims(["expected_length"], "smoke", store=store, executor="ray",
                          progress=lambda cid, msg: sent.append((cid, msg)))
    assert isinstance(remote, ClaimResult) and sent == [("expected_length", "sent to a Ray worker")]
    assert remote.records == local.records  # the same experiment, run in a Ray worker
    assert remote.verdict.to_dict() == local.verdict.to_dict()
    info = store.get(remote.run_id)
    assert info.status == "completed" and info.summary["verdict"] == local.verdict.verdict
