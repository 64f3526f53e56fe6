"""Curvature of the loss: Hessian-vector products, top eigenvalues and the Hessian trace.

For the mean loss ``L(w) = (1/N) sum_i loss(f(x_i; w), y_i)`` over a fixed set of examples, the
Hessian ``H = d^2 L / dw^2`` is never formed: :class:`LossHessian` is a linear operator
``v -> H v`` on flat parameter vectors, computed exactly (no finite differences) by

- double backward (Pearlmutter's trick): ``Hv = d/dw <dL/dw, v>`` with ``torch.autograd.grad``
  twice — works for any module with twice-differentiable ops (the default);
- forward-over-reverse with ``torch.func``: ``Hv = jvp(grad(L), (w,), (v,))`` on
  ``functional_call`` — needs forward-mode support in every op, and measured 1.2-3.5x slower
  than double backward on CPU (``bench/hessian.py``); kept as a cross-check.

On top of it:

- :func:`top_eigenvalues` — the ``k`` largest eigenvalues by power iteration with deflation
  (largest in magnitude, as PyHessian) or by Lanczos (``scipy.sparse.linalg.eigsh``, algebraically
  largest);
- :func:`hutchinson_trace` — ``tr(H) = E_v[v^T H v]`` with Rademacher ``v`` (Hutchinson, 1990),
  and per-layer traces ``tr(H_ll) = E_v[v_l^T (Hv)_l]`` from the same products (HAWQ-v2).

A subset of parameters (names, or module prefixes such as ``"blocks.0"``) gives the Hessian block of
those parameters with the rest held fixed — the per-layer blocks HAWQ ranks layers by. Every product
runs in eval mode by default (restored afterwards) and never touches ``.grad`` or the weights.

Papers: Yao et al., "PyHessian: Neural Networks Through the Lens of the Hessian" (arXiv 1912.07145);
Dong et al., "HAWQ: Hessian AWare Quantization of Neural Networks with Mixed-Precision"
(arXiv 1905.03696); Pearlmutter, "Fast Exact Multiplication by the Hessian" (1994).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, jvp

from neuralab.data.batching import eval_batches
from neuralab.errors import NeuralabError
from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register
from neuralab.seed import generator as make_generator

Criterion = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
HvpMethod = Literal["double_backward", "func"]


def default_criterion(y: torch.Tensor) -> Criterion:
    """Cross-entropy for integer class targets, mean squared error for real targets."""
    if y.dtype in (torch.int64, torch.int32, torch.int16, torch.uint8):
        return lambda out, t: F.cross_entropy(out.reshape(-1, out.shape[-1]), t.reshape(-1),
                                              ignore_index=-100)
    return F.mse_loss


def select_parameters(model: nn.Module, params: Iterable[str] | None = None) -> dict[str, nn.Parameter]:
    """``{name: parameter}`` for ``params`` (parameter names or module prefixes; None: all trainable)."""
    named = {n: p for n, p in model.named_parameters() if p.requires_grad}
    if params is None:
        return named
    out: dict[str, nn.Parameter] = {}
    for key in params:
        hits = {n: p for n, p in named.items() if n == key or n.startswith(key + ".")}
        if not hits:
            from neuralab.errors import UnknownNameError

            raise UnknownNameError("parameter or module", key, named)
        out.update(hits)
    return out


class LossHessian:
    """The Hessian of the mean loss over ``(x, y)`` w.r.t. the selected parameters, as ``v -> Hv``.

    Vectors are flat ``(P,)`` tensors in the order of :attr:`names`; :meth:`split` views one as a
    ``{name: tensor}`` dict. Examples are processed in chunks of ``batch_size`` (the mean loss is
    the size-weighted mean of the chunk means, so ``Hv`` is exact for any chunking).
    """

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 criterion: Criterion | None = None, *, params: Iterable[str] | None = None,
                 batch_size: int = 1024, method: HvpMethod = "double_backward",
                 training: bool = False):
        if method not in ("double_backward", "func"):
            raise NeuralabError(f"unknown Hessian-vector method {method!r} (known: double_backward, func)")
        if x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise NeuralabError(f"need as many targets as inputs (> 0), got {x.shape[0]} and {y.shape[0]}")
        self.model, self.x, self.y = model, x, y
        self.criterion = criterion or default_criterion(y)
        self.params = select_parameters(model, params)
        self.names = list(self.params)
        self.shapes = [p.shape for p in self.params.values()]
        self.sizes = [p.numel() for p in self.params.values()]
        self.dim = sum(self.sizes)
        self.batch_size, self.method, self.training = batch_size, method, training
        first = next(iter(self.params.values()))
        self.device, self.dtype = first.device, first.dtype

    # -- flat vectors -------------------------------------------------------------------------
    def split(self, v: torch.Tensor) -> dict[str, torch.Tensor]:
        """View a flat ``(P,)`` vector as ``{parameter name: tensor of its shape}``."""
        parts = torch.split(v, self.sizes)
        return {n: t.view(s) for n, t, s in zip(self.names, parts, self.shapes)}

    def flatten(self, tensors: Sequence[torch.Tensor]) -> torch.Tensor:
        return torch.cat([t.reshape(-1) for t in tensors])

    def weights(self) -> torch.Tensor:
        """The current values of the selected parameters as one flat vector."""
        return self.flatten([p.detach() for p in self.params.values()])

    def _chunks(self) -> Iterable[tuple[torch.Tensor, torch.Tensor, float]]:
        n = self.x.shape[0]
        for sl in eval_batches(n, self.batch_size):
            yield self.x[sl], self.y[sl], (sl.stop - sl.start) / n

    # -- loss, gradient and Hessian-vector products -------------------------------------------
    def loss(self) -> float:
        with torch.no_grad(), model_mode(self.model, self.training):
            return sum(float(self.criterion(self.model(xb), yb)) * w for xb, yb, w in self._chunks())

    def gradient(self) -> torch.Tensor:
        """``dL/dw`` as a flat vector."""
        total = torch.zeros(self.dim, device=self.device, dtype=self.dtype)
        params = list(self.params.values())
        with model_mode(self.model, self.training):
            for xb, yb, w in self._chunks():
                g = torch.autograd.grad(self.criterion(self.model(xb), yb), params)
                total += w * self.flatten(g)
        return total

    def matvec(self, v: torch.Tensor) -> torch.Tensor:
        """``H v`` for a flat ``(P,)`` vector ``v``."""
        if v.shape != (self.dim,):
            raise NeuralabError(f"Hessian-vector product needs a ({self.dim},) vector, got {tuple(v.shape)}")
        v = v.to(self.device, self.dtype)
        total = torch.zeros_like(v)
        with model_mode(self.model, self.training):
            for xb, yb, w in self._chunks():
                total += w * (self._hvp_func(xb, yb, v) if self.method == "func"
                              else self._hvp_double_backward(xb, yb, v))
        return total

    __matmul__ = matvec

    def _hvp_double_backward(self, xb: torch.Tensor, yb: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        params = list(self.params.values())
        loss = self.criterion(self.model(xb), yb)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * u).sum() for g, u in zip(grads, self.split(v).values()))
        hv = torch.autograd.grad(dot, params, allow_unused=True)
        return self.flatten([torch.zeros_like(p) if h is None else h for h, p in zip(hv, params)])

    def _hvp_func(self, xb: torch.Tensor, yb: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        fixed = {n: t.detach() for n, t in self.model.named_parameters() if n not in self.params}
        fixed.update(dict(self.model.named_buffers()))

        def loss_of(p: dict[str, torch.Tensor]) -> torch.Tensor:
            return self.criterion(functional_call(self.model, {**fixed, **p}, (xb,)), yb)

        primal = {n: p.detach() for n, p in self.params.items()}
        _, hv = jvp(grad(loss_of), (primal,), (self.split(v),))
        return self.flatten([hv[n] for n in self.names])

    def dense(self) -> torch.Tensor:
        """The full ``(P, P)`` Hessian from ``P`` products (only for small blocks and tests)."""
        eye = torch.eye(self.dim, device=self.device, dtype=self.dtype)
        return torch.stack([self.matvec(e) for e in eye], dim=1)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm().clamp_min(1e-30)


def power_iteration(hessian: LossHessian, *, k: int = 1, iters: int = 100, tol: float = 1e-4,
                    seed: int = 0) -> tuple[list[float], list[torch.Tensor]]:
    """The ``k`` eigenvalues largest in magnitude, with unit eigenvectors (deflation, PyHessian).

    Each iteration orthogonalizes against the eigenvectors already found; it stops when the
    Rayleigh quotient changes by less than ``tol`` relative to its size.
    """
    g = make_generator(seed)
    values: list[float] = []
    vectors: list[torch.Tensor] = []
    for _ in range(min(k, hessian.dim)):
        v = _unit(torch.randn(hessian.dim, generator=g).to(hessian.device, hessian.dtype))
        value = math.nan
        for _ in range(iters):
            for u in vectors:
                v = v - (v @ u) * u
            v = _unit(v)
            hv = hessian.matvec(v)
            new = float(v @ hv)
            v = _unit(hv)
            if math.isfinite(value) and abs(new - value) <= tol * (abs(value) + 1e-12):
                value = new
                break
            value = new
        for u in vectors:
            v = v - (v @ u) * u
        values.append(value)
        vectors.append(_unit(v))
    return values, vectors


def lanczos_eigenvalues(hessian: LossHessian, *, k: int = 1, which: Literal["LA", "SA", "LM"] = "LA",
                        iters: int | None = None, tol: float = 1e-6, seed: int = 0) -> list[float]:
    """The ``k`` extreme eigenvalues by implicitly restarted Lanczos (ARPACK via scipy), descending.

    ``which``: ``"LA"`` algebraically largest (the sharpest directions), ``"SA"`` smallest (the most
    negative curvature), ``"LM"`` largest in magnitude. Small blocks are solved densely.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    k = min(k, hessian.dim)
    if hessian.dim <= max(2 * k + 1, 16):
        eig = torch.linalg.eigvalsh(hessian.dense().double())
        ordered = {"LA": eig.flip(0), "SA": eig, "LM": eig[eig.abs().argsort(descending=True)]}[which]
        return sorted(ordered[:k].tolist(), reverse=True)

    def mv(v: np.ndarray) -> np.ndarray:
        out = hessian.matvec(torch.from_numpy(np.ascontiguousarray(v).ravel()))
        return out.detach().double().cpu().numpy()

    op = LinearOperator((hessian.dim, hessian.dim), matvec=mv, dtype=np.float64)
    v0 = torch.randn(hessian.dim, generator=make_generator(seed), dtype=torch.float64).numpy()
    values = eigsh(op, k=k, which=which, v0=v0, maxiter=iters, tol=tol, return_eigenvectors=False)
    return sorted(float(x) for x in values)[::-1]


