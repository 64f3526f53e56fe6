"""Bad input to every command: one line on stderr, exit status 2, no traceback, nothing written.

Each case is an argv for ``neuralab`` and what the run store and the working directory hold
before it runs. A case runs :func:`neuralab.cli.main` in a child forked from this process, which
has already imported the command line, torch and every registered part (a fresh interpreter per
case would spend seconds importing torch), in a fresh working directory with a fresh run store
(``NEURALAB_HOME``), one child per CPU at a time. The test then checks that the command exited
with status 2, that stderr is exactly one line ``error: ...`` naming what was wrong, that no
traceback was printed, and that no file under the case's directory (working directory and store)
was created, changed or removed.

The cases are built by loops over commands, hyper-parameters and bad values (see ``CASES``).
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import signal
import sqlite3
import stat
import sys
import time
import traceback
import types
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Union

import pytest
import typer.main
from pydantic.fields import FieldInfo

import neuralab.claims.runner  # noqa: F401  (the commands' lazy imports, done once here)
import neuralab.claims.verdicts_doc  # noqa: F401
import neuralab.compress.runs  # noqa: F401
import neuralab.engine.run_model  # noqa: F401
import neuralab.engine.sweep_store  # noqa: F401
import neuralab.probes.runner  # noqa: F401
import neuralab.report.site  # noqa: F401
import neuralab.results  # noqa: F401
from neuralab.cli import app, main
from neuralab.compress.runs import quantize_run
from neuralab.config import build_config
from neuralab.engine.sweep import expand
from neuralab.engine.sweep_store import run_sweep
from neuralab.engine.trainer import train
from neuralab.registry import REGISTRY
from neuralab.store import RunStore

REGISTRY.load_parts()
COMMAND = typer.main.get_command(app)  # the click command main() builds on every call

TIMEOUT_S = 20  # for one case; each takes well under a second
TRAIN = ("train", "--data", "xor_clusters", "--progress", "none")
BASE = {"data": {"name": "xor_clusters", "n_train": 64, "n_test": 32},
        "model": {"name": "mlp", "width": 8}, "optim": {"name": "sgd", "lr": 0.1},
        "train": {"steps": 4, "batch_size": 16, "eval_every": 0, "eval_train_examples": 32}}


# -- the table -----------------------------------------------------------------------------------
Setup = Callable[[Path, Path], None]  # (working directory, store directory) -> None


@dataclass(frozen=True)
class Case:
    """``neuralab ARGV`` must fail with one line that contains ``says``.

    ``{run}``, ``{member}``, ``{sweep}`` and ``{quantized}`` in ``argv`` stand for the ids of the
    recorded runs of :func:`recorded_runs`, which the store holds when ``store == "runs"``
    (``"none"``: no store yet). ``setup`` prepares files in the working directory or the store.
    """

    argv: tuple[str, ...]
    says: str
    store: str = "none"
    setup: Setup | None = None

    @property
    def id(self) -> str:
        shown = " ".join(repr(a) if not a or " " in a or not a.isprintable() else a
                         for a in self.argv)
        return shown if len(shown) <= 120 else shown[:117] + "..."


def case(*argv: str, says: str, store: str = "none", setup: Setup | None = None) -> Case:
    return Case(tuple(argv), says, store, setup)


def in_cwd(name: str, content: bytes | str) -> Setup:
    """A setup that writes the file ``name`` in the working directory."""
    def write(cwd: Path, home: Path) -> None:
        data = content.encode() if isinstance(content, str) else content
        (cwd / name).write_bytes(data)
    return write


def a_directory(name: str) -> Setup:
    def make(cwd: Path, home: Path) -> None:
        (cwd / name).mkdir()
        (cwd / name / "mine.txt").write_text("keep me")
    return make


def a_symlink_loop(name: str) -> Setup:
    def make(cwd: Path, home: Path) -> None:
        (cwd / name).symlink_to(name)
    return make


def a_broken_symlink(name: str) -> Setup:
    def make(cwd: Path, home: Path) -> None:
        (cwd / name).symlink_to(cwd / "nowhere")
    return make


def a_fifo(name: str) -> Setup:
    """A named pipe: like /dev/null, a path a file must not replace."""
    def make(cwd: Path, home: Path) -> None:
        os.mkfifo(cwd / name)
    return make


def a_damaged_index(cwd: Path, home: Path) -> None:
    (home / "index.sqlite").write_bytes(b"garbage, not a database" * 100)


def a_forged_index_row(cwd: Path, home: Path) -> None:
    """An index row whose id would point outside the store, next to a directory it would hit."""
    (home.parent / "victim").mkdir()
    (home.parent / "victim" / "precious.txt").write_text("keep me")
    with sqlite3.connect(home / "index.sqlite") as conn:
        conn.execute("INSERT INTO runs (id, kind, status, created, updated) "
                     "VALUES ('../../victim', 'train', 'completed', 0, 0)")
    conn.close()


def a_failed_sweep(cwd: Path, home: Path) -> None:
    """The recorded sweep marked failed, as if it had been interrupted."""
    with sqlite3.connect(home / "index.sqlite") as conn:
        conn.execute("UPDATE runs SET status = 'failed' WHERE kind = 'sweep'")
    conn.close()


# Bad values by what they break.
NON_FINITE = ("nan", "inf", "-inf")
NOT_AN_INT = ("abc", "true", "[1]", "1e400", "1.5")
NOT_A_FLOAT = ("abc", "true", "[1]", "1e400")
BAD_RUN_IDS = ("", " ", "../x", "a/b", "nope", "2099", "%", "_", "\udcff", "x\x00y", "7" * 5000)

# Settings of a training run (data xor_clusters, model mlp) by the type they hold.
INT_SETTINGS = ("model.width", "model.depth", "model.embed_dim", "model.base_width",
                "model.dropout_samples", "data.n_train", "data.n_test", "seed", "train.steps",
                "train.batch_size", "train.eval_every", "train.eval_batch_size",
                "train.eval_train_examples", "train.checkpoint_every", "train.keep_checkpoints",
                "schedule.warmup")
FLOAT_SETTINGS = ("optim.lr", "optim.momentum", "optim.weight_decay", "model.dropout",
                  "data.noise", "train.grad_clip", "train.init_scale")
OUT_OF_RANGE = (
    ("data.n_train=0", "data.n_train"), ("data.n_train=-5", "data.n_train"),
    ("data.n_test=0", "data.n_test"), ("data.noise=-1.0", "data.noise"),
    ("model.width=0", "model.width"), ("model.width=-3", "model.width"),
    ("model.depth=-1", "model.depth"), ("model.dropout=-0.1", "model.dropout"),
    ("model.dropout=1.0", "model.dropout"), ("model.dropout=1.5", "model.dropout"),
    ("model.head_dropout=-0.5", "model.head_dropout"), ("model.dropout_samples=0", "dropout"),
    ("train.steps=0", "train.steps"), ("train.steps=-1", "train.steps"),
    ("train.batch_size=0", "train.batch_size"), ("train.batch_size=-8", "train.batch_size"),
    ("train.eval_every=-1", "train.eval_every"), ("train.eval_batch_size=0", "eval_batch_size"),
    ("train.keep_checkpoints=0", "train.keep_checkpoints"),
    ("train.checkpoint_every=-1", "train.checkpoint_every"),
    ("train.grad_clip=0.0", "train.grad_clip"), ("train.grad_clip=-1.0", "train.grad_clip"),
    ("train.init_scale=0.0", "train.init_scale"), ("seed=-1", "seed"),
    ("optim.lr=0.0", "optim.lr"), ("optim.lr=-0.1", "optim.lr"),
    ("optim.momentum=1.0", "optim.momentum"), ("optim.momentum=-0.5", "optim.momentum"),
    ("optim.weight_decay=-1.0", "optim.weight_decay"), ("schedule.warmup=-1", "schedule.warmup"),
    ("model.width=1000000000000", "model 'mlp'"), ("model.width=1000000000", "model 'mlp'"),
    ("data.n_train=1000000000000", "n_train"),
)
MALFORMED_SETS = (
    ("model.width", "model.width"), ("=5", "'=5'"), (".width=3", "width"),
    ("model..width=3", "model..width"), ("model.=3", "model."),
    ("model.width.x=3", "width"), ("data=3", "data"), ("model={}", "model.name"),
    ("unknown.x=1", "unknown"), ("name=[1]", "name"), ("model.name=3", "model"),
    ("train.device=tpu", "train.device"), ("train.nope=1", "train.nope"),
    ("model.widht=3", "model.widht"), ("model.activation=rellu", "rellu"),
    ("model.norm=layr", "layr"), ("model.init=hee", "hee"),
    ("model.parametrization=mupp", "mupp"), ("optim.name=adamm", "adamm"),
    ("optim.betas=[1.5, 0.9]", "beta"), ("optim.betas=[0.9]", "optim.betas"),
    ("train.tensorboard=3", "train.tensorboard"), ("schedule.name=cosin", "cosin"),
    ("model.width=" + "[" * 5000, "nested too deeply"),
)


def _takes_float(annotation: object) -> bool:
    """Whether a hyper-parameter annotated so is a float that must be finite."""
    if annotation is float:
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *meta = typing.get_args(annotation)
        allows = any(getattr(m, "allow_inf_nan", None) for f in meta if isinstance(f, FieldInfo)
                     for m in f.metadata)
        return not allows and _takes_float(inner)
    if origin in (Union, types.UnionType):
        return float in typing.get_args(annotation)
    return False


def float_parameters(kind: str, name: str) -> list[str]:
    """The float hyper-parameters of the registered part ``(kind, name)``."""
    factory = REGISTRY.get(kind, name).factory
    target = factory.__init__ if isinstance(factory, type) else factory
    hints = typing.get_type_hints(target, include_extras=True)
    return [p for p in REGISTRY.get(kind, name).hyperparameters
            if p not in ("device", "dtype", "generator") and _takes_float(hints.get(p))]


def unknown_names() -> list[Case]:
    return [
        case(*TRAIN, "--model", "mpl", says="unknown model 'mpl'"),
        case("train", "--data", "mnist2d", says="unknown dataset 'mnist2d'"),
        case(*TRAIN, "--optim", "adamm", says="unknown optimizer 'adamm'"),
        case(*TRAIN, "--schedule", "cosin", says="unknown schedule 'cosin'"),
        case("list", "modle", says="did you mean 'model'"),
        case("info", "model", "mpl", says="did you mean 'mlp'"),
        case("info", "nokind", "mlp", says="unknown kind 'nokind'"),
        case("info", "probe", "hesian", says="hesian"),
        case("data", "show", "mnist2d", says="did you mean 'mnist1d'"),
        case("claims", "run", "mnist1d_baseline", says="mnist1d_baseline"),
        case("claims", "run", "mnist1d_baselines", "nosuch_claim", says="nosuch_claim"),
        case("claims", "show", "nosuch_claim", says="nosuch_claim"),
        case("claims", "run", "mnist1d_baselines", "--budget", "huge", says="unknown budget"),
        case("claims", "run", "mnist1d_baselines", "--budget", "", says="budget"),
        case("claims", "run", "mnist1d_baselines", "--executor", "slurm", says="slurm"),
        case("demo", "nosuch_claim", says="nosuch_claim"),
        case("demo", "--budget", "huge", says="huge"),
        case("probe", "{run}", "hesian", says="did you mean 'hessian'", store="runs"),
        case("probe", "{run}", "", says="probe", store="runs"),
        case("prune", "{run}", "--method", "nosuch", says="unknown pruner 'nosuch'", store="runs"),
        case("prune", "{run}", "--schedule", "weekly", says="weekly", store="runs"),
        case("quantize", "{run}", "--method", "nosuch", says="unknown quantizer 'nosuch'",
             store="runs"),
        case("sweep", "grid.toml", "--executor", "slurm", says="--executor",
             setup=in_cwd("grid.toml", '[base]\n[grid]\nseed = [0, 1]\n')),
        case(*TRAIN, "--set", "data.activation=nope", "--data", "teacher_student", says="nope"),
        case(*TRAIN, "--device", "gpu", says="--device 'gpu' is not a device; allowed: cpu"),
        case(*TRAIN, "--device", "cuda:x", says="--device 'cuda:x'"),
        case(*TRAIN, "--device", "", says="--device ''"),
        case(*TRAIN, "--set", 'train.device="tpu"', says="train.device: unknown device"),
        case("claims", "run", "mnist1d_baselines", "--device", "gpu", says="--device 'gpu'"),
        case("demo", "--device", "gpu", says="--device 'gpu'"),
        case("sweep", "grid.toml", "--device", "gpu", says="--device 'gpu'",
             setup=in_cwd("grid.toml", '[base]\n[grid]\nseed = [0, 1]\n')),
    ]


def wrong_types() -> list[Case]:
    """Values of the wrong type: each bad value in a few settings, two in turn in the others."""
    everything = ("model.width", "data.n_train", "train.steps", "seed", "optim.lr")
    ints, floats = itertools.cycle(NOT_AN_INT), itertools.cycle(NOT_A_FLOAT)
    bad = {key: NOT_AN_INT if key in INT_SETTINGS else NOT_A_FLOAT for key in everything}
    bad |= {key: (next(ints), next(ints)) for key in INT_SETTINGS if key not in everything}
    bad |= {key: (next(floats), next(floats)) for key in FLOAT_SETTINGS if key not in everything}
    cases = [case(*TRAIN, "--set", f"{key}={value}", says=key)
             for key, values in bad.items() for value in values]
    cases += [case(*TRAIN, flag, value, says=flag)
              for flag in ("--steps", "--batch-size", "--seed", "--checkpoint-every")
              for value in ("abc", "1.5", "")]
    cases += [case(*TRAIN, "--lr", value, says="--lr") for value in ("abc", "", "1e3x")]
    cases += [case("data", "show", "xor_clusters", "--set", f"n_train={value}", says="n_train")
              for value in NOT_AN_INT]
    return cases


def non_finite() -> list[Case]:
    """A non-finite value in every float hyper-parameter a command line can set: nan, inf and
    -inf in turn (each parameter gets one of them), all three for the settings of a training run
    and the float options of the commands."""
    values = itertools.cycle(NON_FINITE)
    cases = []
    sections = (("dataset", "data", "--data"), ("model", "model", "--model"),
                ("optimizer", "optim", "--optim"), ("schedule", "schedule", "--schedule"))
    for kind, section, flag in sections:
        for name in REGISTRY.names(kind):
            cases += [case("train", "--progress", "none", flag, name, "--set",
                           f"{section}.{param}={next(values)}", says=f"{section}.{param}")
                      for param in float_parameters(kind, name)]
    for kind, command in (("pruner", "prune"), ("quantizer", "quantize")):
        for name in REGISTRY.names(kind):
            cases += [case(command, "{run}", "--method", name, "--set", f"{param}={next(values)}",
                           says=param, store="runs")
                      for param in float_parameters(kind, name) if param != "sparsity"]
    for name in REGISTRY.names("probe"):
        compares = "other" in REGISTRY.get("probe", name).hyperparameters
        second = ("--with", "{run}") if compares else ()
        cases += [case("probe", "{run}", name, *second, "--set", f"{param}={next(values)}",
                       says=param, store="runs") for param in float_parameters("probe", name)]
    for value in NON_FINITE:
        cases += [case(*TRAIN, "--set", f"{setting}={value}", says=setting)
                  for setting in ("optim.lr", "model.dropout", "data.noise", "train.grad_clip",
                                  "train.init_scale")]
        cases += [case(*TRAIN, "--lr", value, says="optim.lr"),
                  case("prune", "{run}", "--sparsity", value, says="sparsity", store="runs"),
                  case("prune", "{run}", "--lr", value, "--steps", "2", says="--lr", store="runs"),
                  case("quantize", "{run}", "--lr", value, "--steps", "2", says="--lr",
                       store="runs"),
                  case("data", "show", "xor_clusters", "--set", f"noise={value}", says="noise")]
    return cases


def out_of_range() -> list[Case]:
    cases = [case(*TRAIN, "--set", setting, says=says) for setting, says in OUT_OF_RANGE]
    cases += [case(*TRAIN, flag, value, says=says) for flag, value, says in (
        ("--steps", "0", "train.steps"), ("--steps", "-5", "train.steps"),
        ("--batch-size", "0", "train.batch_size"), ("--seed", "-1", "seed"),
        ("--lr", "0", "optim.lr"), ("--lr", "-1", "optim.lr"),
        ("--checkpoint-every", "-1", "train.checkpoint_every"))]
    cases += [case("prune", "{run}", *args, says=says, store="runs") for args, says in (
        (("--sparsity", "1.5"), "sparsity"), (("--sparsity", "-0.1"), "sparsity"),
        (("--rounds", "0"), "--rounds"), (("--steps", "-1"), "--steps"),
        (("--set", "min_keep=-1"), "min_keep"), (("--set", "sparsity=0.5"), "sparsity"),
        (("--lr", "0", "--steps", "2"), "--lr"), (("--lr", "-1", "--steps", "2"), "--lr"),
        (("--seed", "-1"), "--seed"),
        (("--schedule", "gradual"), "--steps"), (("--set", "nope=1"), "nope"),
        (("--set", "=1"), "'=1'"), (("--set", "noequals"), "noequals"),
        (("--method", "channel_l1", "--schedule", "gradual", "--steps", "2"), "oneshot"))]
    cases += [case("quantize", "{run}", *args, says=says, store="runs") for args, says in (
        (("--bits", "0"), "bits"), (("--bits", "-1"), "bits"), (("--bits", "abc"), "--bits"),
        (("--method", "fake_per_tensor", "--bits", "0"), "bits"),
        (("--method", "fake_per_tensor", "--bits", "100"), "bits"),
        (("--steps", "-1"), "--steps"), (("--lr", "0", "--steps", "2"), "--lr"),
        (("--set", "nope=1"), "nope"), (("--set", "bits"), "bits"), (("--seed", "-1"), "--seed"))]
    cases += [case("probe", "{run}", "hessian", *args, says=says, store="runs") for args, says in (
        (("--examples", "0"), "--examples"), (("--examples", "-1"), "--examples"),
        (("--split", "valid"), "--split"), (("--set", "top_k=0"), "top_k"),
        (("--set", "top_k=abc"), "top_k"), (("--set", "nope=1"), "nope"),
        (("--set", "noequals"), "noequals"), (("--with", "{run}"), "--with"),
        (("--set", "other=1"), "--with"))]
    cases += [case("data", "show", "xor_clusters", "--set", s, says=says) for s, says in (
        ("n_train=-1", "n_train"), ("noise=-1.0", "noise"), ("nope=1", "nope"),
        ("n_train=1000000000000", "n_train"), ("=1", "'=1'"))]
    return cases


def malformed_overrides() -> list[Case]:
    return [case(*TRAIN, "--set", item, says=says) for item, says in MALFORMED_SETS]


def run_ids() -> list[Case]:
    """Empty, malformed, unknown and oversized run ids, wherever a command takes one."""
    commands = (("runs", "show", "{id}"), ("runs", "rm", "{id}"), ("runs", "export", "{id}"),
                ("runs", "list", "--parent", "{id}"), ("train", "--resume", "{id}"),
                ("probe", "{id}", "hessian"), ("probe", "{run}", "cka", "--with", "{id}"),
                ("prune", "{id}", "--no-timing"), ("quantize", "{id}", "--no-timing"))
    others = itertools.cycle(BAD_RUN_IDS[2:])
    cases = []
    for command in commands:  # every bad id where runs are shown and removed, some elsewhere
        ids = BAD_RUN_IDS if command[:2] in (("runs", "show"), ("runs", "rm")) else (
            "", " ", next(others), next(others), next(others))
        for bad in ids:
            says = "must be non-empty" if not bad.strip() else "run"
            argv = [bad if a == "{id}" else a for a in command]
            cases.append(case(*argv, says=says, store="runs"))
    for command in commands[:5]:  # no store at all
        argv = ["nope" if a == "{id}" else a for a in command]
        cases.append(case(*argv, says="unknown run 'nope'"))
    cases += [
        case("runs", "rm", "{run}", "", says="must be non-empty", store="runs"),
        case("runs", "rm", "{run}", "nope", says="unknown run 'nope'", store="runs"),
        case("runs", "rm", "2", says="--yes", store="runs"),
        case("runs", "export", "{run}", "nope", says="unknown run 'nope'", store="runs"),
        case("train", "--resume", "{run}", says="already completed", store="runs"),
        case("train", "--resume", "{run}", "--steps", "5", says="train.steps", store="runs"),
        case("train", "--resume", "{run}", "--set", "model.width=3", says="--set", store="runs"),
        case("train", "--resume", "{run}", "--data", "mnist1d", says="data.name", store="runs"),
        case("train", "--resume", "{run}", "--config", "c.toml", says="--config", store="runs",
             setup=in_cwd("c.toml", "seed = 1\n")),
        case("train", "--resume", "{member}", says="already completed", store="runs"),
        case("train", "--resume", "{sweep}", says="{sweep}", store="runs"),
        case("train", "--resume", "{quantized}", says="{quantized}", store="runs"),
        case("train", "--resume", "{sweep}", says="only train runs", store="runs",
             setup=a_failed_sweep),
        case("probe", "{sweep}", "hessian", says="no model", store="runs"),
        case("prune", "{sweep}", says="no model", store="runs"),
        case("prune", "{quantized}", says="quantized", store="runs"),
        case("quantize", "{quantized}", says="quantized", store="runs"),
        case("probe", "2", "hessian", says="ambiguous", store="runs"),
    ]
    return cases


UTF16 = "seed = 1\n".encode("utf-16")
NOT_UTF8 = b"seed = 1\n# \xff\xfe\xfa\n"
DEEP = "a = " + "[" * 3000 + "]" * 3000 + "\n"


def bad_files() -> list[Case]:
    """Config and sweep files that are missing, not files, not text, not TOML or not sweeps."""
    files = [  # (path, setup, what the line says)
        ("missing.toml", None, "not found"),
        ("adir", a_directory("adir"), "a directory"),
        ("utf16.toml", in_cwd("utf16.toml", UTF16), "UTF-16"),
        ("latin.toml", in_cwd("latin.toml", NOT_UTF8), "not UTF-8"),
        ("deep.toml", in_cwd("deep.toml", DEEP), "nested too deeply"),
        ("/dev/zero", None, "not a regular file"),
        ("afile/config.toml", in_cwd("afile", "x"), "a file"),
        ("loop.toml", a_symlink_loop("loop.toml"), "symlink loop"),
        ("syntax.toml", in_cwd("syntax.toml", "seed = = 1\n"), "not valid TOML"),
        ("binary.toml", in_cwd("binary.toml", bytes(range(256))), "UTF-8"),
        ("", None, "config"),
    ]
    cases = [case(*TRAIN, "--config", path, says=says, setup=setup) for path, setup, says in files]
    cases += [case("sweep", path, says=says, setup=setup) for path, setup, says in files
              if path]
    configs = (  # TOML that parses but is no run config
        ('nope = 1\n', "nope"), ('[model]\nname = "mpl"\n', "mpl"), ('model = 3\n', "model"),
        ('[model]\nwidth = "wide"\n', "model.width"), ('seed = "zero"\n', "seed"),
        ('[train]\nsteps = 0\n', "train.steps"), ('[optim]\nlr = nan\n', "optim.lr"),
        ('[data]\nname = "xor_clusters"\nn_train = -1\n', "n_train"),
    )
    cases += [case("train", "--progress", "none", "--config", "run.toml", says=says,
                   setup=in_cwd("run.toml", text)) for text, says in configs]
    sweeps = (  # (file name, content, what the line says)
        ("s.py", "SWEEP = {\n", "syntax error"),
        ("s.py", "raise RuntimeError('no data here')\n", "RuntimeError"),
        ("s.py", "import sys\nsys.exit(7)\n", "sys.exit(7)"),
        ("s.py", "x = 1\n", "SWEEP"),
        ("s.py", "SWEEP = 3\n", "SWEEP"),
        ("s.py", "SWEEP = {'base': {}, 'grid': {'model.width': 'abc'}}\n", "grid"),
        ("s.py", "import sys\nsys.exit()\n", "sys.exit"),
        ("s.py", "1 / 0\n", "ZeroDivisionError"),
        ("s.py", "raise SystemExit('bye')\n", "bye"),
        ("s.toml", "[grid]\nseed = 3\n", "seed"),
        ("s.toml", "[grid]\nseed = []\n", "seed"),
        ("s.toml", "nope = 1\n", "nope"),
        ("s.toml", '[base]\nmodel = { name = "mpl" }\n', "mpl"),
        ("s.toml", "[grid]\n\"model.width\" = [0, 8]\n", "model.width"),
        ("s.toml", "[grid]\n\"optim.lr\" = [nan]\n", "optim.lr"),
        ("s.toml", "[[runs]]\nseed = -1\n", "seed"),
        ("s.toml", "runs = 3\n", "runs"),
        ("s.toml", "grid = 3\n", "grid"),
        ("s.toml", "max_members = 0\n[grid]\nseed = [0]\n", "max_members"),
    )
    cases += [case("sweep", name, "--progress", "none", says=says, setup=in_cwd(name, text))
              for name, text, says in sweeps]
    grid = in_cwd("grid.toml", '[base]\ntrain = { steps = 2 }\n[grid]\nseed = [0, 1]\n')
    cases += [case("sweep", "grid.toml", *args, says=says, setup=grid) for args, says in (
        (("--set", "train.steps=0"), "train.steps"), (("--set", "model.width=abc"), "model.width"),
        (("--set", "noequals"), "noequals"), (("--progress", "fancy"), "--progress"),
        (("--address", "10.0.0.1:6379"), "--address"), (("--executor", ""), "--executor"))]
    data_files = (
        ("file:missing.npz", None, "not found"),
        ("file:adir.npz", a_directory("adir.npz"), "adir.npz"),
        ("file:data.txt", in_cwd("data.txt", "1,2\n"), ".npz"),
        ("file:bad.npz", in_cwd("bad.npz", b"not a zip file"), "bad.npz"),
        ("file:bad.pt", in_cwd("bad.pt", b"not a torch file"), "bad.pt"),
        ("file:t.csv", in_cwd("t.csv", "a,b\n1,2\n"), "target"),
        ("file:", None, "data"),
    )
    cases += [case("train", "--progress", "none", "--data", path, says=says, setup=setup)
              for path, setup, says in data_files]
    return cases


def usage_errors() -> list[Case]:
    """Unknown commands and options, missing arguments and values, extra arguments."""
    argvs = (
        (("frobnicate",), "frobnicate"), (("--nope",), "--nope"),
        (("train", "--nope"), "--nope"), (("train", "-x"), "-x"), (("train", "extra"), "extra"),
        (("train", "--steps"), "--steps"), (("train", "--progress"), "--progress"),
        (("train", "--progress", "fancy"), "--progress"), (("train", "--resume"), "--resume"),
        (("train", "--config"), "--config"), (("sweep",), "'file'"),
        (("runs", "frob"), "frob"), (("runs", "show"), "'run'"), (("runs", "rm"), "'runs'"),
        (("runs", "rm", "x", "--yes=no"), "--yes"), (("runs", "export"), "'runs'"),
        (("runs", "list", "--nope"), "--nope"), (("runs", "list", "--kind"), "--kind"),
        (("runs", "repair", "extra"), "extra"), (("probe",), "'run'"), (("probe", "x"), "'name'"),
        (("prune",), "'run'"), (("quantize",), "'run'"), (("info",), "'kind'"),
        (("info", "model"), "'name'"), (("list", "model", "x"), "x"),
        (("list", "--json=x"), "--json"),
        (("data", "show"), "'name'"), (("data", "frob"), "frob"),
        (("claims", "show"), "Missing argument"), (("claims", "frob"), "frob"),
        (("claims", "table", "extra"), "extra"), (("claims", "list", "--nope"), "--nope"),
        (("report", "--nope"), "--nope"), (("report", "extra"), "extra"),
        (("demo", "--nope"), "--nope"),
    )
    return [case(*argv, says=says) for argv, says in argvs]


def output_paths() -> list[Case]:
    """Where a report, an export or the verdicts page may not go."""
    foreign = a_directory("notes")
    afile = in_cwd("afile", "x")
    cases = [case("report", "--out", out, says=says, setup=setup, store="runs")
             for out, setup, says in (
                 ("/", None, "filesystem root"), ("", None, "empty"), (" ", None, "empty"),
                 ("afile", afile, "not a directory"), ("afile/site", afile, "which is a file"),
                 ("/proc/x", None, "/proc/x"), ("notes", foreign, "--force"),
                 ("/dev/null", None, "not a directory"), ("/sys/x", None, "/sys/x"))]
    cases += [case("demo", "mnist1d_baselines", "--out", out, says=says, setup=setup,
                   store="runs") for out, setup, says in (
        ("/", None, "filesystem root"), ("", None, "empty"), ("afile", afile, "not a directory"),
        ("notes", foreign, "notes"), ("/proc/x", None, "/proc/x"))]
    cases += [case("runs", "export", "{run}", "--out", out, *fmt, says=says, setup=setup,
                   store="runs") for out, fmt, setup, says in (
        ("adir", (), a_directory("adir"), "adir"), ("afile/x.csv", (), afile, "afile"),
        ("/proc/x/y.csv", (), None, "/proc/x"), ("", (), None, "--out"),
        ("/", (), None, "'/'"), ("x.parquet", ("--format", "xml"), None, "--format"),
        ("pipe", (), a_fifo("pipe"), "not a regular file"))]
    cases += [case("runs", "export", "{run}", "--format", fmt, says="--format", store="runs")
              for fmt in ("xml", "", "CSV")]
    cases += [case("runs", "export", "{run}", "--format", "parquet", says="--out", store="runs")]
    cases += [case("claims", "table", "--out", out, says=says, setup=setup, store="runs")
              for out, setup, says in (
                  ("adir", a_directory("adir"), "adir"), ("afile/v.md", afile, "afile"),
                  ("/proc/x/v.md", None, "/proc/x"), ("", None, "--out"), ("/", None, "'/'"),
                  ("pipe", a_fifo("pipe"), "not a regular file"),
                  ("latin.md", in_cwd("latin.md", NOT_UTF8), "not UTF-8"))]
    cases += [case("claims", "table", "--quick-runs-dir", "afile", says="afile", setup=afile,
                   store="runs")]
    return cases


def jobs_and_threads() -> list[Case]:
    cases = []
    for command in (("demo", "mnist1d_baselines"), ("claims", "run", "mnist1d_baselines")):
        for flag in ("--jobs", "--threads"):
            cases += [case(*command, flag, value, says=flag) for value in ("0", "-1", "abc", "")]
    cases += [case("claims", "run", says="at least one claim id"),
              case("claims", "run", "mnist1d_baselines", "--all", says="not both"),
              case("claims", "run", "mnist1d_baselines", "--address", "x:1", says="--address")]
    return cases


def stores() -> list[Case]:
    """Run stores that cannot be one, and a damaged or forged index."""
    afile = in_cwd("afile", "x")
    cases = []
    for command in (("runs", "list"), ("runs", "repair"), ("claims", "list"),
                    (*TRAIN, "--steps", "2")):
        for where, setup, says in (("afile", afile, "is a file"),
                                   ("afile/store", afile, "lies under"),
                                   ("gone/store", a_broken_symlink("gone"), "broken symlink"),
                                   ("/proc/x", None, "/proc/x")):
            cases.append(case(*command, "--runs-dir", where, says=says, setup=setup))
    for command in (("runs", "list"), ("runs", "show", "{run}"), ("runs", "rm", "{run}"),
                    ("runs", "export", "{run}"), (*TRAIN, "--steps", "2"),
                    ("probe", "{run}", "hessian"), ("prune", "{run}"), ("claims", "list"),
                    ("report", "--out", "site"), ("train", "--resume", "{run}")):
        cases.append(case(*command, says="neuralab runs repair", store="runs",
                          setup=a_damaged_index))
    for command in (("runs", "list"), ("runs", "rm", "../../victim"),
                    ("runs", "show", "../../victim"), ("train", "--resume", "../../victim"),
                    ("probe", "../../victim", "hessian"), ("runs", "export", "../"),
                    ("runs", "rm", "../", "--yes")):
        cases.append(case(*command, says="invalid run id", store="runs",
                          setup=a_forged_index_row))
    return cases


CASES = (unknown_names() + wrong_types() + non_finite() + out_of_range() + malformed_overrides()
         + run_ids() + bad_files() + usage_errors() + output_paths() + jobs_and_threads()
         + stores())


# -- running the cases ---------------------------------------------------------------------------
WORKERS = max(1, min(4, len(os.sched_getaffinity(0))))  # cases running at once: one per CPU


@dataclass
class Outcome:
    """What a case did: its exit status (None: killed after TIMEOUT_S), its output, and the paths
    under its directory (working directory and store) that it created, changed or removed."""

    code: int | None
    out: str
    err: str
    changed: list[str]


def fill(text: str, ids: dict[str, str]) -> str:
    """``text`` with ``{run}``, ``{member}``, ... replaced by the recorded runs' ids."""
    for name, run_id in ids.items():
        text = text.replace("{" + name + "}", run_id)
    return text


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under ``root`` (but ``skip``): its type, and a file's size and mtime."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in dirnames + filenames:
            info = os.lstat(os.path.join(dirpath, name))
            is_file = stat.S_ISREG(info.st_mode)
            found[os.path.join(dirpath, name)] = (stat.S_IFMT(info.st_mode),
                                                  info.st_size if is_file else 0,
                                                  info.st_mtime_ns if is_file else 0)
    return found


