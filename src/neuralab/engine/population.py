"""Train N models of one architecture family in a single pass: the population engine.

Member ``i`` of a population is the run its config describes, trained as the single-model
:class:`~neuralab.engine.trainer.Trainer` would train it: initialized under
``derive_seed(seed, "init")`` (times ``train.init_scale``), fed the batches of
``TensorBatcher(n, batch_size, derive_seed(seed, "data"))``, with dropout masks from
``derive_seed(seed, "dropout")``, its own learning rate, weight decay, schedule factor per step
and gradient clipping (and, with ``noisy_sgd`` / ``noisy_adam``, its own gradient-noise scale,
the noise drawn after its dropout masks from the same generator, as a single run draws both from
the generator the trainer seeds), and evaluated every ``eval_every`` steps. All members share one set of
stacked parameters ``(N, *shape)`` and one forward/backward per step (``torch.func.vmap`` over the
template model, or the batched-matmul MLP kernel), and one :class:`BatchedOptimizer` update.
Members of different widths are padded to the widest (:mod:`neuralab.engine.stacking`). A member
whose loss turns non-finite is frozen at that step and marked ``diverged``; the rest go on.

Everything a step makes lives on the parameters' device (batches, dropout masks from per-member
generators on that device, optimizer terms), and a step on an accelerator does not wait for it:
whether a loss turned non-finite is accumulated on the device and read back every
``check_every`` steps (:data:`DIVERGENCE_CHECK_EVERY` on an accelerator; every step on a CPU,
where reading a tensor costs nothing), and before every evaluation and every read of the results.
Each such window of steps starts from a snapshot (a copy of the parameters, buffers, optimizer
state, generator states and data position); when a check finds a member that went non-finite,
the population goes back to the snapshot and replays the window with a check after every step, so
that member is frozen at the very step its loss went non-finite, exactly as a check every step
would have frozen it. Divergence is thus noticed at most ``check_every`` steps late and recorded
at its own step; a window costs one extra copy of the training state in memory.

    from neuralab.config import build_config
    from neuralab.engine.population import train_population

    configs = [build_config({"seed": s, "optim": {"name": "sgd", "lr": lr}})
               for s in range(4) for lr in (0.03, 0.1)]
    results = train_population(configs)          # one MemberResult per config, in order
    print([r.metrics["test_accuracy"] for r in results])

``Population(configs)`` exposes the pieces (``train_step``, ``evaluate``, ``member_model``,
``capture``) for code that needs more control, such as population-based training; code that
changes members between steps calls ``check_divergence()`` first, so that no window spans the
change (a replay would undo it).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from neuralab.config import RunConfig
from neuralab.data.batching import BatchPosition, StackedBatcher
from neuralab.data.dataset import load_dataset
from neuralab.devices import resolve_device
from neuralab.engine.member_metrics import evaluate_members
from neuralab.engine.metrics import headline_metric, record
from neuralab.engine.stacking import build_member, population_key, stack, template_config, unstack
from neuralab.engine.trainer import DIVERGENCE_CHECK_EVERY
from neuralab.engine.vmap_kernel import VmapKernel
from neuralab.engine.vmap_rewrites import vmap_ready
from neuralab.errors import NeuralabError
from neuralab.progress import Mode, ProgressBar, resolve_mode
from neuralab.models.base import Model, build_model
from neuralab.optim.batched import OPTIMIZERS, BatchedOptimizer
from neuralab.optim.build import make_schedule
from neuralab.probes.hooks import Captured
from neuralab.seed import derive_seed, generator

Kernel = Literal["auto", "vmap", "mlp"]


@dataclass
class _Snapshot:
    """What a population's training steps change, as it was at the start of a window of steps."""

    step: int
    t: int
    position: BatchPosition
    factors: list[float]
    loss_count: int
    tensors: dict[str, torch.Tensor]  # params, buffers and the loss sums, cloned
    state: dict[str, dict[str, torch.Tensor]]  # the optimizer's, cloned
    rng: list[torch.Tensor]  # each member's dropout generator state


