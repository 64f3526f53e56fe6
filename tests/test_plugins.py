"""Parts of third-party packages (entry-point group ``neuralab.parts``) are found by every
command: a dataset registered in a plugin trains, probes and prunes from the CLI."""

from __future__ import annotations

import json
import os

import pytest

from conftest import run_cli
from neuralab.errors import UnknownNameError
from neuralab.registry import REGISTRY, PLUGIN_GROUP, load_plugins

PLUGIN = '''
import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register


@register("dataset", "tiny_user", tags={"classification"})
def tiny_user(*, seed: int = 0, n_train: int = 96, n_test: int = 32) -> Dataset:
    """Two Gaussian blobs in 4-D: a user's dataset, registered by a plugin."""
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_test
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 4, generator=g) + 2.0 * y[:, None].float()
    return Dataset(name="tiny_user", spec=DataSpec("classification", (4,), 2),
                   x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:],
                   y_test=y[n_train:], description="two blobs", classes=("a", "b"))
'''


def _install(site, module, entry, source):
    """A package in ``site`` (a sys.path entry) as pip leaves it: its module and a dist-info
    whose entry_points.txt names ``module`` in the group neuralab.parts."""
    (site / f"{module}.py").write_text(source)
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{PLUGIN_GROUP}]\n{entry} = {module}\n")


@pytest.fixture
def plugin_env(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "tiny_user_parts", "tiny", PLUGIN)
    env = {"PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "NEURALAB_CACHE": str(tmp_path / "cache")}
    return site, env


def test_a_plugin_dataset_trains_probes_and_prunes_from_the_cli(tmp_path, plugin_env):
    site, env = plugin_env
    runs = str(tmp_path / "runs")
    listed = run_cli("list", "dataset", **env)
    assert listed.returncode == 0 and "tiny_user" in listed.stdout
    trained = run_cli("train", "--data", "tiny_user", "--steps", "30", "--set", "model.width=8",
                      "--runs-dir", runs, "--json", "--progress", "none", **env)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    probed = run_cli("probe", run, "gradient_norms", "--runs-dir", runs, **env)
    assert probed.returncode == 0, probed.stderr
    pruned = run_cli("prune", run, "--method", "global_magnitude", "--sparsity", "0.5",
                     "--steps", "5", "--runs-dir", runs, **env)
    assert pruned.returncode == 0, pruned.stderr

    # without the plugin installed, the run's dataset is unknown, and the error says what to do
    bare = run_cli("probe", run, "gradient_norms", "--runs-dir", runs,
                   NEURALAB_CACHE=env["NEURALAB_CACHE"])
    assert bare.returncode == 2
    [line] = bare.stderr.strip().splitlines()
    assert "unknown dataset 'tiny_user'" in line and f"'{PLUGIN_GROUP}'" in line


def test_a_broken_plugin_is_named_in_a_warning_and_the_rest_works(tmp_path, plugin_env):
    site, env = plugin_env
    _install(site, "broken_parts", "broken", "raise ImportError('needs a missing library')\n")
    listed = run_cli("list", "dataset", **env)
    assert listed.returncode == 0 and "tiny_user" in listed.stdout
    assert ("warning: plugin 'broken' (broken_parts) of entry-point group 'neuralab.parts' "
            "failed to import: ImportError: needs a missing library") in listed.stderr


def test_an_unknown_part_names_the_plugin_group():
    with pytest.raises(UnknownNameError, match="entry-point group 'neuralab.parts'"):
        REGISTRY.get("dataset", "no_such_dataset")
    assert load_plugins() == []  # none installed in the test environment
