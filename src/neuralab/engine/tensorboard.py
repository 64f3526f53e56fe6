"""An optional TensorBoard view of a run's tidy records, through ``torch.utils.tensorboard``.

``train.tensorboard`` turns it on: ``true`` writes event files into the run's directory
(``runs/<id>/tensorboard``; ``./tensorboard`` for a run that is not recorded), a path writes them
into ``PATH/<run id>`` (so that one TensorBoard shows every run, a sweep's members side by side).
Every record becomes a scalar at its step, tagged ``metric``, ``layer/metric`` for per-layer
records, and prefixed ``member<i>/`` for records of population members other than 0 held in one
run (a sweep member's run is its own TensorBoard run, with the plain tags, so that the members'
curves share one chart). It needs the
``tensorboard`` package (``pip install 'neuralab[tensorboard]'``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from neuralab.errors import NeuralabError
from neuralab.store import RunInfo

EXTRA = "pip install 'neuralab[tensorboard]'"


def log_dir(setting: bool | str, run: RunInfo | None) -> Path | None:
    """Where ``train.tensorboard = setting`` puts the event files of ``run`` (None: nowhere)."""
    if setting is False or setting == "":
        return None
    if setting is True:
        return run.path / "tensorboard" if run else Path("tensorboard")
    return Path(setting) / run.id if run else Path(setting)


def tag(row: dict[str, Any], prefix_members: bool = True) -> str:
    """``[member<i>/][layer/]metric``."""
    name = f"{row['layer']}/{row['metric']}" if row.get("layer") else str(row["metric"])
    member = row.get("member") or 0
    return f"member{member}/{name}" if member and prefix_members else name


def writer_class() -> type:
    """torch's SummaryWriter; a one-line error when the tensorboard package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise NeuralabError(f"train.tensorboard needs the tensorboard package: {EXTRA}") from None
    return SummaryWriter


class TensorBoardSink:
    """Writes records as TensorBoard scalars into ``directory`` (created on the first write)."""

    def __init__(self, directory: str | Path, prefix_members: bool = True):
        self.directory = Path(directory)
        self.prefix_members = prefix_members
        self._writer_class = writer_class()
        self._writer: Any = None

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        if self._writer is None:
            self._writer = self._writer_class(log_dir=str(self.directory))
        for row in rows:
            if isinstance(row.get("value"), (int, float)):
                self._writer.add_scalar(tag(row, self.prefix_members), float(row["value"]), int(row["step"]))
        self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def sink_for(setting: bool | str, run: RunInfo | None) -> TensorBoardSink | None:
    """The sink ``train.tensorboard = setting`` asks for, or None."""
    directory = log_dir(setting, run)
    if directory is None:
        return None
    return TensorBoardSink(directory, prefix_members=run is None or run.member is None)
