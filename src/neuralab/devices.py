"""Moving small host-made tensors to a device without stalling it.

A plain ``tensor.to("cuda")`` from ordinary (pageable) host memory waits for every kernel already
queued on the device before it copies, so one such copy per training step makes the host wait for
the device once per step. :func:`to_device` copies from page-locked memory with
``non_blocking=True`` instead: the copy is queued behind the kernels like any other, and torch's
pinned-memory allocator keeps the host buffer alive until the copy has run. On a CPU it is a no-op.

    lrs = to_device(torch.tensor([1e-3, 3e-3], dtype=torch.float64), params.device)   # (N,)
"""

from __future__ import annotations

import torch


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``tensor`` (on the host) on ``device``, copied without waiting for the device's queue."""
    if device.type == "cpu":
        return tensor
    if device.type == "cuda":
        tensor = tensor.pin_memory()
    return tensor.to(device, non_blocking=True)
