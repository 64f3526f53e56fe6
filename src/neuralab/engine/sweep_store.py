"""Run a sweep and record it in the run store (the driver is the only writer).

The sweep itself is a run of kind ``sweep`` whose config is the sweep spec; each member is a run
of kind ``train`` with ``parent`` = the sweep's id and ``member`` = its index, holding its
resolved config, its tidy records, its summary and its final weights (``model.safetensors``).
Member runs are registered before training starts (so ``neuralab runs list`` shows them as
``running``) and completed as their population finishes. A population that fails marks its
members ``failed``; the sweep then ends ``failed`` too. A sweep any of whose members diverged ends
``diverged`` (its summary counts them); the driver holds the sweep run's lock while it runs.

    from neuralab.engine.sweep import load_sweep
    from neuralab.engine.sweep_store import run_sweep
    from neuralab.store import RunStore

    result = run_sweep(load_sweep("configs/sweep_mlp.toml"), RunStore())
    print(result.sweep_id, [m.metrics.get("test_accuracy") for m in result.members])
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from neuralab.engine import tensorboard
from neuralab.engine.checkpoint import save_weights
from neuralab.engine.metrics import RecordLog
from neuralab.engine.population import MemberResult, check_population
from neuralab.engine.sweep import Executor, Sweep, run_groups, split_populations
from neuralab.progress import ProgressBar, resolve_mode
from neuralab.run_lock import RunLock
from neuralab.store import RunInfo, RunStore


@dataclass
class SweepResult:
    """The sweep's run id, its members' results (in config order) and their run ids."""

    sweep_id: str | None
    members: list[MemberResult]
    run_ids: list[str | None]
    populations: list[list[int]]
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)


def _summary(members: list[MemberResult], populations: int, seconds: float) -> dict[str, Any]:
    statuses = [m.status for m in members]
    out: dict[str, Any] = {"members": len(members), "populations": populations,
                           "completed": statuses.count("completed"),
                           "diverged": statuses.count("diverged"), "seconds": seconds}
    accs = [m.metrics["test_accuracy"] for m in members if "test_accuracy" in m.metrics]
    if accs:
        out["best_test_accuracy"] = max(accs)
    return out


def record_member(store: RunStore, run: RunInfo, result: MemberResult) -> None:
    """Write a finished member's records, weights and summary into its run."""
    rows = [{**r, "run": run.id} for r in result.records]
    sink = tensorboard.sink_for(result.config.train.tensorboard, run)
    RecordLog(run.records_path, sink=sink).extend(rows)
    if result.status == "completed":
        save_weights(result.model(), run.path / "model.safetensors", metadata={"step": str(result.step)})
    store.update(run.id, status=result.status, step=result.step, summary=result.summary)


def run_sweep(sweep: Sweep, store: RunStore | None = None, *, executor: Executor = "local",
              address: str | None = None, progress: str = "auto",
              on_population: Callable[[int, list[MemberResult]], None] | None = None) -> SweepResult:
    """Train every member of ``sweep`` (one population per architecture family); record it."""
    resolve_mode(progress)
    configs = list(sweep.configs)
    populations = split_populations(configs, sweep.max_members)
    groups = [[configs[i] for i in p] for p in populations]
    for group in groups:  # everything is validated before anything is written
        check_population(group)
    sweep_run = store.create(sweep.spec, kind="sweep", name=sweep.name) if store else None
    with RunLock(sweep_run.path, sweep_run.id) if sweep_run else contextlib.nullcontext():
        runs: list[RunInfo | None] = [None] * len(configs)
        if store is not None and sweep_run is not None:
            for i, cfg in enumerate(configs):
                runs[i] = store.create(cfg.to_dict(), kind="train", name=cfg.name or cfg.model.name,
                                       parent=sweep_run.id, member=i)
        bar = ProgressBar(sum(c.train.steps for c in configs), mode=progress, unit="member-step",
                          desc=sweep_run.id if sweep_run else sweep.name)
        reported = [0] * len(groups)
        current = {"g": 0}
        results: list[MemberResult | None] = [None] * len(configs)
        start = time.perf_counter()

        def on_step(k: int) -> None:
            reported[current["g"]] += k
            bar.update(k)

        def on_done(g: int, out: list[MemberResult]) -> None:
            expected = sum(c.train.steps for c in groups[g])
            bar.update(expected - reported[g])
            current["g"] = g + 1
            for local, result in zip(populations[g], out):
                result.index = local
                results[local] = result
                run = runs[local]
                if store is not None and run is not None:
                    record_member(store, run, result)
            done = sum(r is not None for r in results)
            bar.write(f"[{sweep.name}] population {g + 1}/{len(groups)} done: {len(out)} members "
                      f"({done}/{len(configs)})  {time.perf_counter() - start:.1f}s")
            if on_population:
                on_population(g, out)

        try:
            run_groups(groups, executor, address, on_step, on_done)
        except BaseException as exc:
            if store is not None and sweep_run is not None:
                status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                for i, run in enumerate(runs):
                    if run is not None and results[i] is None:
                        store.update(run.id, status=status)
                store.update(sweep_run.id, status=status)
            raise
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        members = [r for r in results if r is not None]
        summary = _summary(members, len(groups), seconds)
        if store is not None and sweep_run is not None:
            status = "diverged" if summary["diverged"] else "completed"
            store.update(sweep_run.id, status=status, step=len(members), summary=summary)
        return SweepResult(sweep_run.id if sweep_run else None, members,
                           [r.id if r else None for r in runs], populations, seconds, summary)

