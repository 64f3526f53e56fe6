"""Quantization: fake quantization (STE), real int8 through torch.ao, binary/ternary weights,
codebooks, trainable fixed point, and L-Mul emulation; registered quantizers (kind
``quantizer``) in :mod:`.quantizers`."""

from neuralab.compress.quantize.fake import FakeQuant, fake_quantize, quantize_weights
from neuralab.compress.quantize.int8 import (dynamic_int8, is_int8, load_int8, qat_int8,
                                             save_int8, static_int8)
from neuralab.compress.quantize.lmul import fp8_product, lmul, relative_error

__all__ = [
    "FakeQuant", "dynamic_int8", "fake_quantize", "fp8_product", "is_int8", "lmul", "load_int8",
    "qat_int8", "quantize_weights", "relative_error", "save_int8", "static_int8",
]
