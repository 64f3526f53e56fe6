"""neuralab: a laboratory for neural networks on PyTorch.

Parts from the literature found by name in one registry, an engine that trains one model or a
population, probes and compression, and each paper's headline claim as an executable experiment.

    import neuralab as nl

    config = nl.load_config(overrides=["model.name=cnn", "train.steps=500"])
    result = nl.train(config)
    print(result.metrics["test_accuracy"])
"""

from neuralab.config import RunConfig, build_config, load_config
from neuralab.data import DataSpec, Dataset, load_dataset
from neuralab.engine import TrainResult, resume, train
from neuralab.errors import NeuralabError
from neuralab.models import Model, build_model
from neuralab.registry import REGISTRY, create, register
from neuralab.store import RunStore

__version__ = "0.1.0"

__all__ = [
    "REGISTRY", "DataSpec", "Dataset", "Model", "NeuralabError", "RunConfig", "RunStore",
    "TrainResult", "build_config", "build_model", "create", "load_config", "load_dataset",
    "register", "resume", "train",
]
