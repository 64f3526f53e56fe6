"""``neuralab sweep FILE``: train a grid or list of configs as populations; record every member."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from neuralab.cli.common import (Device, JsonFlag, RunsDir, device_setting, format_table, print_json,
                                 store_at)


def install(app: typer.Typer) -> None:
    app.command("sweep")(sweep_command)


def sweep_command(
    file: Annotated[Path, typer.Argument(help="Sweep file: TOML (base, grid, runs) or Python (SWEEP).")],
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", "-s", help="Override a base setting: --set train.steps=500 (repeatable).")] = None,
    executor: Annotated[str, typer.Option(help="local (this process) or ray.")] = "local",
    tensorboard: Annotated[Path | None, typer.Option(
        help="Also write TensorBoard event files into DIR/<member run id> (the tensorboard extra).",
        metavar="DIR")] = None,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster address (with --executor ray); default: start a local instance.")] = None,
    device: Device = None,
    runs_dir: RunsDir = None,
    progress: Annotated[str, typer.Option(help="auto: a bar on a terminal, lines otherwise; none.")] = "auto",
    json_out: JsonFlag = False,
) -> None:
    """Split the sweep into populations (one architecture family each), train, record."""
    from neuralab.devices import device_name
    from neuralab.engine.sweep import flatten_settings, load_sweep, varying_keys
    from neuralab.engine.sweep_store import run_sweep

    if executor not in ("local", "ray"):
        raise typer.BadParameter("must be local or ray", param_hint="--executor")
    if progress not in ("auto", "bar", "lines", "none"):
        raise typer.BadParameter("must be one of auto, bar, lines, none", param_hint="--progress")
    if address is not None and executor != "ray":
        raise typer.BadParameter("applies to --executor ray only", param_hint="--address")
    sets = list(overrides or []) + ([f'train.tensorboard="{tensorboard.resolve()}"'] if tensorboard else [])
    if device is not None:
        sets.append(f'train.device="{device_setting(device)}"')
    sweep = load_sweep(file, sets)
    # checked before anything is recorded; auto is recorded as the device it is here
    sweep = replace(sweep, configs=tuple(c.on_device(device_name(c.train.device))
                                         for c in sweep.configs))
    result = run_sweep(sweep, store_at(runs_dir), executor=executor,  # type: ignore[arg-type]
                       address=address, progress=progress)
    keys = varying_keys(sweep.configs)
    if json_out:
        print_json({"sweep": result.sweep_id, "summary": result.summary, "members": [
            {"member": m.index, "run": rid, "status": m.status, "step": m.step,
             "settings": {k: flatten_settings(m.config.to_dict()).get(k) for k in keys},
             "metrics": m.metrics}
            for m, rid in zip(result.members, result.run_ids)]})
    else:
        _table(result, keys)
    diverged = result.summary.get("diverged", 0)
    if diverged:
        print(f"error: {diverged} of {len(result.members)} sweep members diverged (non-finite "
              f"loss) in sweep {result.sweep_id}; lower optim.lr or set train.grad_clip",
              file=sys.stderr)
        raise typer.Exit(1)


def _table(result: SweepResult, keys: list[str]) -> None:
    from neuralab.engine.sweep import flatten_settings, headline_metric

    typer.echo(f"sweep {result.sweep_id}: {len(result.members)} members in "
               f"{len(result.populations)} population(s), {result.seconds:.1f}s")
    metric = headline_metric([m.metrics for m in result.members])
    rows = [(m.index, rid, m.status, *(flatten_settings(m.config.to_dict()).get(k) for k in keys),
             m.metrics.get(metric)) for m, rid in zip(result.members, result.run_ids)]
    typer.echo(format_table(("member", "run", "status", *keys, metric), rows))

