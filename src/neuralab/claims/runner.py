"""Run claims at a budget, record them in the run store (kind ``claim``), and find their results.

``run_claim`` runs one claim and records its config (the claim's description and the budget),
its tidy records (``records.jsonl``) and its verdict (the run's summary). ``run_claims`` runs
several, one after another (``executor="local"``) or as Ray tasks (``executor="ray"``; only the
driver writes the store); a claim that fails is recorded as failed and the others still run.
``latest_claim_runs`` picks, for each claim, the run a report shows: the latest completed run at
the ``full`` budget, else at ``quick``, else the latest ``smoke`` check. Every run records where
it was measured (:func:`environment`: torch version, threads, CPU model), since a verdict near
its threshold can move with the machine.
"""

from __future__ import annotations

import contextlib
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from neuralab.claims.base import BUDGETS, Claim, Progress, Verdict
from neuralab.claims.labels import EXECUTORS
from neuralab.claims.summaries import latest_claim_runs, verdict_json
from neuralab.engine.metrics import RecordLog
from neuralab.errors import ConfigError
from neuralab.registry import REGISTRY
from neuralab.store import RunInfo, RunStore



@dataclass
class ClaimResult:
    claim: Claim
    budget: str
    records: list[dict[str, Any]]
    verdict: Verdict
    seconds: float
    run_id: str | None = None
    environment: dict[str, Any] | None = None  # where it was measured (:func:`environment`)


@dataclass
class ClaimFailure:
    """A claim that raised instead of producing a verdict."""

    claim: Claim
    budget: str
    error: BaseException
    seconds: float
    run_id: str | None = None


@dataclass
class ClaimSkipped:
    """A claim with no budget of that name (a claim whose quick run cannot agree with its full
    run declares no quick budget): nothing ran; ``reason`` says what to run instead."""

    claim: Claim
    budget: str
    reason: str
    seconds: float = 0.0
    run_id: str | None = None


Outcome = ClaimResult | ClaimFailure | ClaimSkipped


