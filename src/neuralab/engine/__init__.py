"""Training: one model (:mod:`~neuralab.engine.trainer`), checkpoints and metrics."""

from neuralab.engine.trainer import Trainer, TrainResult, resume, train

__all__ = ["TrainResult", "Trainer", "resume", "train"]
