"""Sweeps: a grid or list of run configs, split into populations, run locally or on Ray.

A sweep file (TOML, or a Python file defining ``SWEEP`` as the same dict) has a ``base`` run
config, an optional ``grid`` of dotted keys to lists (the cross product), and an optional ``runs``
list of overrides (each combined with every grid point)::

    name = "mlp-lr-width"
    [base]
    data = { name = "mnist1d" }
    model = { name = "mlp" }
    optim = { name = "adam" }
    train = { steps = 1000, eval_every = 250 }
    [grid]
    seed = [0, 1, 2]
    "optim.lr" = [1e-3, 3e-3]
    "model.width" = [32, 128]

:func:`split_populations` groups the configs by architecture family (``population_key``: members
may differ in seed, optimizer hyper-parameters, schedule, init scale, clipping and — for MLP/CNN
— width); each group trains as one :class:`~neuralab.engine.population.Population`. The local
executor runs the populations one after another in this process; the Ray executor sends each to
a Ray task (``ray.init(address)``: a running cluster, or a local instance when ``address`` is
None). Only the driver writes the run store: one ``sweep`` run and one member run per config
(``parent`` = the sweep, ``member`` = its index).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from neuralab.config import (RunConfig, apply_overrides, build_config, read_config_text,
                             read_toml)
from neuralab.engine.metrics import HEADLINE_METRICS, headline_metric  # noqa: F401 (re-exported)
from neuralab.engine.population import MemberResult, Population
from neuralab.engine.stacking import population_key
from neuralab.errors import ConfigError, NeuralabError

Executor = Literal["local", "ray"]
SWEEP_KEYS = ("name", "base", "grid", "runs", "max_members")


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: its name, its member configs (in order) and the raw spec."""

    name: str
    configs: tuple[RunConfig, ...]
    spec: dict[str, Any]
    max_members: int = 512


def _toml_literal(value: Any) -> str:
    return json.dumps(value)  # TOML accepts JSON numbers, strings, booleans and arrays


def expand(spec: Mapping[str, Any]) -> Sweep:
    """Validate a sweep spec (``base``, ``grid``, ``runs``) into its member configs."""
    unknown = set(spec) - set(SWEEP_KEYS)
    if unknown:
        raise ConfigError(f"sweep: unknown key(s) {sorted(unknown)}; allowed: {', '.join(SWEEP_KEYS)}")
    base = spec.get("base", {})
    grid = spec.get("grid", {})
    runs = spec.get("runs", [{}]) or [{}]
    if not isinstance(base, Mapping) or not isinstance(grid, Mapping) or not isinstance(runs, list):
        raise ConfigError("sweep: base must be a table, grid a table of lists, runs a list of tables")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"sweep: grid.{key} must be a non-empty list, got {values!r}")
    configs = []
    for run in runs:
        if not isinstance(run, Mapping):
            raise ConfigError(f"sweep: each runs entry must be a table of overrides, got {run!r}")
        for point in itertools.product(*grid.values()):
            sets = [f"{k}={_toml_literal(v)}" for k, v in flatten_settings(run).items()]
            sets += [f"{k}={_toml_literal(v)}" for k, v in zip(grid, point)]
            configs.append(build_config(apply_overrides(base, sets)))
    max_members = spec.get("max_members", 512)
    if isinstance(max_members, bool) or not isinstance(max_members, int) or max_members < 1:
        raise ConfigError(f"sweep: max_members must be a positive integer, got {max_members!r}")
    name = str(spec.get("name") or "sweep")
    return Sweep(name, tuple(configs), json.loads(json.dumps(dict(spec), default=str)), max_members)


