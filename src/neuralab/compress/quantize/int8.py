"""Real int8 inference on the CPU through torch.ao's quantized kernels (x86 / fbgemm backend).

- Static post-training quantization: observers record activation ranges on a calibration set,
  then weights (per output channel, symmetric int8) and activations (per tensor, affine uint8) run
  through integer kernels: ``q = clamp(round(x / s) + z, q_min, q_max)``, ``x ~ s (q - z)``
  (Jacob et al., "Quantization and Training of Neural Networks for Efficient
  Integer-Arithmetic-Only Inference", arXiv:1712.05877). FX graph mode (``prepare_fx``,
  ``convert_fx``) traces the model, so functional code needs no stubs.
- Dynamic quantization: int8 weights, activations quantized on the fly per batch (Linear, LSTM,
  GRU) — no calibration.
- Quantization-aware training: the same graph with fake-quantize modules (straight-through
  estimator) trained for some steps, then converted.

On disk an int8 model is one safetensors file: every quantized tensor stored as its integer
representation plus scales and zero points, everything else as it is, and the layout in the
metadata; :func:`load_int8` reads it into a model converted the same way. (torch.ao.quantization is
deprecated upstream in favour of the torchao package; the pinned torch 2.13 still ships it, and its
deprecation warnings are silenced here.)
"""

from __future__ import annotations

import json
from collections import OrderedDict
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from neuralab.atomic import atomic_path
from neuralab.compress.finetune import fit
from neuralab.compress.prune.masks import clone_folded
from neuralab.data.dataset import Dataset
from neuralab.errors import CheckpointError, NeuralabError
from neuralab.progress import Mode

BACKEND = "x86"
PER_CHANNEL = (torch.per_channel_affine, torch.per_channel_symmetric)


@contextmanager
def quiet() -> Iterator[None]:
    """Silence torch.ao's deprecation and observer warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def _traceable(model: nn.Module, what: str) -> nn.Module:
    if getattr(getattr(model, "stem", None), "embed", None) is not None or hasattr(model, "rnn"):
        raise NeuralabError(f"{what} supports feed-forward models (mlp, cnn, ...); use "
                            "dynamic_int8 for recurrent or token models")
    return clone_folded(model).eval()


def static_int8(model: nn.Module, data: Dataset, *, calibration: int = 512) -> nn.Module:
    """Post-training static int8 quantization calibrated on the first training examples."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    clone = _traceable(model, "static int8 quantization")
    torch.backends.quantized.engine = BACKEND
    with quiet(), torch.no_grad():
        try:
            prepared = prepare_fx(clone, get_default_qconfig_mapping(BACKEND), (data.x_test[:2],))
        except Exception as exc:  # torch.fx cannot trace data-dependent control flow
            raise NeuralabError(f"static int8 quantization cannot trace {type(model).__name__}: "
                                f"{str(exc).splitlines()[0]}") from None
        for start in range(0, min(calibration, data.x_train.shape[0]), 256):
            prepared(data.x_train[start:min(start + 256, calibration)])
        return convert_fx(prepared)


def dynamic_int8(model: nn.Module) -> nn.Module:
    """int8 weights of every Linear / LSTM / GRU, activations quantized per batch."""
    from torch.ao.quantization import quantize_dynamic

    torch.backends.quantized.engine = BACKEND
    with quiet():
        return quantize_dynamic(clone_folded(model).eval(), {nn.Linear, nn.LSTM, nn.GRU},
                                dtype=torch.qint8)


def qat_int8(model: nn.Module, data: Dataset, *, steps: int, lr: float = 1e-4, seed: int = 0,
             batch_size: int = 128, progress: Mode = "none") -> nn.Module:
    """Quantization-aware training for ``steps`` steps (fake-quantize with a straight-through
    estimator), then conversion to int8."""
    from torch.ao.quantization import get_default_qat_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_qat_fx

    clone = _traceable(model, "quantization-aware training").train()
    torch.backends.quantized.engine = BACKEND
    with quiet():
        prepared = prepare_qat_fx(clone, get_default_qat_qconfig_mapping(BACKEND), (data.x_test[:2],))
        fit(prepared, data, steps=steps, lr=lr, seed=seed, batch_size=batch_size, progress=progress)
        return convert_fx(prepared.eval())


