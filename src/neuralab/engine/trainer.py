"""Train one model from a :class:`~neuralab.config.RunConfig`.

The loop: draw a batch from a :class:`~neuralab.data.TensorBatcher`, set each parameter group's
rate to ``initial_lr * schedule(step)``, compute the model's ``training_loss`` and its gradient,
take an optimizer step (optimizers with ``needs_closure``, such as SAM, receive a closure that
recomputes loss and gradient and call it as often as they need), and every ``eval_every`` steps
evaluate on the train subset and the test set. Every random draw is derived from the run's seed
(``derive_seed(seed, "init" | "data" | "dropout")``), so a run is a pure function of its config;
checkpoints hold the optimizer, the RNG state and the data position, and a resumed run ends with
exactly the weights of an uninterrupted one — at the same torch thread count, which the checkpoint
records (a resume with another count warns on stderr). A non-finite loss stops the run, marked
``diverged`` at that step. Ctrl-C or SIGTERM stops a recorded run between two steps with a
checkpoint (:mod:`neuralab.interrupts`), from which ``resume`` continues bit-exactly; a
run with no checkpoint is not resumed (it is started again). The process training a run holds its lock (:mod:`neuralab.run_lock`):
a second ``resume`` of the same run is refused while the first is alive.

    from neuralab.config import load_config
    from neuralab.engine.trainer import train

    result = train(load_config(overrides=["model.name=cnn", "train.steps=500"]))
    print(result.metrics["test_accuracy"])
"""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from neuralab.components.parametrization import param_groups
from neuralab.config import RunConfig
from neuralab.data.batching import TensorBatcher
from neuralab.data.dataset import Dataset, load_dataset
from neuralab.devices import resolve_device
from neuralab.engine import tensorboard
from neuralab.engine.checkpoint import (latest_checkpoint, load_state, load_weights, remove_partial,
                                       save_checkpoint)
from neuralab.engine.metrics import RecordLog, evaluate_splits, headline_metric, loss_fn, record
from neuralab.interrupts import StopRequests, TrainingInterrupted
from neuralab.errors import NeuralabError
from neuralab.models.base import Model, build_model
from neuralab.optim.build import make_optimizer, make_schedule
from neuralab.progress import Mode, ProgressBar, resolve_mode
from neuralab.run_lock import RunLock
from neuralab.seed import derive_seed
from neuralab.store import RunInfo, RunStore

# Steps between two read-backs of the loss's finiteness on an accelerator, in the trainer and the
# population engine (see the module docstrings): a non-finite loss is noticed at most this many
# steps late, and stops the run (freezes the member) at its own step.
DIVERGENCE_CHECK_EVERY = 50

Progress = Mode  # auto (a bar on a terminal, lines otherwise), bar, lines, none
EvalCallback = Callable[["Trainer", int], "Sequence[dict[str, Any]] | None"]


@dataclass
class TrainResult:
    """What a finished (or diverged) run produced."""

    status: str
    step: int
    metrics: dict[str, float]
    seconds: float
    model: Model
    records: list[dict[str, Any]] = field(default_factory=list)
    run_id: str | None = None
    diverged_at: int | None = None


