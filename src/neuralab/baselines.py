"""The MNIST-1D baseline table: logistic regression, MLP, CNN and GRU over several seeds.

Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D" (arXiv:2011.14439), Table 1 reports
test accuracy of about 32% (logistic regression), 68% (MLP), 94% (CNN) and 91% (GRU) on the
4000/1000 split. Every model here trains with Adam (lr 1e-2), batch 100, as in the paper's
reference notebook; every run is recorded in the run store under one parent run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from neuralab.config import build_config
from neuralab.engine.trainer import train
from neuralab.store import RunStore

BASELINES: dict[str, list[str]] = {
    "logistic": ["model.name=logistic"],
    "mlp": ["model.name=mlp", "model.width=100", "model.depth=2"],
    "cnn": ["model.name=cnn", "model.channels=25", "model.depth=3"],
    "gru": ["model.name=gru", "model.width=32"],
}
PAPER_ACCURACY = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94, "gru": 0.91}
COMMON = ["data.name=mnist1d", "optim.name=adam", "optim.lr=1e-2", "train.batch_size=100",
          "train.eval_every=0"]


@dataclass(frozen=True)
class BaselineRow:
    model: str
    accuracies: tuple[float, ...]
    seconds: tuple[float, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.accuracies)

    @property
    def std(self) -> float:
        return statistics.stdev(self.accuracies) if len(self.accuracies) > 1 else 0.0

    @property
    def mean_seconds(self) -> float:
        return statistics.fmean(self.seconds)


def run_baselines(
    store: RunStore | None = None,
    *,
    models: Sequence[str] = tuple(BASELINES),
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 3000,
    shuffle_seq: bool = False,
    on_run: Callable[[str, int, float, float], None] | None = None,
) -> list[BaselineRow]:
    """Train every model for every seed; return one row per model (mean/spread of test accuracy)."""
    unknown = [m for m in models if m not in BASELINES]
    if unknown:
        from neuralab.errors import UnknownNameError

        raise UnknownNameError("baseline model", unknown[0], BASELINES)
    configs = {
        (m, s): build_config(overrides=COMMON + BASELINES[m] + [
            f"seed={s}", f"train.steps={steps}", f"data.shuffle_seq={str(shuffle_seq).lower()}",
            f'name="mnist1d-{m}-s{s}"'])
        for m in models for s in seeds
    }
    parent = None
    if store is not None:
        parent = store.create({"models": list(models), "seeds": list(seeds), "steps": steps,
                               "shuffle_seq": shuffle_seq}, kind="demo", name="mnist1d-baselines")
    rows = []
    for m in models:
        accs, secs = [], []
        for s in seeds:
            start = time.perf_counter()
            result = train(configs[m, s], store=store, progress="none", kind="train",
                           parent=parent.id if parent else None, member=s)
            seconds = time.perf_counter() - start
            accs.append(result.metrics["test_accuracy"])
            secs.append(seconds)
            if on_run:
                on_run(m, s, accs[-1], seconds)
        rows.append(BaselineRow(m, tuple(accs), tuple(secs)))
    if store is not None and parent is not None:
        store.update(parent.id, status="completed", step=steps, summary={
            f"{r.model}_test_accuracy": r.mean for r in rows})
    return rows
