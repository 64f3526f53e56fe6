"""Files and directories the library writes honour the umask (not tempfile's private modes)."""

from __future__ import annotations

import os
import stat

import pytest

from neuralab.atomic import atomic_dir, atomic_write_text, current_umask
from neuralab.config import build_config
from neuralab.engine.trainer import train
from neuralab.store import RunStore


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_files_and_directories_get_the_modes_open_and_mkdir_would(tmp_path, umask):
    assert current_umask() == umask
    atomic_write_text(tmp_path / "a.txt", "x")
    with atomic_dir(tmp_path / "d") as d:
        (d / "f").write_text("y")
    assert _mode(tmp_path / "a.txt") == 0o666 & ~umask
    assert _mode(tmp_path / "d") == 0o777 & ~umask
    assert _mode(tmp_path / "d" / "f") == 0o666 & ~umask


def test_a_recorded_run_is_readable_by_others_under_umask_022(tmp_path):
    old = os.umask(0o022)
    try:
        store = RunStore(tmp_path / "runs")
        result = train(build_config(overrides=[
            "data.name=xor_clusters", "data.n_train=64", "data.n_test=32", "model.width=4",
            "train.steps=20", "train.eval_every=10", "train.checkpoint_every=10"]),
            store=store, progress="none")
        run = store.get(result.run_id)
        written = [p for p in run.path.rglob("*") if not p.name.endswith(".lock")]
        assert any(p.name == "config.json" for p in written)
        assert any(p.name == "summary.json" for p in written) or (run.path / "run.json").exists()
        for p in written:
            assert _mode(p) == (0o755 if p.is_dir() else 0o644), p
    finally:
        os.umask(old)