def top_eigenvalues(hessian: LossHessian, *, k: int = 1, method: Literal["power", "lanczos"] = "lanczos",
                    iters: int = 100, tol: float = 1e-4, seed: int = 0) -> list[float]:
    """The top ``k`` Hessian eigenvalues by ``method`` (descending)."""
    if method == "power":
        return sorted(power_iteration(hessian, k=k, iters=iters, tol=tol, seed=seed)[0], reverse=True)
    if method == "lanczos":
        return lanczos_eigenvalues(hessian, k=k, iters=iters * max(1, k) * 10, tol=tol, seed=seed)
    raise NeuralabError(f"unknown eigenvalue method {method!r} (known: power, lanczos)")


def hutchinson_trace(hessian: LossHessian, *, samples: int = 100,
                     seed: int = 0) -> tuple[float, float, dict[str, float]]:
    """Hutchinson's estimate of ``tr(H)``: (mean, standard error, per-parameter traces).

    ``v`` is Rademacher (+-1 with equal probability), so ``E[v^T H v] = tr(H)``; restricting the
    product to parameter ``l`` gives an unbiased estimate of the trace of its diagonal block.
    """
    if samples < 1:
        raise NeuralabError(f"Hutchinson needs samples >= 1, got {samples}")
    g = make_generator(seed)
    totals: list[float] = []
    per_param = {n: 0.0 for n in hessian.names}
    for _ in range(samples):
        v = (torch.randint(0, 2, (hessian.dim,), generator=g) * 2 - 1).to(hessian.device, hessian.dtype)
        hv = hessian.matvec(v)
        prods = hessian.split(v * hv)
        for n, t in prods.items():
            per_param[n] += float(t.sum()) / samples
        totals.append(float(v @ hv))
    mean = float(np.mean(totals))
    stderr = float(np.std(totals, ddof=1) / math.sqrt(samples)) if samples > 1 else math.nan
    return mean, stderr, per_param