class Trainer:
    """Builds the data, model, optimizer and schedule of a config and trains them."""

    def __init__(self, config: RunConfig, *, store: RunStore | None = None, run: RunInfo | None = None,
                 progress: Progress = "auto", callbacks: Sequence[EvalCallback] = (),
                 data: Dataset | None = None):
        self.config = config
        self.store, self.run = store, run
        resolve_mode(progress)  # a bad mode is refused before anything is built
        self.progress = progress
        self.callbacks = list(callbacks)
        self.device = resolve_device(config.train.device)
        self.data: Dataset = data if data is not None else load_dataset(config.data.name,
                                                                         **config.data.params)
        self.model: Model = build_model(config.model.name, self.data.spec, config.model.params,
                                        seed=derive_seed(config.seed, "init"),
                                        init_scale=config.train.init_scale).to(self.device)
        self.optimizer = make_optimizer(config.optim.name, param_groups(self.model, config.optim.name),
                                        config.optim.params)
        for group in self.optimizer.param_groups:  # per-layer scales of an abc parametrization
            group["lr"] = group["lr"] * group.get("lr_scale", 1.0)
            group.setdefault("initial_lr", group["lr"])
        self.schedule = make_schedule(config.schedule.name, config.train.steps, config.schedule.params)
        self.batcher = TensorBatcher(self.data.x_train.shape[0], config.train.batch_size,
                                     derive_seed(config.seed, "data"), device=self.device)
        self.x_train, self.y_train = (t.to(self.device) for t in (self.data.x_train, self.data.y_train))
        self.step = 0
        self.elapsed = 0.0
        # the sum of batch losses since the last evaluation (on the device) and their count
        self._loss_total = torch.zeros((), dtype=torch.float64, device=self.device)
        self._loss_steps = 0
        self.check_every = 1 if self.device.type == "cpu" else DIVERGENCE_CHECK_EVERY
        self._nonfinite = torch.zeros((), dtype=torch.bool, device=self.device)
        self._snapshot: dict[str, Any] | None = None  # the start of the current window of steps
        self._rng_state: torch.Tensor | None = None
        self._device_rng_state: torch.Tensor | None = None
        self.log = RecordLog(run.records_path if run else None,
                             sink=tensorboard.sink_for(config.train.tensorboard, run))

    @property
    def run_id(self) -> str | None:
        return self.run.id if self.run else None

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = {
            "optimizer": self.optimizer.state_dict(),
            "rng": torch.get_rng_state(),
            "data": self.batcher.state_dict(),
            "elapsed": self.elapsed,
            "interval": [float(self._loss_total), self._loss_steps],
            "threads": torch.get_num_threads(),  # float sums are bit-exact only at the same count
        }
        if self.device.type == "cuda":  # dropout on the GPU draws from the device's generator
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return state

    def save(self) -> Path | None:
        """Checkpoint the run at its current step (None when it is not recorded in a store)."""
        if self.run is None:
            return None
        if not self.run.path.is_dir():  # removed under us: never re-create a deleted run
            raise NeuralabError(f"run {self.run.id} was removed while training "
                                f"(no directory {str(self.run.path)!r})")
        path = save_checkpoint(self.run.checkpoints, self.step, self.model, self.state_dict(),
                               keep=self.config.train.keep_checkpoints)
        if self.store:
            self.store.update(self.run.id, step=self.step)
        return path

    def restore(self) -> bool:
        """Load the run's latest checkpoint, if any; True when one was loaded."""
        if self.run is None:
            return False
        remove_partial(self.run.checkpoints)  # what a kill mid-checkpoint left behind
        ckpt = latest_checkpoint(self.run.checkpoints)
        if ckpt is None:
            self.log.truncate_after(0)
            return False
        state = load_state(ckpt)
        load_weights(self.model, ckpt)
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            self.batcher.load_state_dict(state["data"])
            self._rng_state = state["rng"]
            self._device_rng_state = state.get("cuda_rng")
            self.elapsed = float(state.get("elapsed", 0.0))
            self._loss_total.fill_(float(state["interval"][0]))
            self._loss_steps = int(state["interval"][1])
        except (KeyError, ValueError, TypeError) as exc:
            raise NeuralabError(f"checkpoint {ckpt} does not fit this run: {exc}") from None
        self.step = int(state["step"])
        self.log.truncate_after(self.step)
        threads = state.get("threads")
        if isinstance(threads, int) and threads != torch.get_num_threads():
            print(f"warning: run {self.run.id} was checkpointed with {threads} torch threads and "
                  f"resumes with {torch.get_num_threads()}, so it may differ in the last bits from "
                  f"an uninterrupted run (OMP_NUM_THREADS={threads} makes it exact)",
                  file=sys.stderr, flush=True)
        return True

    # -- training -----------------------------------------------------------------------------
    def fit(self) -> TrainResult:
        """Train to ``train.steps`` (from the restored step, if any)."""
        total = self.config.train.steps
        cuda = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            if self._rng_state is not None:
                torch.set_rng_state(self._rng_state)
                if cuda and self._device_rng_state is not None:
                    torch.cuda.set_rng_state(self._device_rng_state, self.device)
            else:
                torch.manual_seed(derive_seed(self.config.seed, "dropout"))
            status, diverged_at = self._loop(total)
        metrics = evaluate_splits(self.model, self._device_data(), self.config.train.eval_batch_size,
                                  self.config.train.eval_train_examples) if status == "completed" else {}
        if status == "completed":
            metrics = {**metrics, "seconds": self.elapsed, "steps": self.step}
        summary = metrics if status == "completed" else {"diverged_at": diverged_at, "steps": self.step}
        if self.store and self.run:
            self.store.update(self.run.id, status=status, step=self.step, summary=summary)
        return TrainResult(status=status, step=self.step, metrics=metrics, seconds=self.elapsed,
                           model=self.model, records=self.log.rows, run_id=self.run_id,
                           diverged_at=diverged_at)

    def _loop(self, total: int) -> tuple[str, int | None]:
        cfg = self.config.train
        self.model.train()
        bar = ProgressBar(total, desc=self.run_id or "train", mode=self.progress, initial=self.step)
        start = time.perf_counter() - self.elapsed
        stop = StopRequests()  # Ctrl-C / SIGTERM: noted, honoured between steps
        try:
            stop.__enter__()
            while self.step < total:
                late = self.check_every > 1
                if late and self._snapshot is None:
                    self._snapshot = self._take_snapshot()
                factor = self.schedule(self.step)
                if not self._train_step(factor, check=not late):
                    return self._diverged(start)
                bar.update(1)
                due_eval = self.step == total or (cfg.eval_every and self.step % cfg.eval_every == 0)
                due_save = self.step == total or (cfg.checkpoint_every
                                                  and self.step % cfg.checkpoint_every == 0)
                if late and (due_eval or due_save or self.step % self.check_every == 0):
                    before = self.step
                    diverged = not self._check_divergence()
                    bar.update(self.step - before)
                    if diverged:
                        return self._diverged(start)
                if due_eval:
                    self.elapsed = time.perf_counter() - start
                    self._evaluate(factor, bar, total)
                if due_save:
                    self.elapsed = time.perf_counter() - start
                    self.save()
                elif due_eval and self.store and self.run:  # the index shows a live step count
                    self.store.update(self.run.id, step=self.step)
                if stop.signal is not None:
                    if late and not self._check_divergence():
                        return self._diverged(start)
                    self.elapsed = time.perf_counter() - start
                    saved = self.save()
                    raise TrainingInterrupted(stop.signal, self.step, self.run_id,
                                              str(saved) if saved else None)
        finally:
            stop.__exit__(None, None, None)
            bar.close()
        self.elapsed = time.perf_counter() - start
        return "completed", None

    def _train_step(self, factor: float, *, check: bool) -> bool:
        """One optimizer step at learning-rate factor ``factor``. With ``check``, the loss is read
        back first and a non-finite one stops the run before the update (False); without, a
        non-finite loss is only noted on the device for :meth:`_check_divergence`."""
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] * factor
        idx = self.batcher.next()  # on the device
        closure = self._closure(self.x_train[idx], self.y_train[idx])
        if getattr(self.optimizer, "needs_closure", False):
            loss = self.optimizer.step(closure)  # e.g. SAM: two gradients per step
        else:
            loss = closure()
        loss = loss.detach()
        if check and not math.isfinite(float(loss)):
            return False
        if not check:
            self._nonfinite |= ~torch.isfinite(loss)
        if not getattr(self.optimizer, "needs_closure", False):
            self.optimizer.step()
        self.step += 1
        self._loss_total += loss.double()
        self._loss_steps += 1
        return True

    def _check_divergence(self) -> bool:
        """Whether the run is still finite, replaying the window since the last check one checked
        step at a time when a non-finite loss was noted in it (the run then stops at that step)."""
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is None or not bool(self._nonfinite):  # the one read-back per window
            return True
        target = self.step
        self._restore_snapshot(snapshot)
        while self.step < target:
            if not self._train_step(self.schedule(self.step), check=True):
                return False
        return True

    def _take_snapshot(self) -> dict[str, Any]:
        self._nonfinite.zero_()
        state = {"model": {k: v.clone() for k, v in self.model.state_dict().items()},
                 "optimizer": copy.deepcopy(self.optimizer.state_dict()),
                 "rng": torch.get_rng_state(), "data": self.batcher.state_dict(), "step": self.step,
                 "loss_total": self._loss_total.clone(), "loss_steps": self._loss_steps}
        if self.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return state

    def _restore_snapshot(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        if "cuda_rng" in state:
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        self.batcher.load_state_dict(state["data"])
        self.step, self._loss_steps = state["step"], state["loss_steps"]
        self._loss_total.copy_(state["loss_total"])
        self._nonfinite.zero_()

    def _diverged(self, start: float) -> tuple[str, int]:
        self.elapsed = time.perf_counter() - start
        self.log.extend([record(self.run_id, self.step, "diverged", 1.0)])
        return "diverged", self.step

    def _closure(self, x: torch.Tensor, y: torch.Tensor) -> Callable[[], torch.Tensor]:
        """Zero the gradients, compute the model's training loss on ``(x, y)``, backpropagate
        (and clip); return the loss. Optimizers with ``needs_closure`` call it themselves."""
        spec, clip = self.data.spec, self.config.train.grad_clip

        def closure() -> torch.Tensor:
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.model.training_loss(x, y, lambda out, target: loss_fn(spec, out, target))
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(self.model.parameters(), clip)
            return loss

        return closure

    def _device_data(self) -> Dataset:
        if self.device.type == "cpu":
            return self.data
        d = self.data
        return Dataset(d.name, d.spec, self.x_train, self.y_train, d.x_test.to(self.device),
                       d.y_test.to(self.device), d.description, d.classes, d.params)

    def _evaluate(self, factor: float, bar: ProgressBar, total: int) -> None:
        cfg = self.config.train
        metrics = {"batch_loss": float(self._loss_total) / max(1, self._loss_steps),
                   "lr_factor": factor}
        metrics.update(evaluate_splits(self.model, self._device_data(), cfg.eval_batch_size,
                                       cfg.eval_train_examples))
        self._loss_total.zero_()
        self._loss_steps = 0
        rows = [record(self.run_id, self.step, k, v) for k, v in metrics.items()]
        for callback in self.callbacks:
            rows.extend(callback(self, self.step) or [])
        self.log.extend(rows)
        bar.show(**bar_postfix(metrics))
        text = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items() if k != "lr_factor")
        bar.write(f"[{self.run_id or 'run'}] step {self.step}/{total}  {text}  ({self.elapsed:.1f}s)")


