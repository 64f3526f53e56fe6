"""``neuralab demo``: the main job — the MNIST-1D baseline table."""

from __future__ import annotations

from typing import Annotated

import typer

from neuralab.baselines import BASELINES, PAPER_ACCURACY, run_baselines
from neuralab.cli.common import RunsDir, format_table, store_at


def install(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per model.")] = 3,
    steps: Annotated[int, typer.Option(min=1, help="Training steps per run.")] = 3000,
    models: Annotated[list[str] | None, typer.Option("--model", help="Only these models.")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Train the MNIST-1D baselines (logistic, MLP, CNN, GRU) over seeds; print the table."""
    store = store_at(runs_dir)
    chosen = models or list(BASELINES)
    typer.echo(f"MNIST-1D baselines: {', '.join(chosen)} x {seeds} seeds, {steps} steps each")

    def progress(model: str, seed: int, acc: float, seconds: float) -> None:
        typer.echo(f"  {model:<9} seed {seed}: test accuracy {acc:.3f}  ({seconds:.1f}s)", err=True)

    rows = run_baselines(store, models=chosen, seeds=range(seeds), steps=steps, on_run=progress)
    table = [(r.model, f"{r.mean:.3f} ± {r.std:.3f}", f"{PAPER_ACCURACY[r.model]:.2f}",
              f"{r.mean_seconds:.1f}") for r in rows]
    typer.echo(format_table(("model", "test accuracy (mean ± sd)", "paper", "seconds/run"), table))
    typer.echo(f"runs recorded in {store.root}")
