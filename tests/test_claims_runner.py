"""Running several claims, failures, threads, and which run a report shows."""

import pytest
import torch

from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
from neuralab.claims.runner import (ClaimFailure, ClaimResult, ClaimSkipped, check_options,
                                    latest_claim_runs, outcome_json, resolve_claims, run_claim,
                                    run_claims, torch_threads)
from neuralab.errors import ConfigError, UnknownNameError
from neuralab.store import RunStore


def test_latest_run_prefers_full_then_quick_then_newest(runs_dir):
    store = RunStore(runs_dir)
    smoke1 = run_claim("report_toy_claim", "smoke", store=store).run_id
    assert latest_claim_runs(store)["report_toy_claim"].id == smoke1
    assert latest_claim_runs(store)["report_toy_claim"].summary["verdict"] == "smoke check"
    quick = run_claim("report_toy_claim", "quick", store=store).run_id
    run_claim("report_toy_claim", "smoke", store=store)  # newer, but smoke
    assert latest_claim_runs(store)["report_toy_claim"].id == quick
    full = run_claim("report_toy_claim", "full", store=store).run_id
    run_claim("report_toy_claim", "smoke", store=store)  # newer, but smoke
    with pytest.raises(RuntimeError):
        run_claim("report_failing_claim", "full", store=store)
    latest = latest_claim_runs(store)
    assert latest["report_toy_claim"].id == full and "report_failing_claim" not in latest
    summary = latest["report_toy_claim"].summary
    assert summary["verdict"] == "reproduced" and summary["budget"] == "full"
    assert [p["measure"] for p in summary["parts"]] == ["a minus b accuracy", "lead of a"]
    assert len(summary["per_seed"]) == summary["n_seeds"] == 6  # full: all six seeds
    assert summary["decided"] in ("a minus b accuracy", "lead of a")
    assert summary["interval"][0] > 0.5  # the weakest part's lower bound passes its threshold
    env = summary["environment"]
    assert env["torch"] == torch.__version__ and env["threads"] == 1 and env["cpu"]
    assert summary["precondition"].startswith("arm b's accuracy")


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
    # smoke: the numbers say "not reproduced" (lead 0.3 < 0.5), but a smoke run gives no verdict
    assert results[1].verdict.verdict == "smoke check"
    assert results[1].claim.check(results[1].records).verdict == "not reproduced"
    assert store.get(results[1].run_id).summary["verdict"] == "smoke check"


def test_a_claim_without_a_quick_budget_is_skipped_with_what_to_run(runs_dir):
    store = RunStore(runs_dir)
    done = []
    results = run_claims(["report_full_only_claim", "report_toy_claim"], "quick", store=store,
                         on_done=done.append)
    skipped, ran = results
    assert isinstance(skipped, ClaimSkipped) and isinstance(ran, ClaimResult)
    assert skipped.reason == "needs --budget full (about 12 min)"
    assert [r.claim.id for r in done] == ["report_full_only_claim", "report_toy_claim"]
    assert [r.name for r in store.list(kind="claim")] == ["report_toy_claim"]  # nothing recorded
    assert outcome_json(skipped)["status"] == "skipped"
    js = outcome_json(ran)
    assert js["verdict"] == ran.verdict.verdict and js["n_seeds"] == 5
    assert js["interval"] == list(ran.verdict.interval) and js["run_id"] == ran.run_id
    assert js["deciding_part"] == ran.verdict.decided and js["precondition"]
    with pytest.raises(ConfigError, match="has no quick budget: needs --budget full"):
        run_claim("report_full_only_claim", "quick")


def test_a_failed_precondition_makes_the_verdict_inconclusive():
    claim = ReportToyClaim()
    records = claim.run("full")
    assert claim.verdict(records, "full").verdict == "reproduced"

    class Unconverged(ReportToyClaim):
        def budget_failure(self, records):
            return "arm b still rising"

    verdict = Unconverged().verdict(records, "full")
    assert verdict.verdict == "inconclusive" and verdict.notes.startswith("budget: arm b still")
    assert verdict.effect == claim.check(records).effect  # the numbers stay


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
    pytest.importorskip("ray", reason="Ray is the optional ray extra (make setup-ray)")
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


def test_claims_run_in_worker_processes_as_in_one(tmp_path):
    from neuralab.claims.runner import ClaimResult, run_claims
    from neuralab.store import RunStore

    ids = ["hopfield_capacity", "lmul_precision"]
    store = RunStore(tmp_path / "runs")
    parallel = run_claims(ids, "smoke", store=store, jobs=2)
    serial = run_claims(ids, "smoke")
    assert [r.claim.id for r in parallel] == ids
    assert all(isinstance(r, ClaimResult) for r in parallel)
    for p, s in zip(parallel, serial):
        assert p.records == s.records and p.verdict.to_dict() == s.verdict.to_dict()
    runs = store.list(kind="claim")
    assert sorted(r.name for r in runs) == sorted(ids)
    assert all(r.status == "completed" for r in runs)  # only the driver wrote them


def test_jobs_must_be_a_positive_integer():
    import pytest

    from neuralab.claims.runner import run_claims
    from neuralab.errors import ConfigError

    with pytest.raises(ConfigError, match="jobs must be a positive integer"):
        run_claims(["hopfield_capacity"], "smoke", jobs=0)
