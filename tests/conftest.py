"""Shared fixtures: a temporary run store, and running the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(autouse=True)
def _threads_and_seed():
    # One intra-op thread: test tensors are small, and on a shared, busy machine two spinning
    # threads per process make small ops an order of magnitude slower.
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


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
