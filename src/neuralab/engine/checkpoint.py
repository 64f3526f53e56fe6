"""Checkpoints: weights in safetensors, training state without pickled objects, atomic writes.

A checkpoint is a directory ``step-00001000/`` holding

- ``model.safetensors``: the model's tensors (``safetensors.torch.save_model``; tied weights kept);
- ``state.pt``: the training state — optimizer state dict, RNG state, data position, step — made
  only of tensors, numbers, strings, lists and dicts, read back with
  ``torch.load(weights_only=True)`` so that no arbitrary object is ever unpickled.

It is filled in a temporary directory and renamed into place, then ``latest.json`` is replaced
atomically; a run killed at any moment leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import pickle
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
    return target


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The checkpoint ``latest.json`` points to, or None when there is none."""
    directory = Path(directory)
    pointer = directory / LATEST
    if not pointer.exists():
        return None
    try:
        target = directory / json.loads(pointer.read_text())["path"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint pointer {pointer} is corrupt: {exc}") from None
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


def save_weights(model: nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Save ``model``'s weights as a standalone safetensors file, atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        save_model(model, str(tmp), metadata=metadata)
    return path
