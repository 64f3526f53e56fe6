"""Shared fixtures: a temporary run store, and running the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SRC = Path(__file__).resolve().parents[1] / "src"

# The devices the engine's device-dependent tests run on: the CPU always, a GPU where there is one.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device on this machine"))]


@pytest.fixture(autouse=True)
def _threads_and_seed():
    # One intra-op thread: test tensors are small, and on a shared, busy machine two spinning
    # threads per process make small ops an order of magnitude slower.
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _exact_cuda_products():
    # On a GPU, convolutions default to TF32 products (10 bits of mantissa); the tests comparing a
    # population with single runs need float32 products there, as on a CPU.
    if not torch.cuda.is_available():
        yield
        return
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


class DeviceClean(torch.utils._python_dispatch.TorchDispatchMode):
    """Fails every operator handed tensors on more than one device (a 0-dim CPU tensor included,
    which torch lets through: on a GPU it is a host read or a kernel argument per step), and every
    blocking copy from the host to a device (on a GPU it waits for the device's queue)."""

    COPIES = (torch.ops.aten._to_copy.default, torch.ops.aten.copy_.default)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        devices = {arg.device for arg in torch.utils._pytree.tree_leaves((args, kwargs))
                   if isinstance(arg, torch.Tensor)}
        if func in self.COPIES:
            source = args[1] if func == torch.ops.aten.copy_.default else args[0]
            target = args[0].device if func == torch.ops.aten.copy_.default else kwargs.get("device")
            blocking = not kwargs.get("non_blocking", len(args) > 2 and args[2])
            if source.device.type == "cpu" and target is not None and target.type != "cpu" and blocking:
                raise AssertionError(f"{func}: a blocking copy of {tuple(source.shape)} to {target}")
        elif len(devices) > 1:
            raise AssertionError(f"{func} was handed tensors on {sorted(map(str, devices))}")
        return func(*args, **kwargs)


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("NEURALAB_HOME", None)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run ``python -m neuralab ARGS`` and capture its output."""
    return subprocess.run([sys.executable, "-m", "neuralab", *args], cwd=cwd, env=cli_env(**env),
                          capture_output=True, text=True, timeout=timeout)
