"""What a compressed model costs and how well it does: one report for every method.

:func:`measure` returns, for any model neuralab compresses (dense, pruned through
``torch.nn.utils.prune``, fake-quantized through parametrizations, or a real int8 model of
``torch.ao``):

- ``params``: number of weights and biases (masks and quantization parameters not counted);
- ``nonzeros``: how many of them are not zero (for int8 tensors: not equal to the zero point);
- ``flops``: floating-point operations for one example (``torch.utils.flop_counter``; a
  multiply-add counts 2), and ``sparse_flops``: the same with every layer's count scaled by the
  density of its weights — what a sparse kernel would do;
- ``bits``: storage bits per parameter, averaged over parameters (32 for float32, 8 for int8 weights,
  ``b`` for a ``b``-bit fake-quantized weight);
- ``size_bytes``: bytes of the weights file actually written (safetensors), and ``packed_bytes``:
  the ideal size of the parameters at their bits, with a one-bit-per-weight bitmap for sparse
  tensors;
- ``test_loss`` / ``test_accuracy`` on the dataset's test split;
- ``latency_ms``: median CPU time of one forward pass over a batch, on one thread
  (``torch.utils.benchmark.Timer``'s default, so that figures compare across machines and loads).

:func:`compare` turns a before/after pair into table rows, :func:`as_records` into tidy records.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.utils.flop_counter import FlopCounterMode

from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import evaluate, record

METRICS = ("params", "nonzeros", "flops", "sparse_flops", "bits", "size_bytes", "packed_bytes",
           "test_accuracy", "test_loss", "latency_ms")


def _quantized_module(module: nn.Module) -> bool:
    return type(module).__module__.startswith("torch.ao.nn.quantized") and callable(
        getattr(module, "weight", None))


def tensors(model: nn.Module) -> Iterator[tuple[str, torch.Tensor, float, nn.Module]]:
    """``(name, value as the forward pass uses it, storage bits, owning module)`` of every
    parameter, folding pruning masks and evaluating parametrizations."""
    for prefix, module in model.named_modules():
        if isinstance(module, parametrize.ParametrizationList):
            continue
        dot = f"{prefix}." if prefix else ""
        if _quantized_module(module):
            w = module.weight()
            yield f"{dot}weight", w, float(torch.iinfo(w.int_repr().dtype).bits), module
            b = module.bias()
            if b is not None:
                yield f"{dot}bias", b.detach(), 32.0, module
            continue
        if parametrize.is_parametrized(module):
            for name, plist in module.parametrizations.items():
                bits = float(getattr(plist[0], "bits", 32))
                yield f"{dot}{name}", getattr(module, name).detach(), bits, module
        for name, p in module.named_parameters(recurse=False):
            if name.endswith("_orig") and hasattr(module, name[:-5] + "_mask"):
                base = name[:-5]
                value = (p * getattr(module, base + "_mask")).detach()
                yield f"{dot}{base}", value, float(torch.finfo(p.dtype).bits), module
            else:
                yield f"{dot}{name}", p.detach(), float(torch.finfo(p.dtype).bits), module


def _nonzero(t: torch.Tensor) -> int:
    if t.is_quantized:
        zp = (t.q_per_channel_zero_points().view(-1, *[1] * (t.dim() - 1)).movedim(0, t.q_per_channel_axis())
              if t.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric) else t.q_zero_point())
        return int((t.int_repr().long() != zp).sum())
    return int(torch.count_nonzero(t))


def count_flops(model: nn.Module, x: torch.Tensor) -> tuple[int, dict[str, int]]:
    """Total FLOPs of ``model(x)`` and the FLOPs of each module (by name)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    per_module = {}
    for key, ops in counter.get_flop_counts().items():
        name = key.split(".", 1)[1] if "." in key else ""
        per_module[name] = int(sum(ops.values()))
    return int(counter.get_total_flops()), per_module


