"""The registry's metadata without its imports: a JSON snapshot for the command line.

Listing the registry means importing every module that registers a part, and with them torch —
seconds, for a command that prints a table. :func:`catalog` returns what ``REGISTRY.list()`` would
describe (each entry's :meth:`~neuralab.registry.Entry.describe`, and a claim's own ``describe()``
under ``"claim"``) from a snapshot in the user's cache directory, rebuilt whenever a source file of
the package changes (the snapshot's key is the size and modification time of every ``.py`` file).
In a process that has already loaded the registry, the live registry answers instead, so parts
registered at run time are included.

The cache lives in ``NEURALAB_CACHE``, else ``$XDG_CACHE_HOME/neuralab``, else
``~/.cache/neuralab``; a cache that cannot be written only costs the next call the imports.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from neuralab.errors import UnknownNameError

PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path:
    if os.environ.get("NEURALAB_CACHE"):
        return Path(os.environ["NEURALAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "neuralab"


def source_key() -> str:
    """A digest of every source file's path, size and modification time, and of the installed
    plugins (entry-point group ``neuralab.parts``) with their packages' versions."""
    from importlib.metadata import entry_points

    from neuralab.registry import PLUGIN_GROUP

    digest = hashlib.sha256()
    installed = sorted((ep.name, ep.value, ep.dist.version if ep.dist else "")
                       for ep in entry_points(group=PLUGIN_GROUP))
    digest.update(repr(installed).encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def catalog() -> list[dict[str, Any]]:
    """Every registered part's description, sorted by (kind, name)."""
    from neuralab import registry  # light: no part is imported until a lookup

    if registry.REGISTRY.loaded:
        return _describe_all()
    path = cache_dir() / f"catalog-{hashlib.sha256(str(PACKAGE).encode()).hexdigest()[:16]}.json"
    key = source_key()
    try:
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return cached["entries"]
    except (OSError, ValueError, AttributeError):
        pass
    entries = _describe_all()
    try:
        from neuralab.atomic import atomic_write_json

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, {"key": key, "entries": entries})
    except OSError:
        pass
    return entries


def _describe_all() -> list[dict[str, Any]]:
    from neuralab.registry import REGISTRY

    entries = []
    for entry in REGISTRY.list():
        d = entry.describe()
        if entry.kind == "claim":
            d["claim"] = entry.factory().describe()
        entries.append(d)
    return json.loads(json.dumps(entries, default=str))


def entries_of(kind: str | None = None) -> list[dict[str, Any]]:
    """The descriptions of one kind (all when None); an unknown kind fails with the known ones."""
    entries = catalog()
    kinds = sorted({e["kind"] for e in entries})
    if kind is not None and kind not in kinds:
        raise UnknownNameError("kind", kind, kinds)
    return [e for e in entries if kind is None or e["kind"] == kind]


def entry(kind: str, name: str) -> dict[str, Any]:
    """One part's description by name or alias; unknown names fail with the closest matches."""
    entries = entries_of(kind)
    for e in entries:
        if name == e["name"] or name in e["aliases"]:
            return e
    raise UnknownNameError(kind, name, [e["name"] for e in entries] +
                           [a for e in entries for a in e["aliases"]])