def flatten_settings(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables as dotted keys: ``{"optim": {"lr": 0.1}}`` -> ``{"optim.lr": 0.1}``."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten_settings(v, key + "."))
        else:
            out[key] = v
    return out


def load_sweep(path: str | Path, overrides: Sequence[str] = ()) -> Sweep:
    """Read a sweep from TOML or from a Python file defining ``SWEEP``; ``overrides`` set ``base``."""
    path = Path(path)
    if path.suffix == ".py":
        spec = _run_sweep_script(path)
        if not isinstance(spec, Mapping):
            raise ConfigError(f"sweep file {str(path)!r} must define SWEEP = {{'base': ..., 'grid': ...}}")
    else:
        spec = read_toml(path, "sweep file")
    spec = dict(spec)
    if overrides:
        spec["base"] = apply_overrides(spec.get("base", {}), overrides)
    return expand(spec)


def _run_sweep_script(path: Path) -> Any:
    """``SWEEP`` from a Python sweep file; its syntax errors, exceptions and exits are one line."""
    source = read_config_text(path, "sweep file")
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise ConfigError(f"sweep file {str(path)!r} has a syntax error at line {exc.lineno}: "
                          f"{exc.msg}") from None
    namespace: dict[str, Any] = {"__name__": "__sweep__", "__file__": str(path)}
    try:
        exec(code, namespace)  # a sweep file is the user's own Python, as with runpy
    except SystemExit as exc:
        raise ConfigError(f"sweep file {str(path)!r} called sys.exit({exc.code!r}) instead of "
                          "defining SWEEP") from None
    except Exception as exc:
        line = _script_line(exc, str(path))
        raise ConfigError(f"sweep file {str(path)!r} raised {type(exc).__name__}{line}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    return namespace.get("SWEEP")


def _script_line(exc: BaseException, filename: str) -> str:
    """`` at line N``: the deepest line of ``filename`` in the traceback of ``exc``."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return f" at line {lines[-1]}" if lines else ""


def split_populations(configs: Sequence[RunConfig], max_members: int = 512) -> list[list[int]]:
    """Indices of ``configs`` grouped into populations (first-seen order, at most ``max_members``)."""
    groups: dict[str, list[int]] = {}
    for i, cfg in enumerate(configs):
        groups.setdefault(population_key(cfg), []).append(i)
    out = []
    for members in groups.values():
        out += [members[i:i + max_members] for i in range(0, len(members), max_members)]
    return out


def varying_keys(configs: Sequence[RunConfig]) -> list[str]:
    """The dotted settings whose values differ between ``configs`` (for tables)."""
    return varying_settings([c.to_dict() for c in configs])


def varying_settings(tables: Sequence[Mapping[str, Any]]) -> list[str]:
    """The dotted settings whose values differ between config ``tables`` (as ``to_dict`` gives
    them, or as a run store keeps them), sorted."""
    flat = [flatten_settings(t) for t in tables]
    keys = sorted({k for f in flat for k in f})
    return [k for k in keys if len({json.dumps(f.get(k), default=str) for f in flat}) > 1]


# -- executors ---------------------------------------------------------------------------------
Progress = Callable[[int], None]


def run_local(groups: Sequence[Sequence[RunConfig]], on_step: Progress | None = None,
              on_done: Callable[[int, list[MemberResult]], None] | None = None) -> list[list[MemberResult]]:
    """Train each population in this process, one after another."""
    results = []
    for g, configs in enumerate(groups):
        out = Population(configs).fit(on_step=on_step)
        if on_done:
            on_done(g, out)
        results.append(out)
    return results


def _ray_task(configs: list[dict[str, Any]], threads: int) -> list[MemberResult]:
    import torch

    torch.set_num_threads(max(1, threads))
    return Population([build_config(c) for c in configs]).fit()


@contextlib.contextmanager
def ray_session(address: str | None = None) -> Iterator[Any]:
    """The ``ray`` module, connected to ``address`` (a local instance when None) for the block.

    A local instance gets this checkout's sources on its workers' ``PYTHONPATH``; an instance
    started here is shut down afterwards. Used by sweeps and by ``neuralab claims run``.
    """
    try:
        import ray
    except ImportError:
        raise NeuralabError("--executor ray needs Ray: pip install 'neuralab[ray]'") from None
    started = not ray.is_initialized()
    if started:
        src = str(Path(__file__).resolve().parents[2])
        env = {"env_vars": {"PYTHONPATH": src}} if address is None else None
        try:
            ray.init(address=address, runtime_env=env, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise NeuralabError(f"cannot reach a Ray cluster at {address!r}: {exc}") from None
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def run_ray(groups: Sequence[Sequence[RunConfig]], address: str | None = None,
            on_step: Progress | None = None,
            on_done: Callable[[int, list[MemberResult]], None] | None = None,
            cpus_per_task: int = 1) -> list[list[MemberResult]]:
    """Train each population as a Ray task; a local Ray instance when ``address`` is None.

    Progress is reported per finished population (``on_done``); ``on_step`` is not called. A
    population on a CUDA device asks Ray for one GPU (Ray hides the GPUs from other tasks).
    """
    with ray_session(address) as ray:
        task = ray.remote(num_cpus=cpus_per_task)(_ray_task)
        pending = {task.options(num_gpus=_gpus(configs[0].train.device)).remote(
                       [c.to_dict() for c in configs], cpus_per_task): g
                   for g, configs in enumerate(groups)}
        results: list[list[MemberResult] | None] = [None] * len(groups)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            g = pending.pop(done[0])
            out = ray.get(done[0])
            results[g] = out
            if on_done:
                on_done(g, out)
        return [r for r in results if r is not None]


def _gpus(device: str) -> int:
    """The GPUs a Ray task training on ``device`` needs."""
    return 1 if device.startswith("cuda") else 0


def run_groups(groups: Sequence[Sequence[RunConfig]], executor: Executor = "local",
               address: str | None = None, on_step: Progress | None = None,
               on_done: Callable[[int, list[MemberResult]], None] | None = None) -> list[list[MemberResult]]:
    """Train populations with the chosen executor."""
    if executor == "local":
        if address is not None:
            raise NeuralabError("--address applies to --executor ray only")
        return run_local(groups, on_step, on_done)
    if executor == "ray":
        return run_ray(groups, address, on_step, on_done)
    raise NeuralabError(f"unknown executor {executor!r}; allowed: local, ray")

