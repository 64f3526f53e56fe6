"""Atomic file writes: write a temporary file beside the target, fsync, then ``os.replace``.

A reader (or a run killed mid-write) sees either the old file or the new one, never half of one.
:func:`check_writable` tells, before anything is written, whether a path can be written at all.
Files and directories get the modes ``open`` and ``mkdir`` would give them (0666 / 0777 less the
process's umask), not the private 0600 / 0700 of :mod:`tempfile`, so that what one user writes
(reports, configs, checkpoints) others can read where the umask allows.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from neuralab.errors import NeuralabError


def check_writable(path: str | Path, shown: str, *, file: bool = False) -> None:
    """Refuse (one-line :class:`NeuralabError`) a directory ``path`` to write into — or, with
    ``file``, a file ``path`` to write — that cannot be: a directory path that is a file, a file
    path that is a directory or a device, a path under a file or a broken symlink, or a place
    where nothing can be written (``/proc``). ``shown`` names the path in the message. Nothing
    is created."""
    path = Path(path)
    if file and path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise NeuralabError(f"{shown} is {kind}; give the path of a file to write")
    existing = path.parent if file else path
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            raise NeuralabError(f"{shown}: {str(existing)!r} is a broken symlink")
        existing = existing.parent
    if not existing.is_dir():
        where = "is" if existing == path else f"lies under {str(existing)!r}, which is"
        raise NeuralabError(f"{shown} {where} a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise NeuralabError(f"{shown}: {str(existing)!r} is not writable")
    try:  # an anonymous file (O_TMPFILE): no name is ever left behind
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise NeuralabError(f"{shown}: cannot write in {str(existing)!r} "
                            f"({exc.strerror or exc})") from None


def fsync_dir(path: str | Path) -> None:
    """Flush a directory entry (so a rename survives a crash)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process's umask, read without changing it where the OS tells (Linux's
    ``/proc/self/status``), else by setting and restoring it."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # as open() would create it
    finally:
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
        fsync_dir(target.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def atomic_write_json(target: str | Path, obj: Any) -> None:
    atomic_write_text(target, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def atomic_write_with(target: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result to ``target`` atomically."""
    with atomic_path(target) as tmp:
        write(tmp)


@contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary directory to fill; on success it is renamed to ``target`` (absent before)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~current_umask())  # as mkdir() would create it
    try:
        yield tmp
        file_mode = 0o666 & ~current_umask()
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
                os.fchmod(fh.fileno(), file_mode)  # some writers (safetensors) make them 0600
        fsync_dir(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
