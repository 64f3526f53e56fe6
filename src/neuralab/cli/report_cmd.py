"""``neuralab report``: the claims report (HTML and Markdown), rebuilt from the run store."""

from __future__ import annotations

from typing import Annotated

import typer

from neuralab.cli.common import RunsDir, store_at

DEFAULT_OUT = "report"  # neuralab.report.site.DEFAULT_OUT, without importing the report stack

Out = Annotated[str, typer.Option("--out", "-o", help="Directory to write the report into: new, "
                                   "empty, or a previous report.")]
Force = Annotated[bool, typer.Option("--force", help="Write into a non-empty directory that holds "
                                     "no report.")]


def install(app: typer.Typer) -> None:
    app.command("report")(report)


def report(out: Out = DEFAULT_OUT, force: Force = False, runs_dir: RunsDir = None) -> None:
    """Build the claims report from the run store (nothing is re-run)."""
    from neuralab.report.site import build_report

    index = build_report(store_at(runs_dir), out, force=force)
    typer.echo(f"report written to {index}")