def bar_postfix(metrics: dict[str, float]) -> dict[str, float]:
    """What the progress bar shows after the step count: the batch loss and the headline metric
    (test accuracy, else test loss); evaluation lines carry every metric."""
    shown = {"loss": metrics.get("batch_loss")}
    headline = headline_metric([metrics])
    if headline in metrics:
        shown[headline] = metrics[headline]
    return {k: v for k, v in shown.items() if v is not None}


def train(config: RunConfig, *, store: RunStore | None = None, progress: Progress = "auto",
          callbacks: Sequence[EvalCallback] = (), kind: str = "train", parent: str | None = None,
          member: int | None = None, data: Dataset | None = None) -> TrainResult:
    """Train ``config``; when ``store`` is given, record the run there (checkpoints included).

    ``data`` (e.g. ``Dataset.from_arrays(...)``) replaces the config's dataset; a recorded run
    keeps a copy in the store and names it in its config (``data/files.py``), so it can be resumed
    and probed. Everything is built and validated before the run is registered, so bad input
    writes nothing.
    """
    trainer = Trainer(config, progress=progress, callbacks=callbacks, data=data)
    if store is None:
        return trainer.fit()
    if data is not None:
        from neuralab.config import Section
        from neuralab.data.files import file_section

        section = Section(**file_section(data, store.root / "data")).resolved("data")
        config = trainer.config = config.model_copy(update={"data": section})
    run = store.create(config.to_dict(), kind=kind, name=config.name or config.model.name,
                       parent=parent, member=member)
    trainer.run, trainer.store = run, store
    trainer.log = RecordLog(run.records_path,
                            sink=tensorboard.sink_for(config.train.tensorboard, run))
    with RunLock(run.path, run.id):
        try:
            return trainer.fit()
        except BaseException as exc:
            store.update(run.id, status=_failure_status(exc), step=trainer.step)
            raise


