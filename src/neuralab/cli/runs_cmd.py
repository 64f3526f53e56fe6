"""``neuralab runs list|show|rm|repair``: the run store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from neuralab.cli.common import (JsonFlag, RunsDir, check_out_file, format_table, print_json,
                                 store_at)
from neuralab.errors import NeuralabError
from neuralab.store import RunInfo

app = typer.Typer(help="List, show, remove recorded runs; rebuild the index.", no_args_is_help=True)


@app.command("list")
def list_runs(
    kind: Annotated[str | None, typer.Option(help="Only runs of this kind (train, sweep, ...).")] = None,
    parent: Annotated[str | None, typer.Option(help="Only the members of this run.")] = None,
    runs_dir: RunsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """List runs, oldest first (sweep and demo members included); with --json, each run's
    settings (its config.json) too."""
    store = store_at(runs_dir)
    runs = store.list(kind=kind, parent=None if parent is None else store.get(parent).id)
    if json_out:
        print_json([{**r.to_dict(), "config": _config_or_none(r)} for r in runs])
        return
    rows = [(r.id, r.kind, r.status, r.step, r.parent or "", "" if r.member is None else r.member,
             _headline(r.summary), time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)))
            for r in runs]
    typer.echo(format_table(("id", "kind", "status", "step", "parent", "member", "result", "created"),
                            rows))


def _config_or_none(run: RunInfo) -> dict | None:
    """A run's config, or None when its config.json is missing or damaged (the list still shows
    the run; `runs show` names the problem)."""
    try:
        return run.config()
    except NeuralabError:
        return None


def _headline(summary: dict) -> str:
    for key in ("test_accuracy", "test_loss", "verdict"):
        if key in summary:
            v = summary[key]
            return f"{key} {v:.4g}" if isinstance(v, float) else f"{key} {v}"
    return ""


@app.command("show")
def show(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    runs_dir: RunsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Show a run: config, status, summary and its latest metrics."""
    from neuralab.engine.metrics import read_records

    info = store_at(runs_dir).get(run)
    records = list(read_records(info.records_path))
    if json_out:
        print_json({**info.to_dict(), "config": info.config(), "records": records})
        return
    typer.echo(f"run {info.id}  ({info.kind}, {info.status}, step {info.step})")
    typer.echo(f"path: {info.path}")
    if info.parent:
        typer.echo(f"parent: {info.parent} (member {info.member})")
    cfg = info.config()
    for section in ("data", "model", "optim", "schedule"):
        if isinstance(cfg.get(section), dict):
            params = ", ".join(f"{k}={v}" for k, v in cfg[section].items() if k != "name")
            typer.echo(f"{section}: {cfg[section].get('name')}  {params}")
    if info.summary:
        typer.echo(format_table(("metric", "value"), sorted(info.summary.items())))


@app.command("rm")
def rm(
    runs: Annotated[list[str], typer.Argument(help="Run ids (or prefixes).")],
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Confirm removing several runs (several ids, or a prefix matching "
        "several runs).")] = False,
    runs_dir: RunsDir = None,
) -> None:
    """Remove runs (and their members) from the index and from disk.

    One id (or a prefix matching one run) is removed at once; several ids, or a prefix matching
    several runs, need --yes. A run that a live process is training is never removed."""
    store = store_at(runs_dir)
    matched = {r: store.match(r) for r in runs}  # resolve all first: nothing is removed on a bad id
    infos = list({i.id: i for found in matched.values() for i in found}.values())
    if len(infos) > 1 and not yes:
        many = next((r for r, found in matched.items() if len(found) > 1), None)
        what = (f"run id prefix {many!r} matches {len(matched[many])} runs" if many
                else f"{len(infos)} runs were named")
        raise NeuralabError(f"{what} ({', '.join(i.id for i in infos[:3])}"
                            f"{', ...' if len(infos) > 3 else ''}); add --yes to remove them all")
    gone: set[str] = set()
    for info in infos:
        if info.id not in gone:
            for removed in store.remove(info.id):
                gone.add(removed)
                typer.echo(f"removed {removed}")


@app.command("repair")
def repair(runs_dir: RunsDir = None) -> None:
    """Rebuild the run index from the run directories (the old index file is kept aside)."""
    store = store_at(runs_dir)
    if not store.root.is_dir():
        raise NeuralabError(f"no run store at {str(store.root)!r}; pass --runs-dir")
    ids, kept = store.repair()
    if kept is not None:
        typer.echo(f"old index moved to {kept}")
    typer.echo(f"index rebuilt from {len(ids)} run directories: {store.index_path}")


@app.command("export")
def export(
    runs: Annotated[list[str], typer.Argument(help="Run ids (or unique prefixes); a sweep brings "
                                                   "its members.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, parquet or jsonl.")] = "csv",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write (default: stdout; parquet needs a file).")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Export the runs' tidy records (run, member, step, layer, metric, value) to a file."""
    from neuralab.results import FORMATS, export_records, run_records

    if fmt not in FORMATS:
        raise NeuralabError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if out is not None:
        check_out_file(out)
    rows = run_records(store_at(runs_dir), runs)
    text = export_records(rows, fmt, out)
    if text is not None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"wrote {len(rows)} records to {out}", err=True)
