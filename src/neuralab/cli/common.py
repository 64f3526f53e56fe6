"""Shared command-line options and output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from neuralab.atomic import check_writable
from neuralab.errors import NeuralabError
from neuralab.store import RunStore

RunsDir = Annotated[
    Path | None,
    typer.Option("--runs-dir", envvar="NEURALAB_HOME",
                 help="Run store directory (default: ./neuralab-runs).", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DEVICE_HELP = "cpu, cuda, cuda:N or auto (cuda when this machine has one, else cpu)"
Device = Annotated[str | None, typer.Option(
    "--device", help=f"Where to train: {DEVICE_HELP}. Default: the config's train.device (cpu).",
    show_default=False)]


def device_setting(device: str) -> str:
    """``--device`` checked on this machine, as the setting to record (``auto``: cpu or cuda)."""
    from neuralab.devices import device_name

    return device_name(device, "--device")


def store_at(runs_dir: Path | None) -> RunStore:
    """The run store at ``runs_dir`` (--runs-dir / NEURALAB_HOME), after checking that it can be one."""
    store = RunStore(runs_dir)
    check_store_root(store.root)
    return store


def check_store_root(root: Path) -> None:
    """Refuse a run store path that is a file, lies under a file, or cannot be written.

    Nothing is created here; the store makes its directories on its first write.
    """
    shown = f"run store {str(root)!r} (--runs-dir / NEURALAB_HOME)"
    check_writable(root, shown)
    runs = root / "runs"
    if runs.exists() and not runs.is_dir():
        raise NeuralabError(f"{shown}: {str(runs)!r} is a file, not a directory")


def check_out_file(path: Path, option: str = "--out") -> Path:
    """``path``, if a command may write its output file there (see :func:`check_writable`)."""
    check_writable(path, f"{option} {str(path)!r}", file=True)
    return path


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain, aligned text table."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
