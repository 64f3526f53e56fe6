"""The run store: one directory per run and an index in SQLite.

Layout under the store root (``./neuralab-runs`` by default; ``NEURALAB_HOME`` or ``--runs-dir``
move it)::

    index.sqlite                 runs(id, name, kind, status, step, parent, member, ...)
    runs/<run id>/config.json    the resolved config
    runs/<run id>/records.jsonl  tidy records {run, member, step, layer, metric, value}
    runs/<run id>/summary.json   final metrics
    runs/<run id>/checkpoints/   see neuralab.engine.checkpoint
    runs/<run id>/figures/

SQLite runs in WAL mode with a busy timeout; every write is one short parameterized transaction, so
several processes may record runs at once. Statuses: ``running``, ``completed``, ``diverged``,
``failed``; a ``running`` run whose process is gone is reported as ``interrupted``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuralab.atomic import atomic_write_json
from neuralab.errors import NeuralabError, UnknownNameError

DEFAULT_ROOT = "neuralab-runs"
STATUSES = ("running", "completed", "diverged", "failed", "interrupted")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id       TEXT PRIMARY KEY,
    name     TEXT,
    kind     TEXT NOT NULL,
    status   TEXT NOT NULL,
    step     INTEGER NOT NULL DEFAULT 0,
    parent   TEXT,
    member   INTEGER,
    created  REAL NOT NULL,
    updated  REAL NOT NULL,
    host     TEXT,
    pid      INTEGER,
    summary  TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS runs_parent ON runs(parent);
CREATE INDEX IF NOT EXISTS runs_kind ON runs(kind);
"""


def default_root() -> Path:
    return Path(os.environ.get("NEURALAB_HOME") or DEFAULT_ROOT)


@dataclass(frozen=True)
class RunInfo:
    """One row of the index, plus where the run's files are."""

    id: str
    name: str | None
    kind: str
    status: str
    step: int
    parent: str | None
    member: int | None
    created: float
    updated: float
    host: str | None
    pid: int | None
    summary: dict[str, Any]
    path: Path

    @property
    def records_path(self) -> Path:
        return self.path / "records.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    def config(self) -> dict[str, Any]:
        try:
            return json.loads(self.config_path.read_text())
        except FileNotFoundError:
            raise NeuralabError(f"run {self.id} has no config.json") from None
        except json.JSONDecodeError as exc:
            raise NeuralabError(f"run {self.id}: config.json is corrupt: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "status": self.status,
            "step": self.step, "parent": self.parent, "member": self.member,
            "created": self.created, "updated": self.updated, "summary": self.summary,
            "path": str(self.path),
        }


class RunStore:
    """The run index (SQLite) and run directories under ``root``."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else default_root()
        self.runs_dir = self.root / "runs"
        self._ready = False

    # -- connection ---------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.root / "index.sqlite", timeout=30.0)
        with closing(conn):
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            if not self._ready:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                self._ready = True
            yield conn

    # -- writes -------------------------------------------------------------------------------
    def create(self, config: dict[str, Any], *, kind: str = "train", name: str | None = None,
               parent: str | None = None, member: int | None = None) -> RunInfo:
        """Register a new run and write its config; returns its info."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        label = "".join(c if c.isalnum() or c in "-_" else "-" for c in (name or kind))[:40]
        run_id = f"{stamp}-{label}-{secrets.token_hex(3)}"
        path = self.runs_dir / run_id
        path.mkdir(parents=True)
        atomic_write_json(path / "config.json", config)
        now = time.time()
        with self._connect() as conn, conn:
            conn.execute(
                "INSERT INTO runs (id, name, kind, status, step, parent, member, created, updated,"
                " host, pid) VALUES (?, ?, ?, 'running', 0, ?, ?, ?, ?, ?, ?)",
                (run_id, name, kind, parent, member, now, now, socket.gethostname(), os.getpid()))
        return self.get(run_id)

    def update(self, run_id: str, *, status: str | None = None, step: int | None = None,
               summary: dict[str, Any] | None = None) -> None:
        """Update a run's status, step and/or summary (summary also written to summary.json)."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        sets, args = ["updated = ?", "pid = ?", "host = ?"], [time.time(), os.getpid(),
                                                             socket.gethostname()]
        if status is not None:
            sets.append("status = ?")
            args.append(status)
        if step is not None:
            sets.append("step = ?")
            args.append(int(step))
        if summary is not None:
            sets.append("summary = ?")
            args.append(json.dumps(summary, sort_keys=True))
            atomic_write_json(self.runs_dir / run_id / "summary.json", summary)
        with self._connect() as conn, conn:
            conn.execute(f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", (*args, run_id))

    def remove(self, run_id: str) -> list[str]:
        """Delete a run (and its sweep members) from the index and disk; returns the ids removed."""
        info = self.get(run_id)
        ids = [info.id] + [m.id for m in self.list(parent=info.id)]
        with self._connect() as conn, conn:
            conn.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in ids])
        for i in ids:
            shutil.rmtree(self.runs_dir / i, ignore_errors=True)
        return ids

    # -- reads --------------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return (self.root / "index.sqlite").exists()

    def get(self, run_id: str) -> RunInfo:
        """A run by id or by a unique prefix of its id."""
        if not self.exists:
            raise UnknownNameError("run", run_id, [])
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                rows = conn.execute("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\'",
                                    (_like_prefix(run_id),)).fetchall()
                if len(rows) > 1:
                    raise NeuralabError(
                        f"run id prefix {run_id!r} is ambiguous: {', '.join(r['id'] for r in rows[:5])}")
                row = rows[0] if rows else None
            if row is None:
                known = [r["id"] for r in conn.execute(
                    "SELECT id FROM runs ORDER BY created DESC LIMIT 20")]
                raise UnknownNameError("run", run_id, known)
        return self._info(row)

    def list(self, *, kind: str | None = None, parent: str | None = None,
             include_members: bool = True) -> list[RunInfo]:
        """Runs, oldest first, filtered by kind and/or parent."""
        where, args = [], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if parent is not None:
            where.append("parent = ?")
            args.append(parent)
        elif not include_members:
            where.append("parent IS NULL")
        if not self.exists:
            return []
        sql = "SELECT * FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "")
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY created, id", args).fetchall()
        return [self._info(r) for r in rows]

    def records(self, run_id: str) -> Any:
        """The tidy records of a run (and of its members) as a pandas DataFrame; needs pandas
        (``pip install 'neuralab[export]'``). See :mod:`neuralab.results`."""
        from neuralab.results import records_frame, run_records

        return records_frame(run_records(self, [run_id]))

    def _info(self, row: sqlite3.Row) -> RunInfo:
        status = row["status"]
        if status == "running" and row["host"] == socket.gethostname() and row["pid"]:
            if not _alive(int(row["pid"])):
                status = "interrupted"
        return RunInfo(
            id=row["id"], name=row["name"], kind=row["kind"], status=status, step=row["step"],
            parent=row["parent"], member=row["member"], created=row["created"],
            updated=row["updated"], host=row["host"], pid=row["pid"],
            summary=json.loads(row["summary"] or "{}"), path=self.runs_dir / row["id"])


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
