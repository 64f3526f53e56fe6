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


def resolve_device(name: str, setting: str = "train.device") -> torch.device:
    """The torch device a device setting names on this machine (``auto``: cuda when available).

    An unknown name, or a CUDA device this machine does not have, is a one-line NeuralabError
    naming ``setting`` and what is allowed here."""
    from neuralab.config import DEVICES, is_device_name
    from neuralab.errors import NeuralabError

    if not is_device_name(name):
        raise NeuralabError(f"{setting} {name!r} is not a device; allowed: {DEVICES}")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if name == "auto":
        return torch.device("cuda" if count else "cpu")
    if name.startswith("cuda"):
        if not count:
            raise NeuralabError(f"{setting} {name!r}: no CUDA device is available on this "
                                "machine; allowed here: cpu, auto")
        index = int(name.partition(":")[2] or 0)
        if index >= count:
            raise NeuralabError(f"{setting} {name!r}: this machine has {count} CUDA device(s); "
                                f"allowed here: cpu, cuda, cuda:0 to cuda:{count - 1}, auto")
    return torch.device(name)


def device_name(name: str, setting: str = "train.device") -> str:
    """:func:`resolve_device` as the setting to record: ``auto`` becomes ``cpu`` or ``cuda``."""
    return str(resolve_device(name, setting))