def by_module(per_param: dict[str, float]) -> dict[str, float]:
    """Sum per-parameter values into their modules (``blocks.0.linear.weight`` -> ``blocks.0.linear``)."""
    out: dict[str, float] = {}
    for name, value in per_param.items():
        module = name.rsplit(".", 1)[0] if "." in name else name
        out[module] = out.get(module, 0.0) + value
    return out


@register("probe", "hessian", paper="PyHessian: Neural Networks Through the Lens of the Hessian",
          arxiv="1912.07145")
def hessian_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, *, top_k: int = 1,
                  method: Literal["lanczos", "power"] = "lanczos", iters: int = 100,
                  trace_samples: int = 20, params: list[str] | None = None, batch_size: int = 1024,
                  seed: int = 0) -> list[dict]:
    """Top Hessian eigenvalues and the Hutchinson trace of the loss, whole and per module."""
    if y is None:
        raise NeuralabError("the hessian probe needs targets y (it differentiates the loss)")
    hessian = LossHessian(model, x, y, params=params, batch_size=batch_size)
    eig = top_eigenvalues(hessian, k=top_k, method=method, iters=iters, seed=seed)
    rows = [probe_record(f"hessian_eig{i + 1}", v) for i, v in enumerate(eig)]
    if trace_samples > 0:
        trace, stderr, per_param = hutchinson_trace(hessian, samples=trace_samples, seed=seed)
        rows += [probe_record("hessian_trace", trace), probe_record("hessian_trace_stderr", stderr)]
        rows += [probe_record("hessian_trace", v, layer=m) for m, v in by_module(per_param).items()]
    return rows
