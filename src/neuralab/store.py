"""The run store: one directory per run and an index in SQLite.

Layout under the store root (``./neuralab-runs`` by default; ``NEURALAB_HOME`` or ``--runs-dir``
move it)::

    index.sqlite                 runs(id, name, kind, status, step, parent, member, ...)
    runs/<run id>/run.json       the run's index row (the source of truth ``runs repair`` reads)
    runs/<run id>/run.lock       held by the one process writing the run (neuralab.run_lock)
    runs/<run id>/config.json    the resolved config
    runs/<run id>/records.jsonl  tidy records {run, member, step, layer, metric, value}
    runs/<run id>/summary.json   final metrics
    runs/<run id>/checkpoints/   see neuralab.engine.checkpoint
    runs/<run id>/figures/

SQLite runs in WAL mode with a busy timeout; every write is one short parameterized transaction, so
several processes may record runs at once. Statuses: ``running``, ``completed``, ``diverged``,
``failed``; a ``running`` run whose process is gone is reported as ``interrupted``.

Run ids look like ``20240101-120000-mlp-1a2b3c`` (:data:`RUN_ID`); an id is checked against that
pattern wherever it becomes a path, so a forged index row cannot point outside the store. The run
directories are the source of truth: each holds its row as ``run.json``, and :meth:`RunStore.repair`
(``neuralab runs repair``) rebuilds a damaged index from them, keeping the damaged file aside.
"""

from __future__ import annotations

import json
import os
import re
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
from neuralab.errors import NeuralabError, UnknownNameError, quoted
from neuralab.run_lock import RunLock

DEFAULT_ROOT = "neuralab-runs"
INDEX = "index.sqlite"
RUN_FILE = "run.json"
STATUSES = ("running", "completed", "diverged", "failed", "interrupted")
#: A run id: creation time, a label of letters, digits, ``-`` and ``_``, and 6 hex digits.
RUN_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[\w-]{1,40}-[0-9a-f]{6}")
_COLUMNS = ("id", "name", "kind", "status", "step", "parent", "member", "created", "updated",
            "host", "pid", "summary")
_INSERT = f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"

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


