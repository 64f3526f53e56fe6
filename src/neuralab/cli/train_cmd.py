"""``neuralab train``: train one model, or resume a killed run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from neuralab.cli.common import (Device, JsonFlag, RunsDir, device_setting, format_table, print_json,
                                 store_at)
from neuralab.errors import NeuralabError

Progress = typer.Option(help="auto: a bar on a terminal, plain lines otherwise.")


def install(app: typer.Typer) -> None:
    app.command("train")(train_command)


def train_command(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML run config.")] = None,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", "-s", help="Override a setting: --set model.width=64 (repeatable).")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (neuralab list model).")] = None,
    data: Annotated[str | None, typer.Option(
        help="Dataset name (neuralab list dataset), or file:PATH for your own .npz, .csv or .pt "
             "(a CSV also needs --set data.target=COLUMN).")] = None,
    optim: Annotated[str | None, typer.Option(help="Optimizer name (neuralab list optimizer).")] = None,
    schedule: Annotated[str | None, typer.Option(help="LR schedule name.")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    steps: Annotated[int | None, typer.Option(help="Training steps.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size.")] = None,
    seed: Annotated[int | None, typer.Option(help="Run seed (init, data order, dropout).")] = None,
    name: Annotated[str | None, typer.Option(help="A label for the run.")] = None,
    checkpoint_every: Annotated[int | None, typer.Option(help="Checkpoint every N steps.")] = None,
    tensorboard: Annotated[Path | None, typer.Option(
        help="Also write TensorBoard event files into DIR/<run id> (the tensorboard extra).",
        metavar="DIR")] = None,
    resume_run: Annotated[str | None, typer.Option(
        "--resume", help="Continue this run id from its latest checkpoint.")] = None,
    device: Device = None,
    runs_dir: RunsDir = None,
    progress: Annotated[str, Progress] = "auto",
    json_out: JsonFlag = False,
) -> None:
    """Train one model and record it in the run store."""
    from neuralab.config import load_config
    from neuralab.devices import device_name
    from neuralab.engine.trainer import resume, train

    store = store_at(runs_dir)
    if progress not in ("auto", "bar", "lines", "none"):
        raise typer.BadParameter("must be one of auto, bar, lines, none", param_hint="--progress")
    settings = {"model.name": model, "data.name": data, "optim.name": optim,
                "schedule.name": schedule, "optim.lr": lr, "train.steps": steps,
                "train.batch_size": batch_size, "seed": seed, "name": name,
                "train.checkpoint_every": checkpoint_every,
                "train.tensorboard": str(tensorboard.resolve()) if tensorboard else None,
                "train.device": device_setting(device) if device is not None else None}
    if resume_run is not None:  # an empty id is refused by the store, never read as "no resume"
        run = store.get(resume_run)
        given = [k for k, v in settings.items() if v is not None]
        given += [option for option, v in (("--config", config), ("--set", overrides)) if v]
        if given:
            raise NeuralabError(f"--resume continues run {run.id} with its recorded config; "
                                f"{', '.join(given)} cannot be given with it (start a new run)")
        result = resume(store, run.id, progress=progress)  # type: ignore[arg-type]
    else:
        sets = list(overrides or [])
        if data is not None and data.startswith("file:"):  # your own data: dataset `file`
            sets = ['data.name="file"', f"data.path={_toml(data.removeprefix('file:'))}", *sets]
            settings["data.name"] = None
        sets += [f"{k}={_toml(v)}" for k, v in settings.items() if v is not None]
        cfg = load_config(config, sets)
        cfg = cfg.on_device(device_name(cfg.train.device))  # auto: recorded as cpu or cuda
        result = train(cfg, store=store, progress=progress)  # type: ignore[arg-type]
    report(result, json_out)


def _toml(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def report(result: TrainResult, json_out: bool) -> None:
    if json_out:
        print_json({"run": result.run_id, "status": result.status, "step": result.step,
                    "metrics": result.metrics, "diverged_at": result.diverged_at})
    if result.status == "diverged":
        print(f"error: training diverged at step {result.diverged_at} (non-finite loss) in run "
              f"{result.run_id}; lower optim.lr or set train.grad_clip", file=sys.stderr)
        raise typer.Exit(1)
    if not json_out:
        rows = [(k, v) for k, v in result.metrics.items()]
        typer.echo(f"run {result.run_id}: {result.status} after {result.step} steps")
        typer.echo(format_table(("metric", "value"), rows))
