"""``neuralab demo``: the main job — every claim at a budget, the verdict table, the report."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from neuralab.cli.claims_cmd import Budget, ClaimDevice, Jobs, Threads, run_and_print
from neuralab.cli.common import RunsDir, device_setting, store_at
from neuralab.cli.report_cmd import DEFAULT_OUT, Force, Out


DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))  # one claim per core, one thread each


def install(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    claim_ids: Annotated[list[str] | None, typer.Argument(
        metavar="[ID...]", help="Only these claims (default: every claim).")] = None,
    budget: Budget = "quick",
    out: Out = DEFAULT_OUT,
    force: Force = False,
    threads: Threads = 1,
    jobs: Jobs = DEFAULT_JOBS,
    device: ClaimDevice = "cpu",
    runs_dir: RunsDir = None,
) -> None:
    """Run every claim (quick budget by default), print the verdict table, write the report.

    At ``--budget quick`` a claim whose quick run cannot agree with its full run shows what to
    run instead; ``--budget smoke`` is a plumbing check that prints no verdicts.
    """
    from neuralab.claims.runner import ClaimFailure, resolve_claims
    from neuralab.report.site import build_report, check_out

    device = device_setting(device)
    check_out(out, force)
    store = store_at(runs_dir)
    ids = resolve_claims(claim_ids or [], all_claims=not claim_ids)
    results = run_and_print(ids, budget, executor="local", threads=threads, store=store,
                            jobs=jobs, device=device)
    index = build_report(store, out, force=force)
    typer.echo(f"report written to {index}")
    if any(isinstance(r, ClaimFailure) for r in results):
        raise typer.Exit(1)