@dataclass
class MemberResult:
    """What one member of a population produced (like a single run's ``TrainResult``)."""

    index: int
    config: RunConfig
    status: str  # "completed" or "diverged"
    step: int
    metrics: dict[str, float]
    records: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    diverged_at: int | None = None
    state_dict: dict[str, torch.Tensor] = field(default_factory=dict)

    def model(self) -> Model:
        """The member's trained model (rebuilt at its own width, final weights loaded)."""
        data = load_dataset(self.config.data.name, **self.config.data.params)
        model = build_model(self.config.model.name, data.spec, self.config.model.params)
        model.load_state_dict(self.state_dict)
        return model

    @property
    def summary(self) -> dict[str, Any]:
        if self.status == "completed":
            return dict(self.metrics)
        return {"diverged_at": self.diverged_at, "steps": self.step}


def check_population(configs: Sequence[RunConfig]) -> None:
    """Raise what ``Population(configs)`` would reject, without building the members."""
    if not configs:
        raise NeuralabError("a population needs at least one member config")
    if len({population_key(c) for c in configs}) > 1:
        raise NeuralabError("these configs differ in more than seed, optimizer hyper-parameters, "
                            "schedule, init scale, grad clip and width; split them with "
                            "neuralab.engine.sweep.split_populations")
    if configs[0].optim.name not in OPTIMIZERS:
        raise NeuralabError(f"population optimizer {configs[0].optim.name!r} is not supported; "
                            f"allowed: {', '.join(OPTIMIZERS)}")
    for c in configs:
        make_schedule(c.schedule.name, c.train.steps, c.schedule.params)
    tcfg = template_config(configs)
    spec = load_dataset(tcfg.data.name, **tcfg.data.params).spec
    vmap_ready(build_model(tcfg.model.name, spec, tcfg.model.params), [])


