"""neuralab: a laboratory for neural networks on PyTorch.

Parts from the literature found by name in one registry, an engine that trains one model or a
population, probes and compression, and each paper's headline claim as an executable experiment.

    import neuralab as nl

    config = nl.load_config(overrides=["model.name=cnn", "train.steps=500"])
    result = nl.train(config)
    print(result.metrics["test_accuracy"])

The public names are imported on first use (PEP 562), so ``import neuralab`` — and the command
line's ``--help`` — does not pay for torch until something needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "RunConfig": "neuralab.config", "build_config": "neuralab.config",
    "load_config": "neuralab.config",
    "DataSpec": "neuralab.data", "Dataset": "neuralab.data", "load_dataset": "neuralab.data",
    "TrainResult": "neuralab.engine", "resume": "neuralab.engine", "train": "neuralab.engine",
    "NeuralabError": "neuralab.errors",
    "Model": "neuralab.models", "build_model": "neuralab.models",
    "load_model": "neuralab.results",
    "REGISTRY": "neuralab.registry", "create": "neuralab.registry", "register": "neuralab.registry",
    "RunStore": "neuralab.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'neuralab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from neuralab.config import RunConfig, build_config, load_config
    from neuralab.data import DataSpec, Dataset, load_dataset
    from neuralab.engine import TrainResult, resume, train
    from neuralab.results import load_model
    from neuralab.errors import NeuralabError
    from neuralab.models import Model, build_model
    from neuralab.registry import REGISTRY, create, register
    from neuralab.store import RunStore
