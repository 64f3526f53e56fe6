"""Rebuild a recorded run's trained model: what ``neuralab probe``, ``prune`` and ``quantize`` read.

The model is built from the run's ``config.json`` and loaded with its final weights
(:func:`~neuralab.engine.checkpoint.run_weights`): the latest checkpoint of a trained run, or the
``model.safetensors`` that a sweep member keeps.

    info, data, model = load_run_model(RunStore(), "20240101-120000-mlp-1a2b3c")
"""

from __future__ import annotations

from torch import nn

from neuralab.config import RunConfig, build_config
from neuralab.data.dataset import Dataset, load_dataset
from neuralab.engine.checkpoint import load_weights, run_weights
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model
from neuralab.seed import derive_seed
from neuralab.store import RunInfo, RunStore


def load_run_model(store: RunStore, run_id: str, *,
                   purpose: str = "probe") -> tuple[RunInfo, Dataset, nn.Module]:
    """A recorded run, its dataset, and its model with its final weights (eval mode)."""
    info = store.get(run_id)
    raw = info.config()
    if "model" not in raw or "data" not in raw:
        raise NeuralabError(f"run {info.id} ({info.kind}) has no model to {purpose}")
    weights = run_weights(info.path)
    if weights is None:
        raise NeuralabError(f"run {info.id} has no checkpoint or model.safetensors to {purpose} "
                            f"(status {info.status})")
    config = build_config({k: v for k, v in raw.items() if k in RunConfig.model_fields})
    data = load_dataset(config.data.name, **config.data.params)
    model = build_model(config.model.name, data.spec, config.model.params,
                        seed=derive_seed(config.seed, "init"))
    load_weights(model, weights)
    return info, data, model.eval()