def is_int8(model: nn.Module) -> bool:
    """Whether ``model`` holds torch.ao quantized modules."""
    return any(type(m).__module__.startswith("torch.ao.nn.quantized") for m in model.modules())


def _flatten(key: str, value: Any, tensors: dict[str, torch.Tensor], layout: dict[str, Any]) -> None:
    if isinstance(value, torch.Tensor) and value.is_quantized:
        tensors[f"{key}#int"] = value.int_repr().contiguous()
        if value.qscheme() in PER_CHANNEL:
            tensors[f"{key}#scale"] = value.q_per_channel_scales().contiguous()
            tensors[f"{key}#zero"] = value.q_per_channel_zero_points().contiguous()
            layout[key] = {"q": str(value.dtype), "axis": value.q_per_channel_axis()}
        else:
            tensors[f"{key}#scale"] = torch.tensor([value.q_scale()], dtype=torch.float64)
            tensors[f"{key}#zero"] = torch.tensor([value.q_zero_point()])
            layout[key] = {"q": str(value.dtype)}
    elif isinstance(value, torch.Tensor):
        tensors[key] = value.detach().contiguous()
        layout[key] = {"t": True}
    elif isinstance(value, torch.dtype):
        layout[key] = {"dtype": str(value)}
    elif isinstance(value, tuple):
        layout[key] = {"tuple": len(value)}
        for i, item in enumerate(value):
            _flatten(f"{key}#{i}", item, tensors, layout)
    elif value is None:
        layout[key] = {"none": True}
    else:
        raise NeuralabError(f"cannot store {key!r} of type {type(value).__name__} in safetensors")


def _rebuild(key: str, layout: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> Any:
    spec = layout[key]
    if "q" in spec:
        # the integer dtype (int8 / uint8) fixes the quantized dtype (qint8 / quint8)
        ints, scale, zero = tensors[f"{key}#int"], tensors[f"{key}#scale"], tensors[f"{key}#zero"]
        if "axis" in spec:
            return torch._make_per_channel_quantized_tensor(ints, scale, zero, spec["axis"])
        return torch._make_per_tensor_quantized_tensor(ints, float(scale[0]), int(zero[0]))
    if "t" in spec:
        return tensors[key]
    if "dtype" in spec:
        return getattr(torch, spec["dtype"].removeprefix("torch."))
    if "tuple" in spec:
        return tuple(_rebuild(f"{key}#{i}", layout, tensors) for i in range(spec["tuple"]))
    return None


def save_int8(model: nn.Module, path: str | Path, metadata: Mapping[str, str] | None = None) -> Path:
    """Write an int8 model's state as safetensors (integers, scales, zero points), atomically."""
    tensors: dict[str, torch.Tensor] = {}
    layout: dict[str, Any] = {}
    state = model.state_dict()
    for key, value in state.items():
        _flatten(key, value, tensors, layout)
    # module versions tell torch.ao's loaders which state-dict format they read
    versions = {k: dict(v) for k, v in getattr(state, "_metadata", {}).items()}
    info = {"keys": list(state), "layout": layout, "versions": versions}
    meta = {**dict(metadata or {}), "neuralab.int8": json.dumps(info)}
    path = Path(path)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return path


def load_int8(template: nn.Module, path: str | Path) -> nn.Module:
    """Load a file written by :func:`save_int8` into ``template``, an int8 model converted from
    the same architecture (its calibration does not matter: every scale is overwritten)."""
    from safetensors import safe_open

    path = Path(path)
    try:
        tensors = load_file(str(path))
        with safe_open(str(path), framework="pt") as fh:
            info = json.loads((fh.metadata() or {})["neuralab.int8"])
    except FileNotFoundError:
        raise CheckpointError(f"int8 weights file {str(path)!r} not found") from None
    except (SafetensorError, OSError, KeyError, ValueError) as exc:
        raise CheckpointError(f"int8 weights file {str(path)!r} is corrupt: {exc}") from None
    state = OrderedDict((k, _rebuild(k, info["layout"], tensors)) for k in info["keys"])
    state._metadata = OrderedDict(info.get("versions", {}))  # type: ignore[attr-defined]
    try:
        template.load_state_dict(state)
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"int8 weights file {str(path)!r} does not fit the model: "
                              f"{str(exc).splitlines()[0]}") from None
    return template