class Population:
    """N members of one architecture family, trained together (see the module docstring)."""

    def __init__(self, configs: Sequence[RunConfig], *, kernel: Kernel = "auto",
                 compute_dtype: torch.dtype = torch.float32, compile: bool = False):
        check_population(configs)
        self.configs = list(configs)
        self.n = len(self.configs)
        first = self.configs[0]
        self.train_settings = first.train
        self.device = resolve_device(first.train.device)
        self.data = load_dataset(first.data.name, **first.data.params)
        self.spec = self.data.spec
        members = [build_member(c, self.data) for c in self.configs]
        tcfg = template_config(self.configs)
        template = build_model(tcfg.model.name, self.spec, tcfg.model.params)
        self.params, self.buffers, self.masks = stack(members, template)
        self.compute_dtype = compute_dtype
        self.params = {k: v.detach().to(self.device).requires_grad_(True)
                       for k, v in self.params.items()}
        self.buffers = {k: v.to(self.device) for k, v in self.buffers.items()}
        if self.masks is not None:
            self.masks = {k: v.to(self.device) for k, v in self.masks.items()}
        self.generators = [generator(derive_seed(c.seed, "dropout"), self.device)
                           for c in self.configs]
        self.template = vmap_ready(template, self.generators).to(self.device)
        self.kernel = self._make_kernel(kernel, tcfg, compile)
        shapes = None if self.masks is None else [  # each member's own shapes, for its noise
            {k: v.shape for k, v in m.state_dict().items() if k in self.params} for m in members]
        self.optimizer = BatchedOptimizer(first.optim.name, self.params,
                                          [c.optim.params for c in self.configs],
                                          generators=self.generators, shapes=shapes)
        self.schedules = [make_schedule(c.schedule.name, c.train.steps, c.schedule.params)
                          for c in self.configs]
        self._distinct_schedules = list(dict.fromkeys(self.schedules))
        self._schedule_of = [self._distinct_schedules.index(s) for s in self.schedules]
        self.batcher = StackedBatcher(self.data.x_train.shape[0], first.train.batch_size,
                                      [derive_seed(c.seed, "data") for c in self.configs],
                                      device=self.device)
        clips = [c.train.grad_clip for c in self.configs]
        self.grad_clip = None if all(c is None for c in clips) else torch.tensor(
            [math.inf if c is None else c for c in clips], device=self.device)
        self.x_train, self.y_train = (t.to(self.device) for t in (self.data.x_train, self.data.y_train))
        self.step = 0
        self.active_flags = [True] * self.n  # on the host: which members train (not diverged)
        self.active = torch.ones(self.n, dtype=torch.bool, device=self.device)  # the same (N,)
        self._n_active = self.n
        self.check_every = 1 if self.device.type == "cpu" else DIVERGENCE_CHECK_EVERY
        self._nonfinite = torch.zeros(self.n, dtype=torch.bool, device=self.device)
        self._snapshot: _Snapshot | None = None  # the start of the current window of steps
        self._replaying = False
        self.diverged_at: list[int | None] = [None] * self.n
        self.records: list[list[dict[str, Any]]] = [[] for _ in range(self.n)]
        self.last_metrics: list[dict[str, float]] = [{} for _ in range(self.n)]
        self.elapsed = 0.0
        self._loss_sum = torch.zeros(self.n, dtype=torch.float64, device=self.device)
        self._loss_count = 0
        self._factors: list[float] = [1.0] * self.n

    def _make_kernel(self, kernel: Kernel, tcfg: RunConfig, compile: bool):
        try:
            from neuralab.engine.mlp_kernel import MLPKernel
        except ImportError:
            MLPKernel = None
        if MLPKernel and kernel in ("auto", "mlp") and MLPKernel.supports(tcfg, self.template):
            return MLPKernel(tcfg, self.params, self.buffers, self.spec, self.generators,
                             self.compute_dtype, compile=compile)
        if kernel == "mlp":
            raise NeuralabError("the batched-matmul kernel supports plain MLPs only (model mlp "
                                "with norm 'none'); use kernel='vmap'")
        if compile:
            raise NeuralabError("compile=True applies to the batched-matmul kernel only (model "
                                "mlp with norm 'none'); leave it off for this model")
        return VmapKernel(self.template, self.params, self.buffers, self.spec, self.compute_dtype)

    # -- one step -----------------------------------------------------------------------------
    def schedule_factors(self, step: int) -> list[float]:
        """Each member's learning-rate factor at ``step`` (one call per distinct schedule)."""
        values = [s(step) for s in self._distinct_schedules]
        return [values[j] for j in self._schedule_of]

    def train_step(self) -> torch.Tensor:
        """One optimizer step for every active member; returns the (N,) batch losses.

        The kernel takes the members in chunks of ``kernel.member_chunk`` (all of them, unless
        wide members on a CPU are worth keeping in cache); each chunk's gradients go straight into
        its update. On an accelerator the step is only queued (see ``check_every``).
        """
        if self._checks_late() and self._snapshot is None:
            self._snapshot = self._take_snapshot()
        self._factors = self.schedule_factors(self.step)
        idx = self.batcher.next()  # (N, B), on the device
        flat = idx.flatten()
        x = self.x_train.index_select(0, flat).view(*idx.shape, *self.x_train.shape[1:])
        y = self.y_train.index_select(0, flat).view(*idx.shape, *self.y_train.shape[1:])
        chunk = self.kernel.member_chunk if self.optimizer.updates_slices else self.n
        all_active = self._n_active == self.n
        if self._n_active:  # a population whose members have all diverged takes no step
            self.optimizer.begin_step(self._factors)
        losses = torch.empty(self.n, device=self.device)
        for start in range(0, self.n, chunk):
            members = slice(start, min(start + chunk, self.n))
            losses[members], grads = self.kernel.loss_and_grad(x[members], y[members], members)
            all_active &= self._update(members, losses[members], grads)
        if all_active:
            self._loss_sum += losses
        else:
            self._loss_sum += torch.where(self.active, losses.double(), 0.0)
        self._loss_count += 1
        self.step += 1
        if self._checks_late() and self.step % self.check_every == 0:
            self.check_divergence()
        return losses

    def _checks_late(self) -> bool:
        """Whether divergence is read back only at checks (not while a window is replayed)."""
        return self.check_every > 1 and not self._replaying

    def _update(self, members: slice, losses: torch.Tensor, grads: dict[str, torch.Tensor]) -> bool:
        """Freeze the ``members`` whose loss is not finite, then mask, clip and apply the others'
        gradients ``grads`` (``{name: (len(members), *shape)}``); True if every member of the
        population is still active.

        When divergence is checked late, a non-finite loss is only noted on the device here (the
        member trains on until the check replays the window)."""
        finite = torch.isfinite(losses)
        if self._checks_late():
            self._nonfinite[members] |= self.active[members] & ~finite
        elif not bool(finite.all()):  # checked every step: freeze and mark them now
            self._freeze(members, self.active[members] & ~finite)
        all_active = self._n_active == self.n
        if self.masks is not None:
            for k, g in grads.items():
                g.mul_(self.masks[k][members])
        if self.grad_clip is not None:
            self._clip(grads, self.grad_clip[members])
        self.optimizer.update(None if all_active else self.active_flags, members, grads)
        return all_active

    def _freeze(self, members: slice, newly: torch.Tensor) -> None:
        """Mark the ``members`` flagged in ``newly`` ((len(members),) bool) diverged at this step."""
        for i in (newly.nonzero().flatten() + members.start).tolist():
            self.diverged_at[i] = self.step
            self.active_flags[i] = False
            self.records[i].append(record(None, self.step, "diverged", 1.0, member=i))
        self.active[members] &= ~newly
        self._n_active = sum(self.active_flags)

    # -- divergence checks --------------------------------------------------------------------
    def check_divergence(self) -> None:
        """Find the members whose loss went non-finite since the last check (see the module
        docstring): go back to the window's snapshot and replay it, checking every step, so that
        they are frozen and marked at their own step. Nothing to do on a CPU (checked each step)."""
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is None or not bool(self._nonfinite.any()):  # the one read-back per window
            return
        target = self.step
        self._restore(snapshot)
        self._replaying = True
        try:
            while self.step < target and self._n_active:
                self.train_step()
        finally:
            self._replaying = False

    @torch.no_grad()
    def _take_snapshot(self) -> _Snapshot:
        self._nonfinite.zero_()
        tensors = {**{f"param:{k}": v for k, v in self.params.items()},
                   **{f"buffer:{k}": v for k, v in self.buffers.items()}, "loss_sum": self._loss_sum}
        return _Snapshot(
            step=self.step, t=self.optimizer.t, position=dataclasses.replace(self.batcher.position),
            factors=list(self._factors), loss_count=self._loss_count,
            tensors={k: v.detach().clone() for k, v in tensors.items()},
            state={name: {k: v.clone() for k, v in st.items()} for name, st in self.optimizer.state.items()},
            rng=[g.get_state() for g in self.generators])

    @torch.no_grad()
    def _restore(self, snap: _Snapshot) -> None:
        """Put back what the steps since ``snap`` changed (in place: the kernels hold views)."""
        for k, v in self.params.items():
            v.copy_(snap.tensors[f"param:{k}"])
        for k, v in self.buffers.items():
            v.copy_(snap.tensors[f"buffer:{k}"])
        self._loss_sum.copy_(snap.tensors["loss_sum"])
        for name, state in self.optimizer.state.items():
            for key in list(state):
                if key in snap.state[name]:
                    state[key].copy_(snap.state[name][key])
                else:  # made during the window
                    del state[key]
        for g, rng in zip(self.generators, snap.rng):
            g.set_state(rng)
        self.optimizer.t = snap.t
        self.batcher.position = dataclasses.replace(snap.position)
        self.step, self._factors, self._loss_count = snap.step, list(snap.factors), snap.loss_count
        self._nonfinite.zero_()

    def reactivate(self, index: int) -> None:
        """Let member ``index`` train again (its weights were replaced, as PBT's exploit does)."""
        self.check_divergence()
        self.active_flags[index] = True
        self.active[index] = True
        self._n_active = sum(self.active_flags)
        self.diverged_at[index] = None

    @torch.no_grad()
    def _clip(self, grads: dict[str, torch.Tensor], max_norm: torch.Tensor) -> None:
        """Per-member ``clip_grad_norm_``: scale by min(1, max_norm / (total_norm + 1e-6))."""
        norms = torch.stack([torch.linalg.vector_norm(g.reshape(g.shape[0], -1), 2, dim=1)
                             for g in grads.values()], 1)  # (n, P); scalars per member are (n,)
        total = torch.linalg.vector_norm(norms, 2, dim=1)  # (n,)
        coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads.values():
            g.mul_(coef.to(g.dtype).view(-1, *([1] * (g.dim() - 1))))

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate_split(self, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
        """Per-member mean loss (and accuracy) on ``(x, y)`` in eval mode: ``{metric: (N,)}``."""
        return evaluate_members(self.kernel.outputs, self.spec, x.to(self.device), y.to(self.device),
                                batch_size)

    def evaluate(self) -> list[dict[str, float]]:
        """``train_*`` and ``test_*`` metrics of every member (as ``evaluate_splits`` computes)."""
        self.check_divergence()
        cfg, d = self.train_settings, self.data
        out: dict[str, torch.Tensor] = {}
        if cfg.eval_train_examples > 0:
            n = min(cfg.eval_train_examples, d.x_train.shape[0])
            for k, v in self.evaluate_split(d.x_train[:n], d.y_train[:n], cfg.eval_batch_size).items():
                out[f"train_{k}"] = v
        for k, v in self.evaluate_split(d.x_test, d.y_test, cfg.eval_batch_size).items():
            out[f"test_{k}"] = v
        columns = {k: v.tolist() for k, v in out.items()}
        return [{k: col[i] for k, col in columns.items()} for i in range(self.n)]

    def _record_eval(self) -> list[dict[str, float]]:
        """Evaluate and record every active member; returns their metrics."""
        evals = self.evaluate()  # checks divergence first: the loss sums may be replayed
        batch_loss = (self._loss_sum / max(1, self._loss_count)).tolist()
        shown = []
        for i in range(self.n):
            if not self.active_flags[i]:
                continue
            metrics = {"batch_loss": batch_loss[i], "lr_factor": self._factors[i], **evals[i]}
            self.records[i].extend(record(None, self.step, k, v, member=i) for k, v in metrics.items())
            self.last_metrics[i] = evals[i]
            shown.append(metrics)
        self._loss_sum.zero_()
        self._loss_count = 0
        return shown

    # -- the loop -----------------------------------------------------------------------------
    def fit(self, on_step: Callable[[int], None] | None = None,
            progress: Mode = "none") -> list[MemberResult]:
        """Train every member to ``train.steps``; ``on_step(k)`` reports k more member-steps.

        ``progress`` (``auto``, ``bar``, ``lines``, ``none``; see :mod:`neuralab.progress`)
        shows the steps on stderr, with the members' mean loss and headline metric."""
        total, every = self.train_settings.steps, self.train_settings.eval_every
        start = time.perf_counter() - self.elapsed
        with ProgressBar(total, desc=f"population of {self.n}", mode=progress,
                         initial=self.step) as bar:
            while self.step < total and self._n_active:
                before = self._n_active
                self.train_step()
                bar.update(1)
                if self.step == total or (every and self.step % every == 0):
                    bar.show(**member_postfix(self._record_eval(), self._n_active))
                if on_step is not None:
                    on_step(before)
        self.elapsed = time.perf_counter() - start
        if on_step is not None and self.step < total:
            on_step(0)
        return self.results()

    def results(self) -> list[MemberResult]:
        """One :class:`MemberResult` per member (final weights at each member's own width)."""
        self.check_divergence()
        out = []
        for i, cfg in enumerate(self.configs):
            diverged = self.diverged_at[i] is not None
            step = self.diverged_at[i] if diverged else self.step
            metrics = {} if diverged else {**self.last_metrics[i], "seconds": self.elapsed,
                                           "steps": self.step}
            out.append(MemberResult(
                index=i, config=cfg, status="diverged" if diverged else "completed", step=step,
                metrics=metrics, records=list(self.records[i]), seconds=self.elapsed,
                diverged_at=self.diverged_at[i], state_dict=self.member_model(i).state_dict()))
        return out

    # -- members and probes -------------------------------------------------------------------
    def member_model(self, index: int) -> Model:
        """Member ``index`` as a standalone model at its own width (a copy of its weights)."""
        self.check_divergence()
        cfg = self.configs[index]
        model = build_model(cfg.model.name, self.spec, cfg.model.params)
        self.kernel.sync()
        return unstack(self.params, self.buffers, index, model)

    def capture(self, x: torch.Tensor, y: torch.Tensor | None = None,
                points: Sequence[str] | None = None) -> Captured:
        """Per-member activations ``(N, B, ...)`` of the probe points on the shared batch ``x``.

        With targets ``y``, ``.grads`` holds each member's loss gradient with respect to them.
        """
        self.check_divergence()
        self.kernel.sync()
        vk = self.kernel if isinstance(self.kernel, VmapKernel) else VmapKernel(
            self.template, self.params, self.buffers, self.spec)
        return vk.capture(x.to(self.device), None if y is None else y.to(self.device), points)


def member_postfix(metrics: Sequence[dict[str, float]], active: int) -> dict[str, float]:
    """A population's progress values: active members, their mean batch loss and mean headline
    metric (test accuracy, else test loss)."""
    shown: dict[str, float] = {"active": active}
    headline = headline_metric(metrics)
    for name, key in (("loss", "batch_loss"), (headline, headline)):
        values = [m[key] for m in metrics if key in m and math.isfinite(m[key])]
        if values:
            shown[name] = sum(values) / len(values)
    return shown


def train_population(configs: Sequence[RunConfig], *, kernel: Kernel = "auto",
                     compute_dtype: torch.dtype = torch.float32, compile: bool = False,
                     on_step: Callable[[int], None] | None = None,
                     progress: Mode = "auto") -> list[MemberResult]:
    """Train ``configs`` as one population; one :class:`MemberResult` per config, in order.

    ``kernel``: "mlp" (hand-written batched matmuls; plain MLPs), "vmap" (any model) or "auto"
    (the MLP kernel where it applies). ``compute_dtype=torch.bfloat16`` computes the products in
    bfloat16 against float32 weights (members then no longer equal their float32 single runs).
    ``compile=True`` runs the MLP kernel's forward and backward through ``torch.compile``
    (members then equal their single runs to float32 tolerance, not bit for bit; see
    ``MLPKernel``); off by default. ``progress``: ``auto`` (default) shows the steps on stderr,
    a bar on a terminal and a line every 10 s otherwise; ``none`` is silent.
    """
    resolve_mode(progress)  # a bad mode is refused before anything is built
    return Population(configs, kernel=kernel, compute_dtype=compute_dtype,
                      compile=compile).fit(on_step=on_step, progress=progress)