def get_claim(claim_id: str) -> Claim:
    """The registered claim ``claim_id`` (unknown ids fail with the closest matches)."""
    return REGISTRY.get("claim", claim_id).factory()


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` intra-op threads (None: leave torch's setting), then restore it."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(threads: int | None, device: str = "cpu") -> dict[str, Any]:
    """Where a claim was measured: torch version, intra-op threads, CPU model and count, the
    device it trained on (and that device's name when it is a GPU)."""
    import os

    env = {"torch": torch.__version__, "threads": threads or torch.get_num_threads(),
           "cpu": cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
           "device": device}
    if device.startswith("cuda"):
        env["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return env


def device_for(claim: Claim, device: str) -> str:
    """The device ``claim`` trains on when ``device`` is asked for: cpu unless it
    :attr:`~neuralab.claims.base.Claim.trains_on_device`."""
    return device if claim.trains_on_device else "cpu"


def cpu_only_note(claim: Claim, device: str) -> str | None:
    """The line saying that ``claim`` cannot use ``device`` (None when it can, or it is the CPU)."""
    if device_for(claim, device) == device:
        return None
    return (f"trains on the CPU: it builds models outside the trainer and the population "
            f"engine, so --device {device} does not apply to it")


def execute(claim_id: str, budget: str, progress: Progress | None = None,
            threads: int | None = 1, device: str = "cpu",
            ) -> tuple[list[dict[str, Any]], Verdict, float]:
    """Run and check one claim on ``device`` (see :func:`device_for`), writing nothing:
    (records, verdict, seconds)."""
    from neuralab.claims.training import claim_device

    claim = get_claim(claim_id)
    start = time.perf_counter()
    with torch_threads(threads), claim_device(device_for(claim, device)):
        records = claim.run(budget, progress=progress)
    return records, claim.verdict(records, budget), time.perf_counter() - start


def _start(store: RunStore | None, claim: Claim, budget: str,
           device: str = "cpu") -> RunInfo | None:
    if store is None:
        return None
    return store.create({"claim": claim.id, "budget": budget,
                         "device": device_for(claim, device), **claim.describe()},
                        kind="claim", name=claim.id)


def _finish(store: RunStore | None, run: RunInfo | None, claim: Claim, budget: str,
            outcome: tuple[list[dict[str, Any]], Verdict, float],
            threads: int | None = 1, device: str = "cpu") -> ClaimResult:
    records, verdict, seconds = outcome
    where = environment(threads, device_for(claim, device))
    if store is not None and run is not None:
        RecordLog(run.records_path).extend(records)
        store.update(run.id, status="completed", summary={
            "claim": claim.id, "budget": budget, "seconds": seconds,
            "precondition": claim.precondition, "environment": where, **verdict.to_dict()})
    return ClaimResult(claim, budget, records, verdict, seconds, run.id if run else None, where)


def run_claim(claim_id: str, budget: str = "smoke", *, store: RunStore | None = None,
              progress: Progress | None = None, threads: int | None = 1,
              device: str = "cpu") -> ClaimResult:
    """Run ``claim_id`` at ``budget``, decide its verdict, and record both in ``store``.

    ``threads`` sets torch's intra-op threads while the claim runs: claims train small networks,
    for which one thread is fastest (and is robust on a shared machine). ``device`` (a
    ``train.device`` value) is where it trains, if it :attr:`~Claim.trains_on_device`.
    """
    from neuralab.devices import device_name

    claim = get_claim(claim_id)
    claim.budget(budget)  # an unknown budget fails before anything is written
    device = device_name(device, "device")
    run = _start(store, claim, budget, device)
    try:
        outcome = execute(claim.id, budget, progress, threads, device)
    except BaseException:
        if store is not None and run is not None:
            store.update(run.id, status="failed")
        raise
    return _finish(store, run, claim, budget, outcome, threads, device)


def resolve_claims(ids: Sequence[str], *, all_claims: bool = False) -> list[str]:
    """Canonical claim ids (all registered ones with ``all_claims``); unknown ids fail first."""
    if all_claims:
        return REGISTRY.names("claim")
    if not ids:
        raise ConfigError("name at least one claim id, or use --all (neuralab claims list)")
    return list(dict.fromkeys(REGISTRY.get("claim", i).name for i in ids))


def check_options(ids: Sequence[str], budget: str, executor: str = "local",
                  address: str | None = None) -> list[Claim]:
    """The claims ``ids``, after checking that each exists and that budget and executor are known."""
    if budget not in BUDGETS:
        raise ConfigError(f"unknown budget {budget!r} (known: {', '.join(BUDGETS)})")
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r} (known: {', '.join(EXECUTORS)})")
    if address is not None and executor != "ray":
        raise ConfigError("--address applies to --executor ray only")
    return [get_claim(i) for i in ids]  # a claim without this budget is skipped, not an error


def run_claims(ids: Sequence[str], budget: str = "smoke", *, store: RunStore | None = None,
               executor: str = "local", address: str | None = None, threads: int | None = 1,
               progress: Callable[[str, str], None] | None = None,
               on_done: Callable[[Outcome], None] | None = None, jobs: int = 1,
               device: str = "cpu") -> list[Outcome]:
    """Run several claims at ``budget``; every id, the budget and the executor are checked first.

    ``executor="local"`` runs them one after another in this process, or with ``jobs > 1`` in
    that many worker processes (claims that share runs, :attr:`Claim.shared`, go to one worker so
    that they train them once; only this process writes the store); ``"ray"`` runs each claim as
    a Ray task (a local Ray instance, or the cluster at ``address``) while only this process
    writes the store. ``progress(claim_id, message)`` receives progress lines (local: the claim's
    own; Ray: when a claim is sent off); ``on_done`` each result as it arrives. A claim that has
    no such budget is a :class:`ClaimSkipped` (in its place in the list; nothing is recorded).
    ``device`` is where the claims train (``auto``: cuda when available); a claim that cannot
    use it says so through ``progress`` and trains on the CPU (:func:`device_for`).
    """
    from neuralab.devices import device_name

    claims = check_options(ids, budget, executor, address)
    device = device_name(device, "device")
    skipped = {c.id: ClaimSkipped(c, budget, c.needs_full()) for c in claims
               if budget not in c.budgets}
    for result in skipped.values():
        if on_done:
            on_done(result)
    runnable = [c for c in claims if c.id not in skipped]
    for claim in runnable:
        note = cpu_only_note(claim, device)
        if note and progress:
            progress(claim.id, note)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    if executor == "ray":
        ran = _run_on_ray(runnable, budget, store, address, threads, progress, on_done, device)
    elif jobs > 1 and len(runnable) > 1:
        ran = _run_in_processes(runnable, budget, store, threads, jobs, progress, on_done,
                                device)
    else:
        ran = _run_locally(runnable, budget, store, threads, progress, on_done, device)
    by_id = {r.claim.id: r for r in ran} | skipped
    return [by_id[c.id] for c in claims]


def _run_locally(claims: Sequence[Claim], budget: str, store: RunStore | None,
                 threads: int | None, progress: Callable[[str, str], None] | None,
                 on_done: Callable[[Outcome], None] | None, device: str = "cpu",
                 ) -> list[Outcome]:
    results: list[Outcome] = []
    for claim in claims:
        say = (lambda msg, cid=claim.id: progress(cid, msg)) if progress else None
        start = time.perf_counter()
        try:
            result: ClaimResult | ClaimFailure = run_claim(claim.id, budget, store=store,
                                                           progress=say, threads=threads,
                                                           device=device)
        except Exception as exc:  # recorded as failed by run_claim; the other claims still run
            failed = _latest_run(store, claim.id) if store is not None else None
            result = ClaimFailure(claim, budget, exc, time.perf_counter() - start,
                                  failed.id if failed else None)
        results.append(result)
        if on_done:
            on_done(result)
    return results


def _run_on_ray(claims: Sequence[Claim], budget: str, store: RunStore | None,
                address: str | None, threads: int | None,
                progress: Callable[[str, str], None] | None,
                on_done: Callable[[Outcome], None] | None, device: str = "cpu",
                ) -> list[Outcome]:
    from neuralab.engine.sweep import ray_session

    results: dict[int, Outcome] = {}
    with ray_session(address) as ray:
        task = ray.remote(num_cpus=threads or 1)(execute)
        pending = {}
        for i, claim in enumerate(claims):
            run = _start(store, claim, budget, device)
            gpus = 1 if device_for(claim, device).startswith("cuda") else 0  # else Ray hides them
            call = task.options(num_gpus=gpus).remote(claim.id, budget, None, threads, device)
            pending[call] = (i, claim, run, time.perf_counter())
            if progress:
                progress(claim.id, "sent to a Ray worker")
        while pending:
            [done], _ = ray.wait(list(pending), num_returns=1)
            i, claim, run, start = pending.pop(done)
            try:
                result: ClaimResult | ClaimFailure = _finish(store, run, claim, budget,
                                                             ray.get(done), threads, device)
            except Exception as exc:  # the task raised: record it, keep collecting the others
                if store is not None and run is not None:
                    store.update(run.id, status="failed")
                result = ClaimFailure(claim, budget, getattr(exc, "cause", None) or exc,
                                      time.perf_counter() - start, run.id if run else None)
            results[i] = result
            if on_done:
                on_done(result)
    return [results[i] for i in sorted(results)]


def execute_group(claim_ids: Sequence[str], budget: str, threads: int | None,
                  device: str = "cpu") -> list[tuple[list[dict[str, Any]], Verdict, float] | BaseException]:
    """Run claims one after another in a worker process, progress on its stderr; each result is
    :func:`execute`'s, or the exception the claim raised (as a plain error that pickles)."""
    import sys

    out: list[tuple[list[dict[str, Any]], Verdict, float] | BaseException] = []
    for claim_id in claim_ids:
        def say(message: str, cid: str = claim_id) -> None:
            print(f"[{cid}] {message}", file=sys.stderr, flush=True)

        start = time.perf_counter()
        try:
            out.append(execute(claim_id, budget, say, threads, device))
        except Exception as exc:  # reported by the driver, the group's other claims still run
            out.append(RuntimeError(f"{type(exc).__name__}: {exc}"))
        say(f"finished in {time.perf_counter() - start:.1f}s")
    return out


def _run_in_processes(claims: Sequence[Claim], budget: str, store: RunStore | None,
                      threads: int | None, jobs: int,
                      progress: Callable[[str, str], None] | None,
                      on_done: Callable[[Outcome], None] | None, device: str = "cpu",
                      ) -> list[Outcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    groups: dict[str, list[int]] = {}
    for i, claim in enumerate(claims):
        groups.setdefault(claim.shared or claim.id, []).append(i)
    results: dict[int, Outcome] = {}
    context = multiprocessing.get_context("spawn")  # no forked torch thread pools
    with ProcessPoolExecutor(max_workers=min(jobs, len(groups)), mp_context=context) as pool:
        pending = {}
        for members in groups.values():
            runs = [_start(store, claims[i], budget, device) for i in members]
            future = pool.submit(execute_group, [claims[i].id for i in members], budget, threads,
                                 device)
            pending[future] = (members, runs, time.perf_counter())
            if progress:
                for i in members:
                    progress(claims[i].id, "sent to a worker process")
        for future in as_completed(pending):
            members, runs, start = pending[future]
            try:
                outcomes = future.result()
            except Exception as exc:  # the worker itself died: every claim of the group failed
                outcomes = [exc] * len(members)
            for i, run, outcome in zip(members, runs, outcomes):
                claim = claims[i]
                if isinstance(outcome, BaseException):
                    if store is not None and run is not None:
                        store.update(run.id, status="failed")
                    result: Outcome = ClaimFailure(claim, budget, outcome,
                                                   time.perf_counter() - start,
                                                   run.id if run else None)
                else:
                    result = _finish(store, run, claim, budget, outcome, threads, device)
                results[i] = result
                if on_done:
                    on_done(result)
    return [results[i] for i in sorted(results)]


def _latest_run(store: RunStore, claim_id: str) -> RunInfo | None:
    runs = [r for r in store.list(kind="claim") if r.name == claim_id]
    return runs[-1] if runs else None


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """:func:`verdict_json` of a result of :func:`run_claims`."""
    cid, budget = outcome.claim.id, outcome.budget
    if isinstance(outcome, ClaimSkipped):
        return verdict_json(cid, budget, None, seconds=0.0, status="skipped",
                            error=outcome.reason)
    if isinstance(outcome, ClaimFailure):
        return verdict_json(cid, budget, None, seconds=outcome.seconds, run_id=outcome.run_id,
                            status="failed", error=str(outcome.error))
    summary = {"precondition": outcome.claim.precondition, "environment": outcome.environment,
               **outcome.verdict.to_dict()}
    return verdict_json(cid, budget, summary, seconds=outcome.seconds, run_id=outcome.run_id)
