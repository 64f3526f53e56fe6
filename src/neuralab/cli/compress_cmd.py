"""``neuralab prune RUN`` and ``neuralab quantize RUN``: compress a run into a new run."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from neuralab.cli.common import JsonFlag, RunsDir, format_table, print_json, store_at
from neuralab.errors import ConfigError

def _sets(kind: str, example: str) -> Any:
    return Annotated[list[str] | None, typer.Option(
        "--set", "-s", help=f"A hyper-parameter of the method: --set {example} (repeatable; "
                            f"`neuralab info {kind} METHOD` lists them).")]


PruneSets = _sets("pruner", "min_keep=10")
QuantizeSets = _sets("quantizer", "avg_bits=3 (with --method hawq)")
Steps = Annotated[int, typer.Option(min=0, help="Fine-tuning / training steps (0: none).")]
Seed = Annotated[int, typer.Option(min=0, help="Seed of fine-tuning and random scores.")]
NoTiming = Annotated[bool, typer.Option("--no-timing", help="Skip the CPU latency measurement.")]


def install(app: typer.Typer) -> None:
    app.command("prune")(prune)
    app.command("quantize")(quantize)


def _params(sets: list[str] | None) -> dict[str, Any]:
    from neuralab.config import parse_value

    out = {}
    for item in sets or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r} must look like name=value (e.g. min_keep=10)")
        out[key.strip()] = parse_value(value.strip())
    return out


def _report(result: Compressed, json_out: bool) -> None:
    if json_out:
        print_json({"run": result.run_id, "parent": result.parent, "method": result.method,
                    "before": result.before, "after": result.after})
        return
    typer.echo(f"run {result.run_id}: {result.method} of {result.parent}")
    typer.echo(format_table(("metric", "before", "after", "after/before"), result.rows()))


def prune(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix) to prune.")],
    method: Annotated[str, typer.Option(help="Pruner (neuralab list pruner).")] = "global_magnitude",
    sparsity: Annotated[float, typer.Option(help="Fraction of prunable weights (units) removed.")] = 0.9,
    schedule: Annotated[str, typer.Option(help="oneshot, gradual (cubic, during --steps) or "
                                          "iterative (--rounds of prune + retrain).")] = "oneshot",
    steps: Steps = 0,
    lr: Annotated[float, typer.Option(help="Fine-tuning learning rate (Adam).")] = 1e-3,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds of the iterative schedule.")] = 3,
    sets: PruneSets = None,
    seed: Seed = 0,
    no_timing: NoTiming = False,
    runs_dir: RunsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Prune RUN into a new run and print the before/after table."""
    from neuralab.compress.runs import prune_run

    result = prune_run(store_at(runs_dir), run, method=method, sparsity_target=sparsity,
                       params=_params(sets), schedule=schedule, steps=steps, lr=lr,  # type: ignore[arg-type]
                       rounds=rounds, seed=seed, timing=not no_timing)
    _report(result, json_out)


def quantize(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix) to quantize.")],
    method: Annotated[str, typer.Option(help="Quantizer (neuralab list quantizer).")] = "static_int8",
    bits: Annotated[int | None, typer.Option(help="Bit width, for quantizers that take one.")] = None,
    steps: Steps = 0,
    lr: Annotated[float, typer.Option(help="Fine-tuning learning rate (Adam).")] = 1e-4,
    sets: QuantizeSets = None,
    seed: Seed = 0,
    no_timing: NoTiming = False,
    runs_dir: RunsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Quantize RUN into a new run and print the before/after table."""
    from neuralab.compress.runs import quantize_run

    params = _params(sets)
    if bits is not None:
        params["bits"] = bits
    result = quantize_run(store_at(runs_dir), run, method=method, params=params, steps=steps,
                          lr=lr, seed=seed, timing=not no_timing)
    _report(result, json_out)
