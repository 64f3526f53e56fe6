"""One process per run: a lock file ``run.lock`` in the run's directory.

The process that trains (or resumes) a run holds an exclusive ``flock`` on ``<run>/run.lock``
for as long as it writes the run, and writes its pid and host into the file so that a refusal
can name the holder. The kernel drops the lock when the holder dies, however it dies, so the
lock of a killed process is stale and simply taken over by the next process; a lock held by a
live process is refused in one line::

    with RunLock(run.path, run.id):
        ...  # only this process writes the run

:meth:`neuralab.store.RunStore.remove` takes the same lock before deleting a run, so a run that is
being trained cannot be removed.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType

from neuralab.errors import NeuralabError

LOCK_FILE = "run.lock"


class RunInUseError(NeuralabError):
    """The run is locked by another live process."""


class RunLock:
    """An exclusive lock on one run directory, held by this process (a context manager)."""

    def __init__(self, run_dir: str | Path, run_id: str | None = None):
        self.run_dir = Path(run_dir)
        self.run_id = run_id or self.run_dir.name
        self.path = self.run_dir / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock (a stale one is taken over); :class:`RunInUseError` when a live process
        holds it, :class:`NeuralabError` when the run directory is gone."""
        if self._fd is not None:
            return self
        if not self.run_dir.is_dir():
            raise NeuralabError(f"run {self.run_id} has no directory {str(self.run_dir)!r}; "
                                "it was removed")
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise NeuralabError(f"cannot lock run {self.run_id}: {exc.strerror} "
                                    f"({str(self.path)!r})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise RunInUseError(self._refusal()) from None
            # The file may have been unlinked by its previous holder between our open and flock.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _refusal(self) -> str:
        who = self._read()
        return (f"run {self.run_id} is in use by process {who.get('pid', '?')} on host "
                f"{who.get('host', '?')}; wait for it to finish or stop it first")

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

