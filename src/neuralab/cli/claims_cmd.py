"""``neuralab claims list|show|run``: papers' headline results as experiments with verdicts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from neuralab.cli.common import JsonFlag, RunsDir, format_table, print_json, store_at
from neuralab.errors import ConfigError
from neuralab.store import RunStore

# The names of neuralab.claims' budgets and executors, for the help text without importing the
# claims (and torch); tests/test_cli_fast.py checks they agree.
BUDGETS = ("smoke", "full")
EXECUTORS = ("local", "ray")

app = typer.Typer(help="List, show and run claims (papers' headline results).", no_args_is_help=True)

Budget = Annotated[str, typer.Option(help=f"One of: {', '.join(BUDGETS)}.")]
Threads = Annotated[int, typer.Option(min=1, help="torch intra-op threads while claims run.")]


def _latest(store: RunStore) -> dict:
    """Claim id -> the summary of its latest completed full-budget run, else smoke run: the rule
    of ``neuralab.claims.runner.latest_claim_runs``, read from the store without importing the
    claims (and torch); tests/test_cli_fast.py checks that both agree."""
    best: dict[str, dict] = {}
    for run in store.list(kind="claim"):  # oldest first
        claim_id = run.summary.get("claim")
        if run.status != "completed" or not claim_id:
            continue
        rank = BUDGETS.index(run.summary.get("budget", "smoke"))
        current = best.get(claim_id)
        if current is None or rank >= BUDGETS.index(current.get("budget", "smoke")):
            best[claim_id] = run.summary
    return dict(sorted(best.items()))


@app.command("list")
def list_claims(runs_dir: RunsDir = None, json_out: JsonFlag = False) -> None:
    """List the registered claims, with the latest verdict found in the run store."""
    from neuralab.catalog import entries_of

    latest = _latest(store_at(runs_dir))
    entries = entries_of("claim")
    if json_out:
        print_json([{**e["claim"], "latest": latest.get(e["name"])} for e in entries])
        return
    rows = []
    for e in entries:
        s = latest.get(e["name"])
        rows.append((e["name"], e["arxiv"] or "", (e["paper"] or "")[:48],
                     f"{s['verdict']} ({s['budget']})" if s else "not run"))
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
    budget: Budget = "smoke",
    executor: Annotated[str, typer.Option(
        help=f"One of: {', '.join(EXECUTORS)} (ray: one Ray task per claim).")] = "local",
    address: Annotated[str | None, typer.Option(
        help="Ray cluster address (default: start a local Ray instance).")] = None,
    threads: Threads = 1,
    runs_dir: RunsDir = None,
) -> None:
    """Run claims at a budget, print a verdict table, and record the results in the run store."""
    from neuralab.claims.runner import ClaimFailure, resolve_claims

    if claim_ids and all_claims:
        raise ConfigError("name claim ids or use --all, not both")
    results = run_and_print(resolve_claims(claim_ids or [], all_claims=all_claims), budget,
                            executor=executor, address=address, threads=threads,
                            store=store_at(runs_dir))
    if any(isinstance(r, ClaimFailure) for r in results):
        raise typer.Exit(1)


def run_and_print(ids: list[str], budget: str, *, executor: str, threads: int, store: RunStore,
                  address: str | None = None) -> list[ClaimResult | ClaimFailure]:
    """Run claims with progress on stderr, then print the verdict table on stdout."""
    from neuralab.claims.runner import ClaimFailure, check_options, run_claims

    check_options(ids, budget, executor, address)
    typer.echo(f"running {len(ids)} claim(s) at budget {budget!r}: {', '.join(ids)}", err=True)

    def progress(claim_id: str, message: str) -> None:
        typer.echo(f"[{claim_id}] {message}", err=True)

    def done(result: ClaimResult | ClaimFailure) -> None:
        if isinstance(result, ClaimFailure):
            typer.echo(f"[{result.claim.id}] failed: {result.error}", err=True)
        else:
            typer.echo(f"[{result.claim.id}] {result.verdict.sentence()} ({result.seconds:.1f}s)",
                       err=True)

    results = run_claims(ids, budget, store=store, executor=executor, address=address,
                         threads=threads, progress=progress, on_done=done)
    typer.echo(verdict_table(results))
    typer.echo(f"results recorded in {store.root}")
    sys.stdout.flush()
    return results


def verdict_table(results: list[ClaimResult | ClaimFailure]) -> str:
    from neuralab.claims.runner import ClaimFailure

    rows = []
    for r in results:
        if isinstance(r, ClaimFailure):
            rows.append((r.claim.id, r.budget, "failed", str(r.error)[:60], "", "", f"{r.seconds:.1f}",
                         r.run_id))
            continue
        v = r.verdict
        cmp = ">" if v.direction == "greater" else "<"
        rows.append((r.claim.id, r.budget, v.verdict, f"{v.effect:.4g} ± {v.spread:.2g}",
                     f"{cmp} {v.threshold:g}", len(v.per_seed), f"{r.seconds:.1f}", r.run_id))
    return format_table(("claim", "budget", "verdict", "effect ± sd", "threshold", "seeds",
                         "seconds", "run"), rows)