def check_run_id(run_id: object) -> str:
    """``run_id`` if it has the store's id pattern (so it is safe as a path), else an error."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise NeuralabError(f"invalid run id {run_id!r}: a run id looks like "
                            "20240101-120000-mlp-1a2b3c; if it came from the index, rebuild it "
                            "with `neuralab runs repair`")
    return run_id


class DamagedIndexError(NeuralabError):
    """The SQLite index cannot be read; ``neuralab runs repair`` rebuilds it."""

    def __init__(self, path: Path, exc: BaseException):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        super().__init__(f"the run index {str(path)!r} is damaged ({first}); rebuild it from the "
                         "run directories with `neuralab runs repair`")


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
    @property
    def index_path(self) -> Path:
        return self.root / INDEX

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection to the index; an unreadable index is a :class:`DamagedIndexError`."""
        if not self._ready:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.index_path, timeout=30.0)
        except sqlite3.Error as exc:
            raise DamagedIndexError(self.index_path, exc) from None
        with closing(conn):
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA busy_timeout = 30000")
                if not self._ready:  # check before writing: a damaged file is kept as it is
                    columns = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
                    if columns and not set(_COLUMNS) <= columns:
                        missing = sorted(set(_COLUMNS) - columns)
                        raise sqlite3.DatabaseError(f"table runs lacks columns {missing}")
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.executescript(_SCHEMA)
                    self._ready = True
                yield conn
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise NeuralabError(f"the run index {str(self.index_path)!r} stayed locked "
                                        f"by another process for 30 s ({exc}); try again") from None
                raise DamagedIndexError(self.index_path, exc) from None
            except sqlite3.DatabaseError as exc:
                raise DamagedIndexError(self.index_path, exc) from None

    # -- writes -------------------------------------------------------------------------------
    def create(self, config: dict[str, Any], *, kind: str = "train", name: str | None = None,
               parent: str | None = None, member: int | None = None) -> RunInfo:
        """Register a new run and write its config; returns its info."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        label = "".join(c if c.isalnum() or c in "-_" else "-" for c in (name or kind))[:40]
        run_id = f"{stamp}-{label}-{secrets.token_hex(3)}"
        path = self.runs_dir / check_run_id(run_id)
        now = time.time()
        row = {"id": run_id, "name": name, "kind": kind, "status": "running", "step": 0,
               "parent": parent, "member": member, "created": now, "updated": now,
               "host": socket.gethostname(), "pid": os.getpid(), "summary": {}}
        with self._connect() as conn:  # a damaged index fails here, before anything is written
            path.mkdir(parents=True)
            try:
                atomic_write_json(path / "config.json", config)
                atomic_write_json(path / RUN_FILE, row)
                with conn:
                    conn.execute(_INSERT, _values(row))
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
        return self.get(run_id)

    def update(self, run_id: str, *, status: str | None = None, step: int | None = None,
               summary: dict[str, Any] | None = None) -> None:
        """Update a run's status, step and/or summary (summary also written to summary.json)."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        path = self.runs_dir / check_run_id(run_id)
        if not path.is_dir():  # removed: never re-create a deleted run's directory
            raise NeuralabError(f"run {run_id} was removed (no directory {str(path)!r})")
        changes: dict[str, Any] = {"updated": time.time(), "pid": os.getpid(),
                                   "host": socket.gethostname()}
        if status is not None:
            changes["status"] = status
        if step is not None:
            changes["step"] = int(step)
        if summary is not None:
            changes["summary"] = summary
            atomic_write_json(path / "summary.json", summary)
        row = {**_read_run_file(path), **changes}
        atomic_write_json(path / RUN_FILE, row)
        args = [json.dumps(v, sort_keys=True) if k == "summary" else v for k, v in changes.items()]
        with self._connect() as conn, conn:
            conn.execute(f"UPDATE runs SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                         (*args, run_id))

    def remove(self, run_id: str) -> list[str]:
        """Delete a run (and its sweep members) from the index and disk; returns the ids removed.

        Refused (:class:`~neuralab.run_lock.RunInUseError`) while a live process holds the lock of
        the run, of one of its members or of its parent sweep: each lock is taken before deleting.
        """
        info = self.get(run_id)
        ids = [info.id] + [m.id for m in self.list(parent=info.id)]
        guarded = ids + ([info.parent] if info.parent else [])
        locks = [RunLock(self.runs_dir / check_run_id(i), i) for i in guarded]
        try:
            for lock in locks:
                if lock.run_dir.is_dir():
                    lock.acquire()
            with self._connect() as conn, conn:
                conn.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in ids])
            for i in ids:
                shutil.rmtree(self.runs_dir / i, ignore_errors=True)
        finally:
            for lock in locks:
                lock.release()
        return ids

    def repair(self) -> tuple[list[str], Path | None]:
        """Rebuild the index from the run directories (their ``run.json``, else what their files
        tell); the old index file is moved aside, not deleted. Returns the ids indexed and where
        the old index went (None when there was none)."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        kept = None
        if self.index_path.exists() or self.index_path.is_symlink():
            state = "old" if self._healthy() else "damaged"
            stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
            kept = self.root / f"{INDEX}.{state}-{stamp}"
            os.replace(self.index_path, kept)
            for suffix in ("-wal", "-shm"):
                side = self.root / f"{INDEX}{suffix}"
                if side.exists():
                    os.replace(side, self.root / f"{kept.name}{suffix}")
        rows = [row for d in sorted(self.runs_dir.iterdir()) if (row := _row_from_dir(d))]
        self._ready = False
        with self._connect() as conn, conn:
            conn.executemany(_INSERT, [_values(r) for r in rows])
        return [r["id"] for r in rows], kept

    def _healthy(self) -> bool:
        try:
            with self._connect() as conn:
                return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok" and all(
                    RUN_ID.fullmatch(str(r[0])) for r in conn.execute("SELECT id FROM runs"))
        except NeuralabError:
            return False
        finally:
            self._ready = False

    # -- reads --------------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return self.index_path.exists()

    def match(self, run_id: str) -> list[RunInfo]:
        """The run with id ``run_id``, else every run whose id starts with it (oldest first);
        an empty ``run_id`` is refused. Raises :class:`UnknownNameError` when nothing matches."""
        if not isinstance(run_id, str) or not run_id.strip():
            raise NeuralabError(f"a run id (or a prefix of one) must be non-empty, got {run_id!r}; "
                                "see `neuralab runs list`")
        if not run_id.isprintable():  # a control character or an undecodable byte of argv
            raise NeuralabError(f"run id {quoted(run_id)} holds characters that no run id has; "
                                "a run id looks like 20240101-120000-mlp-1a2b3c (see "
                                "`neuralab runs list`)")
        if not self.exists:
            raise UnknownNameError("run", run_id, [])
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchall()
            if not rows:
                rows = conn.execute("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' "
                                    "ORDER BY created, id", (_like_prefix(run_id),)).fetchall()
            if not rows:
                known = [r["id"] for r in conn.execute(
                    "SELECT id FROM runs ORDER BY created DESC LIMIT 20")]
                raise UnknownNameError("run", run_id, known)
        return [self._info(r) for r in rows]

    def get(self, run_id: str) -> RunInfo:
        """A run by id or by a unique, non-empty prefix of its id."""
        runs = self.match(run_id)
        if len(runs) > 1:
            raise NeuralabError(f"run id prefix {run_id!r} is ambiguous: "
                                f"{', '.join(r.id for r in runs[:5])}")
        return runs[0]

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
        check_run_id(row["id"])
        status = row["status"]
        if status == "running" and row["host"] == socket.gethostname() and row["pid"]:
            if not _alive(int(row["pid"])):
                status = "interrupted"
        return RunInfo(
            id=row["id"], name=row["name"], kind=row["kind"], status=status, step=row["step"],
            parent=row["parent"], member=row["member"], created=row["created"],
            updated=row["updated"], host=row["host"], pid=row["pid"],
            summary=self._summary(row), path=self.runs_dir / row["id"])

    def _summary(self, row: sqlite3.Row) -> dict[str, Any]:
        try:
            summary = json.loads(row["summary"] or "{}")
        except (TypeError, ValueError):
            summary = None
        if not isinstance(summary, dict):
            problem = ValueError(f"run {row['id']} has a corrupt summary")
            raise DamagedIndexError(self.index_path, problem)
        return summary


def _values(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(json.dumps(row["summary"], sort_keys=True) if k == "summary" else row[k]
                 for k in _COLUMNS)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_run_file(path: Path) -> dict[str, Any]:
    row = _read_json(path / RUN_FILE)
    return row if isinstance(row, dict) else {}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_id(v: Any) -> bool:
    return isinstance(v, str) and RUN_ID.fullmatch(v) is not None


# Which values of a run.json are taken as they are (anything else is reconstructed).
_SOUND: dict[str, Any] = {
    "name": lambda v: v is None or isinstance(v, str), "kind": lambda v: isinstance(v, str) and v,
    "status": lambda v: v in STATUSES, "step": lambda v: _is_int(v) and v >= 0,
    "parent": lambda v: v is None or _is_id(v), "member": lambda v: v is None or _is_int(v),
    "created": lambda v: _is_int(v) or isinstance(v, float),
    "updated": lambda v: _is_int(v) or isinstance(v, float),
    "host": lambda v: v is None or isinstance(v, str), "pid": lambda v: v is None or _is_int(v),
}


def _row_from_dir(path: Path) -> dict[str, Any] | None:
    """The index row of the run directory ``path`` (None when it is not a run directory).

    ``run.json`` is used when it is there and sound; runs written before it existed are
    reconstructed from their config, summary and checkpoint pointer (their sweep membership is
    not recorded anywhere and is lost)."""
    if not path.is_dir() or not RUN_ID.fullmatch(path.name):
        return None
    saved = _read_run_file(path)
    config = _read_json(path / "config.json")
    config = config if isinstance(config, dict) else {}
    summary = _read_json(path / "summary.json")
    summary = summary if isinstance(summary, dict) else {}
    if not saved and not config and not (path / "config.json").exists():
        return None
    stamp = path.name[:15]
    created = time.mktime(time.strptime(stamp, "%Y%m%d-%H%M%S"))
    row = {"id": path.name, **_guess_row(path, config, summary), "member": None,
           "created": created, "updated": path.stat().st_mtime, "host": None, "pid": None,
           "summary": summary}
    for key, value in saved.items():
        if key in _SOUND and _SOUND[key](value):
            row[key] = value
    return row


def _guess_row(path: Path, config: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """Kind, name, parent, status and step of a run directory that has no ``run.json``."""
    label = path.name[16:-7]
    compress = config.get("compress") if isinstance(config.get("compress"), dict) else {}
    if "claim" in config:
        kind, name = "claim", str(config["claim"])
    elif compress:
        kind, name = str(compress.get("kind") or "prune"), label
    elif "base" in config and "model" not in config:
        kind, name = "sweep", label
    else:
        kind, name = "train", label
    parent = compress.get("parent") if _is_id(compress.get("parent")) else None
    latest = _read_json(path / "checkpoints" / "latest.json")
    step = latest.get("step") if isinstance(latest, dict) else None
    step = summary.get("steps", step)
    status = ("diverged" if "diverged_at" in summary else "completed" if summary
              else "interrupted")
    return {"kind": kind, "name": name, "parent": parent, "status": status,
            "step": step if _is_int(step) and step >= 0 else 0}


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
