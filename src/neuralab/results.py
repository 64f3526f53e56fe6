"""Results out of the run store: tidy records as files or a DataFrame, and a run's trained model.

Every measurement is a tidy record ``{run, member, step, layer, metric, value}``
(:mod:`neuralab.engine.metrics`); claims add a few columns of their own (an arm, a seed). The
records of a run with members (a sweep) are its members' records. They go out as

- CSV or JSON lines (the standard library), or Parquet (pandas with pyarrow: the ``export``
  extra) — :func:`export_records`, ``neuralab runs export RUN... --format csv|parquet|jsonl``;
- a pandas DataFrame — :func:`records_frame`, ``RunStore.records(run_id)``;

and a trained run's weights load back into the model they came from — :func:`load_model`
(``nl.load_model(run_id)``), a plain ``torch.nn.Module`` with the run's ``model.safetensors``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuralab.atomic import atomic_path, atomic_write_text
from neuralab.errors import NeuralabError
from neuralab.store import RunStore

if TYPE_CHECKING:
    import pandas
    from torch import nn

RECORD_KEYS = ("run", "member", "step", "layer", "metric", "value")  # engine.metrics.RECORD_KEYS
FORMATS = ("csv", "parquet", "jsonl")
EXTRA = "pip install 'neuralab[export]'"


def run_records(store: RunStore, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The tidy records of ``run_ids`` (ids or unique prefixes) and of their members, in order."""
    from neuralab.engine.metrics import read_records

    infos = [store.get(r) for r in run_ids]  # every id resolved before anything is read
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for info in infos:
        for run in [info, *store.list(parent=info.id)]:
            if run.id in seen:
                continue
            seen.add(run.id)
            rows += [{**r, "run": r.get("run") or run.id} for r in read_records(run.records_path)]
    return rows


def columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    """The record keys first, then any other column in order of appearance."""
    extra: dict[str, None] = {}
    for r in rows:
        extra.update((k, None) for k in r if k not in RECORD_KEYS)
    return [*RECORD_KEYS, *extra]


def records_frame(rows: Sequence[dict[str, Any]]) -> pandas.DataFrame:
    """The records as a pandas DataFrame with the record columns first."""
    try:
        import pandas
    except ImportError:
        raise NeuralabError(f"records as a DataFrame need pandas: {EXTRA}") from None
    return pandas.DataFrame(list(rows), columns=columns(rows))


def export_records(rows: Sequence[dict[str, Any]], fmt: str, out: str | Path | None = None) -> str | None:
    """Write ``rows`` as ``fmt`` to ``out`` (atomically); without ``out``, return csv/jsonl text."""
    if fmt not in FORMATS:
        raise NeuralabError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "parquet":
        if out is None:
            raise NeuralabError("parquet is a binary format: give the file with --out PATH")
        frame = records_frame(rows)
        try:
            import pyarrow  # noqa: F401  (pandas' parquet engine)
        except ImportError:
            raise NeuralabError(f"parquet export needs pyarrow: {EXTRA}") from None
        with atomic_path(out) as tmp:
            frame.to_parquet(tmp, index=False)
        return None
    text = _csv(rows) if fmt == "csv" else "".join(json.dumps(_jsonable(r)) + "\n" for r in rows)
    if out is None:
        return text
    atomic_write_text(out, text)
    return None


def _csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return buffer.getvalue()


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    v = row.get("value")  # JSON has no NaN or infinity: write them as strings, as the run store does
    return {**row, "value": str(v)} if isinstance(v, float) and not math.isfinite(v) else row


def load_model(run_id: str, *, store: RunStore | None = None) -> nn.Module:
    """The trained model of run ``run_id`` (an id or unique prefix), in eval mode.

    The model is rebuilt from the run's config and loaded, strictly, from its latest
    ``model.safetensors`` (the last checkpoint of a trained run, the final weights of a sweep
    member). Any ``torch.nn.Module`` tool works on it from there.
    """
    from neuralab.engine.run_model import load_run_model

    return load_run_model(store or RunStore(), run_id)[2]
