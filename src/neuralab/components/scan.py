"""Scans: the linear recurrence ``h_t = a_t * h_{t-1} + b_t`` and other associative prefix sums.

Every linear recurrent layer in neuralab (minGRU/minLSTM, LRU, HGRN, RG-LRU, diagonal linear RNNs,
RWKV) computes an element-wise linear recurrence over time (dim 1 of ``(B, T, ...)`` tensors)::

    h_t = a_t * h_{t-1} + b_t,        h_{-1} = h0 (zero by default)

Its step is an affine map, and composing affine maps is associative, so the whole sequence can be
computed as a prefix scan with the operator (Blelloch, "Prefix Sums and Their Applications", 1990;
Martin & Cundy, "Parallelizing Linear Recurrent Neural Nets Over Sequence Length",
arXiv:1709.04057)::

    (a_s, b_s) then (a_t, b_t)  =  (a_t * a_s,  a_t * b_s + b_t)

:func:`linear_scan` offers three forms that agree to rounding error:

- ``"sequential"``: the loop, one step per position (the definition; T dependent steps);
- ``"parallel"``: a Hillis-Steele scan, ``ceil(log2 T)`` vectorized rounds (``O(T log T)`` work);
- ``"chunked"``: the parallel scan inside chunks of ``chunk`` positions and the loop across chunks
  (``T / chunk`` dependent steps), the form chunkwise kernels use.

No form takes logarithms or divides, so ``a_t`` may be negative or complex (LRU, the [-1, 1]
eigenvalue range of "Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues",
arXiv:2411.12537). :func:`associative_scan` is the same Hillis-Steele scan for any associative
operator (Aaren's softmax-attention prefix scan uses it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import torch

ScanMethod = Literal["parallel", "sequential", "chunked"]
Elems = tuple[torch.Tensor, ...]


def associative_scan(combine: Callable[[Elems, Elems], Elems], elems: Sequence[torch.Tensor],
                     dim: int = 1) -> Elems:
    """Inclusive prefix scan of ``elems`` along ``dim`` with an associative ``combine``.

    ``combine(earlier, later)`` takes and returns tuples of tensors sliced along ``dim``. Round
    ``r`` combines each position with the one ``2**r`` before it (Hillis & Steele, "Data Parallel
    Algorithms", 1986); positions with nothing that far back are left as they are.
    """
    out = tuple(elems)
    length = out[0].shape[dim]
    offset = 1
    while offset < length:
        earlier = tuple(e.narrow(dim, 0, length - offset) for e in out)
        later = tuple(e.narrow(dim, offset, length - offset) for e in out)
        merged = combine(earlier, later)
        out = tuple(torch.cat([e.narrow(dim, 0, offset), m], dim=dim) for e, m in zip(out, merged))
        offset *= 2
    return out


def _affine(earlier: Elems, later: Elems) -> Elems:
    (a_s, b_s), (a_t, b_t) = earlier, later
    return a_t * a_s, a_t * b_s + b_t


def _parallel(a: torch.Tensor, b: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(prefix products of a, h) with h0 = 0."""
    return associative_scan(_affine, (a, b), dim=dim)  # type: ignore[return-value]


def _sequential(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    h = torch.zeros_like(b[:, 0])
    out = []
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, dim=1)


def _chunked(a: torch.Tensor, b: torch.Tensor, chunk: int) -> torch.Tensor:
    B, T = b.shape[:2]
    n = -(-T // chunk)
    pad = n * chunk - T
    if pad:  # identity steps at the end: a = 1, b = 0
        a = torch.cat([a, a.new_ones((B, pad, *a.shape[2:]))], dim=1)
        b = torch.cat([b, b.new_zeros((B, pad, *b.shape[2:]))], dim=1)
    a = a.reshape(B, n, chunk, *a.shape[2:])
    b = b.reshape(B, n, chunk, *b.shape[2:])
    a_prefix, h_local = _parallel(a, b, dim=2)  # within each chunk, from a zero state
    carry = torch.zeros_like(b[:, 0, 0])
    out = []
    for c in range(n):  # the state entering chunk c, carried across chunks one step at a time
        out.append(h_local[:, c] + a_prefix[:, c] * carry.unsqueeze(1))
        carry = out[-1][:, -1]
    return torch.stack(out, dim=1).reshape(B, n * chunk, *b.shape[3:])[:, :T]


def linear_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, *,
                method: ScanMethod = "parallel", chunk: int = 32) -> torch.Tensor:
    """All states ``h_t = a_t * h_{t-1} + b_t`` for ``b`` of shape ``(B, T, ...)``.

    ``a`` broadcasts against ``b`` (a constant per-channel ``a`` of shape ``(N,)`` is fine);
    ``h0`` is ``(B, ...)`` or None for a zero initial state. Returns ``(B, T, ...)``.
    """
    if b.dim() < 2:
        raise ValueError(f"b must be (B, T, ...), got shape {tuple(b.shape)}")
    a, b = torch.broadcast_tensors(a, b)
    if h0 is not None:  # fold the initial state into the first input
        b = torch.cat([(b[:, :1] + a[:, :1] * h0.unsqueeze(1)), b[:, 1:]], dim=1)
    if b.shape[1] == 0:
        return b
    if method == "parallel":
        return _parallel(a, b, dim=1)[1]
    if method == "sequential":
        return _sequential(a, b)
    if method == "chunked":
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        return _chunked(a, b, chunk)
    raise ValueError(f"unknown scan method {method!r} (known: parallel, sequential, chunked)")
