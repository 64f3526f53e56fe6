"""``neuralab probe RUN NAME``: run a registered probe on a recorded run's trained model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from neuralab.cli.common import JsonFlag, RunsDir, format_table, print_json, store_at
from neuralab.errors import ConfigError


def install(app: typer.Typer) -> None:
    app.command("probe")(probe_command)


def probe_command(
    run: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    name: Annotated[str, typer.Argument(help="Probe name (neuralab list probe).")],
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", "-s", help="A probe hyper-parameter: --set top_k=3 (repeatable).")] = None,
    other: Annotated[str | None, typer.Option(
        "--with", help="A second run, for probes that compare two models (cka, neuron_matching).")] = None,
    split: Annotated[str, typer.Option(help="Which examples to probe on: test or train.")] = "test",
    examples: Annotated[int, typer.Option(help="How many examples of the split.", min=1)] = 512,
    save: Annotated[bool, typer.Option("--save", help="Append the records to the run's records.")] = False,
    runs_dir: RunsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Measure a trained run's model with a probe; print (and optionally save) the records."""
    from torch import nn

    from neuralab.config import parse_value
    from neuralab.engine.metrics import RecordLog
    from neuralab.engine.run_model import load_run_model
    from neuralab.probes.runner import run_probe
    from neuralab.registry import REGISTRY

    entry = REGISTRY.get("probe", name)
    params = {}
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r} must look like key=value (e.g. top_k=3)")
        params[key.strip()] = parse_value(value.strip())
    needs_other = "other" in entry.hyperparameters
    if needs_other and entry.hyperparameters["other"].default is entry.hyperparameters["other"].empty \
            and other is None:
        raise ConfigError(f"probe {entry.name!r} compares two models; give the second with --with RUN")
    if "other" in params:
        raise ConfigError("give the second model with --with RUN, not --set other=...")
    if other is not None and not needs_other:
        raise ConfigError(f"probe {entry.name!r} reads one model; --with is not allowed")
    second = {"other": nn.Module()} if other is not None else {}  # stands in for the --with model
    entry.validate({**params, **second}, where=f"probe {entry.name!r}")
    if split not in ("train", "test"):
        raise ConfigError(f"--split must be train or test, got {split!r}")
    store = store_at(runs_dir)
    info, data, model = load_run_model(store, run)
    if other is not None:  # an empty id is refused by the store, never read as "no --with"
        params["other"] = load_run_model(store, other)[2]
    x, y = data.split(split)
    rows = run_probe(entry.name, model, x[:examples], y[:examples], run=info.id, step=info.step,
                     **params)
    if save:
        RecordLog(Path(info.records_path)).extend(rows)
    if json_out:
        print_json(rows)
        return
    typer.echo(f"probe {entry.name} on run {info.id} ({split}, {min(examples, len(x))} examples)")
    typer.echo(format_table(("layer", "metric", "value"), [(r["layer"] or "", r["metric"], r["value"])
                                                          for r in rows]))