def resume(store: RunStore, run_id: str, *, progress: Progress = "auto",
           callbacks: Sequence[EvalCallback] = ()) -> TrainResult:
    """Continue the run ``run_id`` from its latest checkpoint to the end.

    Refused while another live process holds the run (its lock); the lock of a dead one is
    taken over."""
    from neuralab.config import build_config

    run = store.get(run_id)
    if run.kind != "train":
        raise NeuralabError(f"run {run.id} is a {run.kind} run; only train runs can be resumed")
    with RunLock(run.path, run.id):
        run = store.get(run.id)  # as it is now that no other process can write it
        if run.status == "completed":
            raise NeuralabError(f"run {run.id} has already completed; nothing to resume")
        if latest_checkpoint(run.checkpoints) is None:
            raise NeuralabError(
                f"run {run.id} has no checkpoint to resume from (it stopped at step {run.step}, "
                "before its first checkpoint; train.checkpoint_every sets how often one is "
                "written); start it again with the same config")
        config = build_config(run.config())
        trainer = Trainer(config, store=store, run=run, progress=progress, callbacks=callbacks)
        trainer.restore()
        store.update(run.id, status="running", step=trainer.step)
        try:
            return trainer.fit()
        except BaseException as exc:
            store.update(run.id, status=_failure_status(exc), step=trainer.step)
            raise


def _failure_status(exc: BaseException) -> str:
    return "interrupted" if isinstance(exc, (KeyboardInterrupt, TrainingInterrupted)) else "failed"