def start(bad: Case, where: Path, runs: tuple[Path, dict[str, str]]) -> tuple[int, dict]:
    """Make the case's working directory and store under ``where`` and fork its child;
    returns the child's pid and the snapshot of ``where`` before it ran."""
    cwd, home, io = where / "cwd", where / "home", where / "io"
    cwd.mkdir(parents=True)
    io.mkdir()
    store, ids = runs
    if bad.store == "runs":
        shutil.copytree(store, home)
    if bad.setup:
        bad.setup(cwd, home)
    before = snapshot(where, skip=io)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child([fill(a, ids) for a in bad.argv], cwd, {"NEURALAB_HOME": str(home)},
               io / "stdout", io / "stderr")
    return pid, before


def finish(where: Path, status: int | None, before: dict) -> Outcome:
    io = where / "io"
    after = snapshot(where, skip=io)
    changed = sorted(os.path.relpath(p, where) for p in before.keys() | after.keys()
                     if before.get(p) != after.get(p))
    return Outcome(None if status is None else os.waitstatus_to_exitcode(status),
                   (io / "stdout").read_text(errors="replace"),
                   (io / "stderr").read_text(errors="replace"), changed)


def run_all(indices: list[int], base: Path,
            runs: tuple[Path, dict[str, str]]) -> dict[int, Outcome]:
    """Run the cases ``indices`` of CASES, WORKERS at a time; their outcomes by index."""
    pending, running, outcomes = list(indices), {}, {}
    try:
        while pending or running:
            while pending and len(running) < WORKERS:
                index = pending.pop(0)
                pid, before = start(CASES[index], base / str(index), runs)
                running[pid] = (index, time.monotonic(), before)
            for pid, (index, started, before) in list(running.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                if not done and time.monotonic() - started > TIMEOUT_S:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    done, status = pid, None
                if done:
                    del running[pid]
                    outcomes[index] = finish(base / str(index), status, before)
            time.sleep(0.001)
    finally:  # interrupted: leave no child behind
        for pid in running:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return outcomes


@pytest.fixture(scope="module")
def recorded_runs(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A run store with a trained run, a sweep of two members and a quantized run; their ids."""
    root = tmp_path_factory.mktemp("recorded") / "store"
    store = RunStore(root)
    run = train(build_config(BASE), store=store, progress="none").run_id
    sweep = run_sweep(expand({"base": BASE, "grid": {"seed": [0, 1]}}), store, progress="none")
    quantized = quantize_run(store, run, method="dynamic_int8", timing=False).run_id
    return root, {"run": run, "member": sweep.run_ids[0], "sweep": sweep.sweep_id,
                  "quantized": quantized}


@pytest.fixture(scope="module")
def outcomes(request, recorded_runs, tmp_path_factory) -> dict[int, Outcome]:
    """The outcomes of the cases selected in this session (all of them, or those of -k)."""
    selected = [item.callspec.params["index"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")]
    return run_all(selected, tmp_path_factory.mktemp("cases"), recorded_runs)


def _child(argv: list[str], cwd: Path, env: dict[str, str], out: Path, err: Path) -> None:
    """Run the command as the ``neuralab`` script would, then leave without pytest's cleanup."""
    code = 70
    try:
        os.chdir(cwd)
        os.environ.update(env)
        for fd, path in ((1, out), (2, err)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
        _plain_interpreter_output()
        build = typer.main.get_command  # main() would rebuild the click command: most of its time
        typer.main.get_command = lambda typer_app: COMMAND if typer_app is app else build(typer_app)
        try:
            main(argv)
            code = 0
        except SystemExit as exc:  # as the interpreter reports it
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _plain_interpreter_output() -> None:
    """Warnings and log records go to stderr as in a plain ``python`` process (pytest records
    them in this one)."""
    warnings.resetwarnings()
    warnings.simplefilter("default")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)
    warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: (
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line)))
    logging.root.handlers.clear()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(index, outcomes, recorded_runs):
    bad, outcome = CASES[index], outcomes[index]
    says = fill(bad.says, recorded_runs[1])
    lines = outcome.err.splitlines()
    assert outcome.code is not None, f"still running after {TIMEOUT_S} s: {outcome.err[-2000:]}"
    assert "Traceback" not in outcome.out + outcome.err, outcome.err
    assert outcome.code == 2, (outcome.code, outcome.err[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0][7:].strip(), lines
    assert says in lines[0], (says, lines[0][:2000])
    assert not outcome.changed, outcome.changed


def test_the_table_covers_every_command():
    """Every command that ``neuralab --help`` lists (and every command of its groups) has cases."""
    groups = {name: set(getattr(command, "commands", None) or ())
              for name, command in COMMAND.commands.items()}
    commands = {f"{g} {sub}" if subs else g for g, subs in groups.items() for sub in subs or [""]}

    def command_of(argv: tuple[str, ...]) -> str:
        return f"{argv[0]} {argv[1]}" if groups.get(argv[0]) and argv[1:] else argv[0]

    assert commands <= {command_of(c.argv) for c in CASES}
    assert len(CASES) >= 300
