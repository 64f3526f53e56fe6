"""Refuse a model too large for this machine before a single weight is allocated.

``model.width=1000000`` asks an MLP for about 10^12 parameters (4 TB): rather than let the
allocator fail (or the machine swap), :func:`check_fits_in_memory` builds the model on PyTorch's
``meta`` device (shapes only, no storage), counts its parameters and buffers, and compares what
training needs — the weights, their gradients and an optimizer's two moment buffers, four float32
copies, :data:`COPIES_FOR_TRAINING` — with the memory the kernel reports available.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch

from neuralab.errors import ConfigError

COPIES_FOR_TRAINING = 4  # weights, gradients, Adam's first and second moments
BYTES_PER_VALUE = 4  # float32


def available_memory_bytes() -> int | None:
    """``MemAvailable`` from /proc/meminfo (Linux), else free physical pages; None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def meta_size(build: Callable[[], torch.nn.Module]) -> int | None:
    """The number of parameter and buffer values ``build()`` makes; None if it cannot run on meta."""
    try:
        with torch.device("meta"):
            module = build()
    except Exception:  # a factory that needs real values (e.g. .item()); the real build decides
        return None
    if not isinstance(module, torch.nn.Module):
        return None
    return sum(t.numel() for t in (*module.parameters(), *module.buffers()))


def check_fits_in_memory(name: str, build: Callable[[], Any]) -> None:
    """Raise ConfigError when training model ``name`` cannot fit in the available memory."""
    values = meta_size(build)
    available = available_memory_bytes()
    if values is None or available is None:
        return
    needed = values * BYTES_PER_VALUE * COPIES_FOR_TRAINING
    if needed > available:
        raise ConfigError(
            f"model {name!r} would have {values:,} parameters: training needs about "
            f"{needed / 2**30:,.1f} GiB (weights, gradients, optimizer state) but "
            f"{available / 2**30:,.1f} GiB is available; choose a smaller width or depth")
