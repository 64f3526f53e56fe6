"""Training: one model (:mod:`~neuralab.engine.trainer`), a population of models trained in one
pass (:mod:`~neuralab.engine.population`), checkpoints and metrics."""

from neuralab.engine.population import MemberResult, Population, train_population
from neuralab.engine.trainer import Trainer, TrainResult, resume, train

__all__ = ["MemberResult", "Population", "TrainResult", "Trainer", "resume", "train", "train_population"]
