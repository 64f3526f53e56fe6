"""Checkpoints: weights in safetensors, training state without pickled objects, atomic writes.

A checkpoint is a directory ``step-00001000/`` holding

- ``model.safetensors``: the model's tensors (``safetensors.torch.save_model``; tied weights kept);
- ``state.pt``: the training state — optimizer state dict, RNG state, data position, step — made
  only of tensors, numbers, strings, lists and dicts, read back with
  ``torch.load(weights_only=True)`` so that no arbitrary object is ever unpickled.

It is filled in a temporary directory and renamed into place, then ``latest.json`` is replaced
atomically; a run killed at any moment leaves the previous checkpoint intact. What such a kill
leaves behind (``.step-*.tmp/`` directories, ``.latest.json.*.tmp`` files) is removed by
:func:`remove_partial` on resume and whenever old checkpoints are pruned. ``latest.json`` may only
name a ``step-NNNNNNNN`` directory beside it.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from torch import nn

from neuralab.atomic import atomic_dir, atomic_path, atomic_write_json
from neuralab.errors import CheckpointError

WEIGHTS = "model.safetensors"
STATE = "state.pt"
LATEST = "latest.json"
STEP_DIR = re.compile(r"step-[0-9]{8}")
PARTIAL = (".step-*.tmp", f".{LATEST}.*.tmp")  # what atomic_dir / atomic_path leave when killed


def save_checkpoint(directory: str | Path, step: int, model: nn.Module, state: dict[str, Any],
                    keep: int = 2) -> Path:
    """Write ``model`` and ``state`` as checkpoint ``step`` under ``directory``; keep the last few."""
    directory = Path(directory)
    target = directory / f"step-{step:08d}"
    with atomic_dir(target) as tmp:
        save_model(model, str(tmp / WEIGHTS), metadata={"step": str(step)})
        torch.save({**state, "step": int(step)}, tmp / STATE)
    atomic_write_json(directory / LATEST, {"step": int(step), "path": target.name})
    old = sorted(p for p in directory.glob("step-*") if p.is_dir() and p != target)
    for p in old[: max(0, len(old) - (keep - 1))]:
        shutil.rmtree(p, ignore_errors=True)
    remove_partial(directory)
    return target


def remove_partial(directory: str | Path) -> list[Path]:
    """Delete the half-written checkpoints and pointers a killed writer left in ``directory``.

    Only safe while no other process writes there (the run's lock is held); returns what was
    removed."""
    removed = []
    for pattern in PARTIAL:
        for p in Path(directory).glob(pattern):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The checkpoint ``latest.json`` points to, or None when there is none."""
    directory = Path(directory)
    pointer = directory / LATEST
    if not pointer.exists():
        return None
    try:
        name = json.loads(pointer.read_text())["path"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint pointer {pointer} is corrupt: {exc}") from None
    if not isinstance(name, str) or not STEP_DIR.fullmatch(name):
        raise CheckpointError(f"checkpoint pointer {pointer} names {name!r}, not a checkpoint "
                              "directory step-NNNNNNNN of its run")
    target = directory / name
    if target.is_symlink() or not target.resolve().is_relative_to(directory.resolve()):
        raise CheckpointError(f"checkpoint pointer {pointer} leads outside its run")
    if not target.is_dir():
        raise CheckpointError(f"checkpoint pointer {pointer} names a missing checkpoint {target.name}")
    return target


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load safetensors weights (a file, or a checkpoint directory) into ``model``, strictly."""
    path = Path(path)
    file = path / WEIGHTS if path.is_dir() else path
    if not file.exists():
        raise CheckpointError(f"weights file {str(file)!r} not found")
    try:
        missing, unexpected = load_model(model, str(file), strict=False)
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"weights file {str(file)!r} is corrupt or unreadable: {exc}") from None
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"weights file {str(file)!r} does not fit the model: {first}") from None
    if missing or unexpected:
        raise CheckpointError(
            f"weights file {str(file)!r} does not fit the model: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}")
    return model


def load_state(path: str | Path) -> dict[str, Any]:
    """The training state of a checkpoint directory, read with ``weights_only=True``."""
    file = Path(path) / STATE
    if not file.exists():
        raise CheckpointError(f"training state {str(file)!r} not found")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"training state {str(file)!r} is corrupt: {first}") from None
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointError(f"training state {str(file)!r} has no step")
    return state


def run_weights(run_dir: str | Path) -> Path | None:
    """Where a run's final weights are: its latest checkpoint, else its ``model.safetensors``
    (what a sweep member keeps), else None."""
    run_dir = Path(run_dir)
    ckpt = latest_checkpoint(run_dir / "checkpoints")
    if ckpt is not None:
        return ckpt
    file = run_dir / WEIGHTS
    return file if file.is_file() and not file.is_symlink() else None


def save_weights(model: nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Save ``model``'s weights as a standalone safetensors file, atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        save_model(model, str(tmp), metadata=metadata)
    return path
