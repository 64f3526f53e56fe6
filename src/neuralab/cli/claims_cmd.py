"""``neuralab claims list|show|run``: papers' headline results as experiments with verdicts."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from neuralab.claims.labels import BUDGETS, EXECUTORS, SMOKE_SENTENCE
from neuralab.claims.summaries import latest_claim_runs, latest_json
from neuralab.cli.common import (DEVICE_HELP, JsonFlag, RunsDir, check_out_file, device_setting,
                                 format_table, print_json, store_at)
from neuralab.errors import ConfigError
from neuralab.store import RunStore

# The claims machinery (and torch) is imported inside the commands that run claims; listing reads
# the registry's cached catalog and the store only.

app = typer.Typer(help="List, show and run claims (papers' headline results).", no_args_is_help=True)

Budget = Annotated[str, typer.Option(help=(
    f"One of: {', '.join(BUDGETS)} (smoke: a plumbing check, no verdict; quick: minutes for "
    "all claims; full: the budget of record)."))]
Threads = Annotated[int, typer.Option(min=1, help="torch intra-op threads while claims run.")]
Jobs = Annotated[int, typer.Option(min=1, help=(
    "Worker processes for --executor local (claims sharing runs go to one worker)."))]
ClaimDevice = Annotated[str, typer.Option(help=(
    f"Where the claims train: {DEVICE_HELP}. A claim that builds its models outside the "
    "trainer says so and trains on the CPU."))]


def _latest(store: RunStore) -> dict:
    return {k: r.summary for k, r in latest_claim_runs(store).items()}


@app.command("list")
def list_claims(runs_dir: RunsDir = None, json_out: JsonFlag = False) -> None:
    """List the registered claims, with the latest verdict found in the run store."""
    from neuralab.catalog import entries_of

    store = store_at(runs_dir)
    entries = entries_of("claim")
    if json_out:
        latest = latest_json(store)
        print_json([{**e["claim"], "latest": latest.get(e["name"])} for e in entries])
        return
    summaries = _latest(store)
    rows = []
    for e in entries:
        s = summaries.get(e["name"])
        shown = ("not run" if not s else SMOKE_SENTENCE if s.get("budget") == "smoke"
                 else f"{s['verdict']} ({s['budget']})")
        rows.append((e["name"], e["arxiv"] or "", (e["paper"] or "")[:48], shown))
    typer.echo(format_table(("claim", "arxiv", "paper", "latest verdict"), rows))


@app.command("show")
def show(
    claim_id: Annotated[str, typer.Argument(metavar="ID", help="Claim id (neuralab claims list).")],
    runs_dir: RunsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Show a claim: statement, paper, seeds, thresholds, budgets and its latest verdict."""
    from neuralab.claims.runner import get_claim

    d = get_claim(claim_id).describe()
    latest = _latest(store_at(runs_dir)).get(d["id"])
    if json_out:
        print_json({**d, "latest": latest})
        return
    typer.echo(f"{d['id']}: {d['statement']}")
    typer.echo(f"  paper: {d['paper']}" + (f" (arXiv:{d['arxiv']})" if d["arxiv"] else ""))
    if d["reference"]:
        typer.echo(f"  the paper reports: {d['reference']}")
    typer.echo(f"  seeds: {', '.join(map(str, d['seeds']))}")
    typer.echo(f"  precondition: {d['precondition']}")
    if d.get("shared"):
        typer.echo(f"  shares its runs with other claims: {d['shared']}")
    typer.echo("  device: " + ("trains on --device" if d.get("trains_on_device") else
                               "the CPU only (it builds models outside the trainer)"))
    typer.echo("  thresholds: " + ", ".join(f"{k} = {v}" for k, v in d["thresholds"].items()))
    for name, budget in d["budgets"].items():
        typer.echo(f"  budget {name}: " + ", ".join(f"{k} = {v}" for k, v in budget.items()))
    if latest:
        typer.echo(f"  latest ({latest['budget']}, {latest['seconds']:.0f}s): {latest['sentence']}")
        for part in latest.get("parts", []):
            typer.echo(f"    - {part['sentence']}")
    else:
        typer.echo("  latest: not run")