def write_weights(model: nn.Module, path: str | Path) -> Path:
    """Write ``model``'s weights in its format: int8 safetensors for torch.ao models, folded
    safetensors otherwise."""
    from neuralab.compress.prune.masks import save_pruned
    from neuralab.compress.quantize.int8 import is_int8, save_int8

    return save_int8(model, path) if is_int8(model) else save_pruned(model, path)


def latency_ms(model: nn.Module, x: torch.Tensor, min_run_time: float = 0.3,
               threads: int = 1) -> float:
    """Median milliseconds of ``model(x)`` on the CPU with ``threads`` threads, no gradients."""
    from torch.utils.benchmark import Timer

    with torch.no_grad():
        model(x)  # warm-up: first-call allocations and kernel selection
        timer = Timer(stmt="model(x)", globals={"model": model, "x": x}, num_threads=threads)
        return float(timer.blocked_autorange(min_run_time=min_run_time).median * 1e3)


def measure(model: nn.Module, data: Dataset, *, reference: nn.Module | None = None,
            timing: bool = True, batch: int = 256, weights_file: str | Path | None = None,
            ) -> dict[str, float]:
    """The report of the module docstring. ``reference`` (the float model) supplies the FLOP count
    of models whose kernels the counter does not see (int8); ``weights_file`` is the file whose
    size is reported (default: written to a temporary directory)."""
    was_training = model.training
    model.eval()
    try:
        entries = list(tensors(model))
        params = sum(t.numel() for _, t, _, _ in entries)
        nonzeros = sum(_nonzero(t) for _, t, _, _ in entries)
        bit_total = sum(t.numel() * b for _, t, b, _ in entries)
        packed = 0.0
        for _, t, b, _ in entries:
            nz = _nonzero(t)
            packed += (nz * b + t.numel()) / 8 if nz < t.numel() else t.numel() * b / 8
        one = data.x_test[:1]
        flops, per_module = count_flops(model, one)
        if flops == 0 and reference is not None:
            flops, per_module = count_flops(reference.eval(), one)
        density: dict[str, list[int]] = {}
        for name, t, _, _ in entries:
            owner = name.rsplit(".", 1)[0] if "." in name else ""
            if t.dim() >= 2:
                slot = density.setdefault(owner, [0, 0])
                slot[0] += _nonzero(t)
                slot[1] += t.numel()
        sparse = flops - sum(per_module.get(k, 0) * (1 - nz / n) for k, (nz, n) in density.items())
        if weights_file is None:
            with tempfile.TemporaryDirectory() as tmp:
                size = write_weights(model, Path(tmp) / "weights.safetensors").stat().st_size
        else:
            size = Path(weights_file).stat().st_size
        scores = evaluate(model, data.spec, data.x_test, data.y_test)
        out = {"params": float(params), "nonzeros": float(nonzeros), "flops": float(flops),
               "sparse_flops": float(sparse), "bits": bit_total / max(1, params),
               "size_bytes": float(size), "packed_bytes": float(round(packed)),
               "test_accuracy": scores.get("accuracy", float("nan")), "test_loss": scores["loss"]}
        out["latency_ms"] = latency_ms(model, data.x_test[:batch]) if timing else float("nan")
        return out
    finally:
        model.train(was_training)


def compare(before: Mapping[str, float], after: Mapping[str, float]) -> list[tuple[str, Any, Any, Any]]:
    """Rows ``(metric, before, after, after / before)`` for a summary table."""
    rows = []
    for key in METRICS:
        if key in before or key in after:
            b, a = before.get(key, float("nan")), after.get(key, float("nan"))
            ratio = a / b if b not in (0, 0.0) and b == b and a == a else float("nan")
            rows.append((key, b, a, ratio))
    return rows


def as_records(values: Mapping[str, float], run: str | None, phase: str,
               step: int = 0) -> list[dict[str, Any]]:
    """Tidy records ``{phase}_{metric}`` (e.g. ``after_test_accuracy``)."""
    return [record(run, step, f"{phase}_{k}", v) for k, v in values.items()]
