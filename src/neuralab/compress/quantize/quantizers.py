"""Quantizers by name (kind ``quantizer``): one call from a float model to a quantized one.

``REGISTRY.create("quantizer", name, **hyper).quantize(model, data, steps=..., lr=..., seed=...)``
returns a new model and leaves ``model`` untouched (its pruning masks folded into the copy).
Weight quantizers (``fake_*``, ``binary``, ``ternary``, ``codebook``, ``fixed_point``) are
parametrizations and fine-tune for ``steps`` steps through the straight-through estimator
(``steps = 0``: post-training); ``distilled`` fine-tunes the quantized copy against the float model
as teacher; the ``*_int8`` quantizers produce torch.ao models with real int8 kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from torch import nn

from neuralab.compress.finetune import fit
from neuralab.compress.prune.masks import clone_folded
from neuralab.compress.quantize import int8
from neuralab.compress.quantize.binary import Binary, Ternary
from neuralab.compress.quantize.codebook import Codebook
from neuralab.compress.quantize.fake import FakeQuant, quantize_weights
from neuralab.compress.quantize.fixed_point import fixed_point_model
from neuralab.compress.quantize.hawq import hawq as hawq_quantize
from neuralab.data.dataset import Dataset
from neuralab.errors import NeuralabError
from neuralab.progress import Mode
from neuralab.registry import register

Build = Callable[[nn.Module, Dataset], nn.Module]


@dataclass(frozen=True)
class Quantizer:
    """``build`` makes the quantized copy; ``trains`` says whether ``steps`` fine-tune it."""

    name: str
    build: Build
    trains: bool = True
    needs_steps: bool = False

    def quantize(self, model: nn.Module, data: Dataset, *, steps: int = 0, lr: float = 1e-4,
                 seed: int = 0, progress: Mode = "none") -> nn.Module:
        """The quantized model; ``steps`` of fine-tuning (quantizers that train) show
        ``progress`` on stderr (:mod:`neuralab.progress`)."""
        if steps < 0:
            raise NeuralabError(f"steps must be >= 0, got {steps}")
        if self.needs_steps and steps < 1:
            raise NeuralabError(f"quantizer {self.name!r} trains: give it steps >= 1")
        if steps and not self.trains:
            raise NeuralabError(f"quantizer {self.name!r} is post-training only: use steps 0")
        if self.name == "qat_int8":
            return int8.qat_int8(model, data, steps=steps, lr=lr, seed=seed, progress=progress)
        quantized = self.build(model, data)
        if self.name == "distilled" and steps:
            from neuralab.compress.distill.kd import distill

            return distill(quantized, [model], data, steps=steps, lr=lr, seed=seed,
                           progress=progress).eval()
        if not steps:
            return quantized.eval()
        return fit(quantized, data, steps=steps, lr=lr, seed=seed, progress=progress)


def _weights(make: Callable[[str, object], nn.Module]) -> Build:
    return lambda model, data: quantize_weights(clone_folded(model), make)


def _bits(bits: int, low: int, high: int) -> None:
    if not low <= bits <= high:
        raise ValueError(f"bits must be in {low}..{high}, got {bits}")


@register("quantizer", "fake_per_tensor", arxiv="1712.05877", paper="Quantization and Training of "
          "Neural Networks for Efficient Integer-Arithmetic-Only Inference")
def fake_per_tensor(*, bits: int = 8, symmetric: bool = True) -> Quantizer:
    """b-bit fake-quantized weights, one scale per tensor (STE when fine-tuned)."""
    _bits(bits, 2, 16)
    return Quantizer("fake_per_tensor", _weights(lambda k, w: FakeQuant(bits, symmetric=symmetric)))


@register("quantizer", "fake_per_channel", arxiv="1712.05877", paper="Quantization and Training "
          "of Neural Networks for Efficient Integer-Arithmetic-Only Inference")
def fake_per_channel(*, bits: int = 4, symmetric: bool = True) -> Quantizer:
    """b-bit fake-quantized weights, one scale per output channel (STE when fine-tuned)."""
    _bits(bits, 2, 16)
    return Quantizer("fake_per_channel", _weights(
        lambda k, w: FakeQuant(bits, symmetric=symmetric, per_channel=True)))


@register("quantizer", "static_int8", aliases=("ptq_int8",), arxiv="1712.05877",
          paper="Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only "
          "Inference")
def static_int8(*, calibration: int = 512) -> Quantizer:
    """Post-training static int8 (torch.ao, x86 kernels) calibrated on training examples."""
    if calibration < 1:
        raise ValueError(f"calibration must be >= 1, got {calibration}")
    return Quantizer("static_int8", lambda m, d: int8.static_int8(m, d, calibration=calibration),
                     trains=False)


@register("quantizer", "dynamic_int8", paper="Quantization and Training of Neural Networks for "
          "Efficient Integer-Arithmetic-Only Inference", arxiv="1712.05877")
def dynamic_int8() -> Quantizer:
    """int8 weights, activations quantized per batch (torch.ao; Linear, LSTM, GRU)."""
    return Quantizer("dynamic_int8", lambda m, d: int8.dynamic_int8(m), trains=False)


@register("quantizer", "qat_int8", paper="Quantization and Training of Neural Networks for "
          "Efficient Integer-Arithmetic-Only Inference", arxiv="1712.05877")
def qat_int8() -> Quantizer:
    """Quantization-aware training (torch.ao fake-quant, STE), then real int8."""
    return Quantizer("qat_int8", lambda m, d: m, needs_steps=True)


@register("quantizer", "binary", paper="XNOR-Net: ImageNet Classification Using Binary "
          "Convolutional Neural Networks", arxiv="1603.05279")
def binary() -> Quantizer:
    """1-bit weights alpha_c sign(w) with per-channel scales (STE when fine-tuned)."""
    return Quantizer("binary", _weights(lambda k, w: Binary()))


@register("quantizer", "ternary", paper="Ternary Weight Networks", arxiv="1605.04711")
def ternary(*, ratio: float = 0.7) -> Quantizer:
    """Ternary weights {-a, 0, a}, threshold ratio * mean|w| (STE when fine-tuned)."""
    if ratio <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    return Quantizer("ternary", _weights(lambda k, w: Ternary(ratio)))


@register("quantizer", "codebook", paper="Deep Compression: Compressing Deep Neural Networks with "
          "Pruning, Trained Quantization and Huffman Coding", arxiv="1510.00149")
def codebook(*, bits: int = 4, groups: int = 1) -> Quantizer:
    """k-means codebook of 2^bits shared weights per group of units; centroids fine-tune."""
    _bits(bits, 1, 8)
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    return Quantizer("codebook", _weights(lambda k, w: Codebook(w, bits, groups=groups)))


@register("quantizer", "fixed_point", paper="Trainable Fixed-Point Quantization for Deep Learning "
          "Acceleration on FPGAs")
def fixed_point(*, bits: int = 8) -> Quantizer:
    """Weights and layer outputs in b-bit fixed point with learnable binary points (QFX)."""
    _bits(bits, 2, 32)
    return Quantizer("fixed_point", lambda m, d: fixed_point_model(
        clone_folded(m), bits, d.x_train[:512]))


@register("quantizer", "distilled", paper="Model compression via distillation and quantization",
          arxiv="1802.05668")
def distilled(*, bits: int = 4) -> Quantizer:
    """Per-channel b-bit weights fine-tuned by distillation from the float model (needs steps)."""
    _bits(bits, 2, 16)
    return Quantizer("distilled", _weights(lambda k, w: FakeQuant(bits, per_channel=True)),
                     needs_steps=True)


@register("quantizer", "hawq", arxiv="1905.03696",
          paper="HAWQ: Hessian AWare Quantization of Neural Networks with Mixed-Precision")
def hawq(*, avg_bits: float = 4.0, candidates: tuple[int, ...] = (2, 3, 4, 5, 6, 8),
         examples: int = 1024, selection: Literal["v2", "v1"] = "v2") -> Quantizer:
    """Mixed precision per layer from Hessian sensitivity at avg_bits on average (HAWQ-V2's
    trace-weighted objective, or v1's eigenvalue ranking); post-training, no Hessian-order QAT."""
    if not candidates or min(candidates) < 2 or max(candidates) > 16:
        raise ValueError(f"candidates must be bit widths in 2..16, got {candidates}")
    if avg_bits < min(candidates):
        raise ValueError(f"avg_bits {avg_bits} is below the smallest candidate {min(candidates)}")
    return Quantizer("hawq", lambda m, d: hawq_quantize(m, d, avg_bits, candidates=candidates,
                                                        examples=examples, selection=selection)[0])
