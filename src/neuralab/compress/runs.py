"""Compress a recorded run into a new run: what ``neuralab prune`` and ``neuralab quantize`` do.

The parent run's model is rebuilt from its config and final weights (its latest checkpoint, or
the ``model.safetensors`` of a sweep member; zeros of an earlier
pruning come back as masks), compressed, optionally fine-tuned, and measured before and after
(:func:`neuralab.compress.measure.measure`). Everything is computed and validated first; only then
is a new run registered — kind ``prune`` or ``quantize``, ``parent`` the source run — with

- ``config.json``: the parent's config (the model section updated when structured pruning
  shrank it) plus a ``compress`` section naming the method and its settings;
- ``records.jsonl``: ``before_*`` / ``after_*`` records of every measurement, and per-layer
  ``sparsity`` or ``bits``;
- weights: a pruned model as a checkpoint of folded safetensors (so it can be pruned or quantized
  again), a quantized one as ``quantized.safetensors`` (int8 integers and scales for torch.ao
  models, the quantized weights for weight quantizers);
- ``summary.json``: the after-measurements and the before ones under ``before_*``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from neuralab.compress.finetune import fit
from neuralab.compress.measure import as_records, compare, measure, write_weights
from neuralab.compress.prune.masks import clone_folded, mask_zeros, sparsity
from neuralab.compress.prune.pruner import MaskPruner
from neuralab.compress.prune.schedules import GradualPruning, iterative_pruning
from neuralab.compress.quantize.fake import bits_by_layer
from neuralab.config import RunConfig, build_config
from neuralab.data.dataset import Dataset
from neuralab.engine.checkpoint import save_checkpoint
from neuralab.engine.metrics import RecordLog, record
from neuralab.engine.run_model import load_run_model
from neuralab.errors import NeuralabError
from neuralab.progress import Mode
from neuralab.registry import REGISTRY
from neuralab.store import RunInfo, RunStore

Schedule = Literal["oneshot", "gradual", "iterative"]
SCHEDULES = ("oneshot", "gradual", "iterative")


@dataclass
class Compressed:
    """A finished compression run."""

    run_id: str
    parent: str
    method: str
    before: dict[str, float]
    after: dict[str, float]

    def rows(self) -> list[tuple[str, Any, Any, Any]]:
        return compare(self.before, self.after)


def load_run(store: RunStore, run_id: str) -> tuple[RunInfo, RunConfig, Dataset, nn.Module]:
    """The run, its config, its dataset and its model with its final weights (zeros of an
    earlier pruning held as masks)."""
    info = store.get(run_id)
    if info.kind == "quantize":
        raise NeuralabError(f"run {info.id} is quantized; prune or quantize its parent "
                            f"{info.parent} instead")
    info, data, model = load_run_model(store, info.id, purpose="compress")
    config = build_config({k: v for k, v in info.config().items() if k in RunConfig.model_fields})
    return info, config, data, mask_zeros(model)


def _finish(store: RunStore, info: RunInfo, config: dict[str, Any], kind: str, method: str,
            model: nn.Module, before: dict[str, float], after: dict[str, float],
            layers: list[dict[str, Any]]) -> Compressed:
    run = store.create(config, kind=kind, name=f"{info.name or info.kind}-{method}"[:40],
                       parent=info.id)
    try:
        if kind == "prune":
            save_checkpoint(run.checkpoints, 0, clone_folded(model), {})
        else:
            write_weights(model, run.path / "quantized.safetensors")
        layers = [{**r, "run": run.id} for r in layers]
        RecordLog(run.records_path).extend(
            as_records(before, run.id, "before") + as_records(after, run.id, "after") + layers)
        summary = {**after, **{f"before_{k}": v for k, v in before.items()}, "method": method}
        store.update(run.id, status="completed", summary=summary)
    except BaseException:
        store.update(run.id, status="failed")
        raise
    return Compressed(run.id, info.id, method, before, after)


def check_finetuning(steps: int, lr: float) -> None:
    """Refuse fine-tuning settings that cannot train: negative steps, a learning rate that is not
    a positive, finite number."""
    if steps < 0:
        raise NeuralabError(f"--steps must be >= 0, got {steps}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise NeuralabError(f"--lr must be a positive, finite learning rate, got {lr}")


def prune_run(store: RunStore, run_id: str, *, method: str, sparsity_target: float,
              params: dict[str, Any] | None = None, schedule: Schedule = "oneshot",
              steps: int = 0, lr: float = 1e-3, rounds: int = 3, seed: int = 0,
              timing: bool = True, progress: Mode = "auto") -> Compressed:
    """Prune run ``run_id`` with the registered ``method`` into a new ``prune`` run; the
    fine-tuning steps show ``progress`` on stderr (:mod:`neuralab.progress`)."""
    if schedule not in SCHEDULES:
        raise NeuralabError(f"unknown schedule {schedule!r} (known: {', '.join(SCHEDULES)})")
    if rounds < 1:
        raise NeuralabError(f"need rounds >= 1, got rounds={rounds}")
    check_finetuning(steps, lr)
    if "sparsity" in (params or {}):
        raise NeuralabError("give the sparsity with --sparsity, not --set sparsity=...")
    info, config, data, model = load_run(store, run_id)
    pruner = REGISTRY.create("pruner", method, sparsity=sparsity_target, **dict(params or {}))
    if pruner.structured and schedule != "oneshot":
        raise NeuralabError(f"{method} removes whole units: use --schedule oneshot")
    if getattr(pruner, "needs_reference", False) and schedule != "iterative":
        raise NeuralabError(f"{method} prunes between rounds of training: use --schedule iterative")
    if schedule != "oneshot" and steps < 1:
        raise NeuralabError(f"the {schedule} schedule trains: give it --steps >= 1")
    before = measure(model, data, timing=timing)
    model_section = dict(config.model.params)
    if pruner.structured:
        model, model_section = pruner.prune(model, data.spec, data, name=config.model.name,
                                            params=model_section)
        fit(model, data, steps=steps, lr=lr, seed=seed, progress=progress)
    else:
        model = _unstructured(model, data, pruner, schedule, steps, lr, rounds, seed, progress)
    after = measure(model, data, timing=timing)
    layers = ([] if pruner.structured else
              [record(None, 0, "sparsity", v, layer=k) for k, v in sparsity(model).items()])
    cfg = config.to_dict()
    cfg["model"] = {"name": config.model.name, **model_section}
    cfg["compress"] = {"parent": info.id, "kind": "prune", "method": method,
                       "sparsity": sparsity_target, "params": dict(params or {}),
                       "schedule": schedule, "steps": steps, "lr": lr, "rounds": rounds, "seed": seed}
    return _finish(store, info, cfg, "prune", method, model, before, after, layers)


def _unstructured(model: nn.Module, data: Dataset, pruner: MaskPruner, schedule: str, steps: int,
                  lr: float, rounds: int, seed: int, progress: Mode) -> nn.Module:
    if schedule == "oneshot":
        pruner.apply(model, data, seed=seed)
        return fit(model, data, steps=steps, lr=lr, seed=seed, progress=progress)
    if schedule == "gradual":
        end = max(1, round(0.75 * steps))
        callback = GradualPruning(pruner, model, start=0, end=end, every=max(1, end // 10),
                                  data=data, seed=seed)
        return fit(model, data, steps=steps, lr=lr, seed=seed, after_step=callback,
                   progress=progress)
    iterative_pruning(model, data, pruner, rounds=rounds, steps=steps, seed=seed,
                      pretrained=True, fit_options={"lr": lr, "progress": progress})
    return model.eval()


def quantize_run(store: RunStore, run_id: str, *, method: str, params: dict[str, Any] | None = None,
                 steps: int = 0, lr: float = 1e-4, seed: int = 0, timing: bool = True,
                 progress: Mode = "auto") -> Compressed:
    """Quantize run ``run_id`` with the registered ``method`` into a new ``quantize`` run; its
    fine-tuning steps show ``progress`` on stderr."""
    check_finetuning(steps, lr)
    info, config, data, model = load_run(store, run_id)
    quantizer = REGISTRY.create("quantizer", method, **dict(params or {}))
    before = measure(model, data, timing=timing)
    quantized = quantizer.quantize(model, data, steps=steps, lr=lr, seed=seed, progress=progress)
    after = measure(quantized, data, reference=model, timing=timing)
    layers = [record(None, 0, "bits", v, layer=k) for k, v in bits_by_layer(quantized).items()]
    cfg = config.to_dict()
    cfg["compress"] = {"parent": info.id, "kind": "quantize", "method": method,
                       "params": dict(params or {}), "steps": steps, "lr": lr, "seed": seed}
    return _finish(store, info, cfg, "quantize", method, quantized, before, after, layers)