@app.command("run")
def run(
    claim_ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="Claim ids.")] = None,
    all_claims: Annotated[bool, typer.Option("--all", help="Run every registered claim.")] = False,
    budget: Budget = "quick",
    executor: Annotated[str, typer.Option(
        help=f"One of: {', '.join(EXECUTORS)} (ray: one Ray task per claim).")] = "local",
    address: Annotated[str | None, typer.Option(
        help="Ray cluster address (default: start a local Ray instance).")] = None,
    threads: Threads = 1,
    jobs: Jobs = 1,
    device: ClaimDevice = "cpu",
    runs_dir: RunsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Run claims at a budget, print a verdict table, and record the results in the run store.

    A smoke run is a plumbing check and prints no verdict; a claim without a quick budget says
    what to run instead. Exit 1 when a claim failed.
    """
    from neuralab.claims.runner import ClaimFailure, resolve_claims

    if claim_ids and all_claims:
        raise ConfigError("name claim ids or use --all, not both")
    device = device_setting(device)
    results = run_and_print(resolve_claims(claim_ids or [], all_claims=all_claims), budget,
                            executor=executor, address=address, threads=threads,
                            store=store_at(runs_dir), json_out=json_out, jobs=jobs, device=device)
    if any(isinstance(r, ClaimFailure) for r in results):
        raise typer.Exit(1)


def run_and_print(ids: list[str], budget: str, *, executor: str, threads: int, store: RunStore,
                  address: str | None = None, json_out: bool = False, jobs: int = 1,
                  device: str = "cpu") -> list:
    """Run claims with progress on stderr, then print the verdict table (or JSON) on stdout."""
    from neuralab.claims.runner import (ClaimFailure, ClaimSkipped, check_options, outcome_json,
                                        run_claims)

    check_options(ids, budget, executor, address)
    on = f" on {device}" if device != "cpu" else ""
    typer.echo(f"running {len(ids)} claim(s) at budget {budget!r}{on}: {', '.join(ids)}", err=True)
    started = time.perf_counter()

    def progress(claim_id: str, message: str) -> None:
        typer.echo(f"[{claim_id}] {message}", err=True)

    def done(result) -> None:
        if isinstance(result, ClaimFailure):
            typer.echo(f"[{result.claim.id}] failed: {result.error}", err=True)
        elif isinstance(result, ClaimSkipped):
            typer.echo(f"[{result.claim.id}] {result.reason}", err=True)
        else:
            typer.echo(f"[{result.claim.id}] {result.verdict.sentence()} ({result.seconds:.1f}s)",
                       err=True)

    results = run_claims(ids, budget, store=store, executor=executor, address=address,
                         threads=threads, progress=progress, on_done=done, jobs=jobs,
                         device=device)
    wall = time.perf_counter() - started
    if json_out:
        print_json([outcome_json(r) for r in results])
    else:
        typer.echo(verdict_table(results))
        typer.echo(verdict_counts(results, wall))
        typer.echo(f"results recorded in {store.root}")
    typer.echo(f"{len(results)} claim(s) at budget {budget!r} in {wall:.0f} s", err=True)
    sys.stdout.flush()
    return results


def verdict_counts(results: list, wall: float) -> str:
    """One line: how many claims got each verdict, and the total wall time."""
    from neuralab.claims.runner import ClaimFailure, ClaimSkipped

    counts: dict[str, int] = {}
    for r in results:
        label = ("failed" if isinstance(r, ClaimFailure) else
                 "needs --budget full" if isinstance(r, ClaimSkipped) else r.verdict.verdict)
        counts[label] = counts.get(label, 0) + 1
    shown = ", ".join(f"{n} {label}" for label, n in counts.items())
    return f"{shown} ({len(results)} claims, {wall:.0f} s)"


def verdict_table(results: list) -> str:
    """The verdict table of :func:`~neuralab.claims.runner.run_claims`' results."""
    from neuralab.claims.runner import ClaimFailure, ClaimSkipped

    rows = []
    for r in results:
        if isinstance(r, ClaimFailure):
            rows.append((r.claim.id, r.budget, "failed", str(r.error)[:60], "", "", "", "",
                         f"{r.seconds:.1f}", r.run_id))
            continue
        if isinstance(r, ClaimSkipped):
            rows.append((r.claim.id, r.budget, r.reason, "", "", "", "", "", "", None))
            continue
        v = r.verdict
        if r.budget == "smoke":
            rows.append((r.claim.id, r.budget, SMOKE_SENTENCE, "", "", "", "", v.n_seeds,
                         f"{r.seconds:.1f}", r.run_id))
            continue
        cmp = ">" if v.direction == "greater" else "<"
        lo, hi = v.interval
        rows.append((r.claim.id, r.budget, v.verdict, v.decided or v.measure, f"{v.effect:.4g}",
                     f"[{lo:.3g}, {hi:.3g}]", f"{cmp} {v.threshold:g}", v.n_seeds,
                     f"{r.seconds:.1f}", r.run_id))
    return format_table(("claim", "budget", "verdict", "deciding part", "effect",
                         "90% interval", "threshold", "seeds", "seconds", "run"), rows)


@app.command("table")
def table(
    runs_dir: RunsDir = None,
    quick_runs_dir: Annotated[Path | None, typer.Option(
        help="A run store with the quick runs (e.g. the demo's), for the quick-verdict column.")] = None,
    out: Annotated[Path, typer.Option(
        help="The verdicts page to update: the new table goes on top, earlier ones are kept "
             "below it.")] = Path("docs/verdicts.md"),
) -> None:
    """Put the full-budget verdicts of a run store on top of the verdicts page (with the quick
    verdicts beside them and the earlier verdicts from the page), keeping earlier tables; the
    claims the store did not re-run keep their rows of the page's newest table, dated."""
    from neuralab.claims.runner import resolve_claims
    from neuralab.claims.verdicts_doc import (carried_rows, earlier_verdicts, quick_run_seconds,
                                              render_table, update_page, verdict_rows)
    from neuralab.config import read_config_text

    check_out_file(out)
    page = read_config_text(out, "verdicts page") if out.is_file() else ""
    quick = store_at(quick_runs_dir) if quick_runs_dir is not None else None
    rows = verdict_rows(store_at(runs_dir), quick, earlier_verdicts(page))
    registered = set(resolve_claims([], all_claims=True))
    carried = {k: v for k, v in carried_rows(page).items()
               if k in registered and k not in {r["claim"] for r in rows}}
    missing = sorted(registered - {r["claim"] for r in rows} - set(carried))
    section = render_table(rows, missing=missing, carried=carried,
                           quick_seconds=quick_run_seconds(quick) if quick is not None else None)
    typer.echo(f"{len(rows)} claims written to {update_page(out, section)}"
               + (f", {len(carried)} carried over from its newest table" if carried else "")
               + (f" ({len(missing)} with no full run under the interval rule)" if missing else ""))
