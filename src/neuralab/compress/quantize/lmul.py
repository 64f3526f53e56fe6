"""L-Mul: floating-point multiplication approximated by one integer addition, emulated in torch.

Luo & Sun, "Addition is All You Need for Energy-efficient Language Models" (arXiv:2410.00907).
For ``x = (1 + x_m) 2^{x_e}`` and ``y = (1 + y_m) 2^{y_e}`` with ``m``-bit mantissas,

    L-Mul(x, y) = (1 + x_m + y_m + 2^{-l(m)}) 2^{x_e + y_e},   l(m) = m (m <= 3), 3 (m = 4), 4 (m > 4)

with the sign ``sign(x) sign(y)``: the mantissa product ``x_m y_m`` is dropped and replaced by a
constant offset, so only additions remain. Here the operands are first rounded to ``m`` explicit
mantissa bits (round to nearest even, exponent range of float32) and the formula is evaluated
exactly in float32. :func:`fp8_product` is the reference it is compared with: the operands cast to
``torch.float8_e4m3fn`` or ``torch.float8_e5m2`` and multiplied exactly (as fp8 tensor hardware
multiplies and accumulates in higher precision).
"""

from __future__ import annotations

import torch

from neuralab.errors import NeuralabError

FP8 = {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2}


def offset_bits(mantissa_bits: int) -> int:
    """``l(m)`` of the paper."""
    return mantissa_bits if mantissa_bits <= 3 else (3 if mantissa_bits == 4 else 4)


def round_mantissa(x: torch.Tensor, mantissa_bits: int) -> torch.Tensor:
    """``x`` rounded to ``mantissa_bits`` explicit mantissa bits (float32 exponent range)."""
    if not 0 <= mantissa_bits <= 23:
        raise NeuralabError(f"mantissa bits must be in 0..23, got {mantissa_bits}")
    frac, exp = torch.frexp(x.float())  # x = frac 2^exp, |frac| in [0.5, 1)
    scale = 2.0 ** (mantissa_bits + 1)
    return torch.ldexp(torch.round(frac * scale), exp) / scale


def lmul(x: torch.Tensor, y: torch.Tensor, mantissa_bits: int) -> torch.Tensor:
    """L-Mul of ``x`` and ``y`` (elementwise, broadcasting) with ``mantissa_bits``-bit operands."""
    x, y = round_mantissa(x, mantissa_bits), round_mantissa(y, mantissa_bits)
    fx, ex = torch.frexp(x.abs())  # |x| = fx 2^ex = (1 + x_m) 2^(ex - 1), x_m = 2 fx - 1
    fy, ey = torch.frexp(y.abs())
    mant = 1.0 + (2 * fx - 1) + (2 * fy - 1) + 2.0 ** -offset_bits(mantissa_bits)
    out = torch.ldexp(mant, ex + ey - 2) * torch.sign(x) * torch.sign(y)
    return torch.where((x == 0) | (y == 0), torch.zeros_like(out), out)


def fp8_product(x: torch.Tensor, y: torch.Tensor, fmt: str) -> torch.Tensor:
    """The exact product of ``x`` and ``y`` cast to float8 (``"e4m3"`` or ``"e5m2"``)."""
    if fmt not in FP8:
        raise NeuralabError(f"unknown float8 format {fmt!r} (known: {', '.join(FP8)})")
    return x.to(FP8[fmt]).float() * y.to(FP8[fmt]).float()


def relative_error(approx: torch.Tensor, exact: torch.Tensor) -> torch.Tensor:
    """``|approx - exact| / |exact|`` elementwise."""
    return (approx.double() - exact.double()).abs() / exact.double().abs()


def lmul_matmul(a: torch.Tensor, b: torch.Tensor, mantissa_bits: int) -> torch.Tensor:
    """``a @ b`` with every scalar product an L-Mul and exact float32 accumulation:
    ``(..., n, k) @ (k, p) -> (..., n, p)`` (for attention scores or linear layers)."""
    return lmul(a.unsqueeze(-1), b, mantissa_bits).sum(-2)  # (..., n, k, p) -> (..., n, p)
