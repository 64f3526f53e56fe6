"""Gated linear attention in its three forms: parallel, recurrent and chunkwise.

Linear attention, RetNet retention, Gated Linear Attention and HGRN2 all compute, per head, a
matrix-valued state with a decay on the key dimension::

    S_t = diag(alpha_t) S_{t-1} + k_t v_t^T          S: (d_k, d_v), alpha_t in (0, 1]^{d_k}
    o_t = S_t^T q_t

so that ``o_t = sum_{s<=t} (q_t * prod_{r=s+1..t} alpha_r) . k_s  v_s``. With the log-decay
prefix sums ``c_t = sum_{r<=t} log alpha_r`` the product is ``exp(c_t - c_s)``. The forms
(Yang et al., "Gated Linear Attention Transformers with Hardware-Efficient Training",
arXiv:2312.06635; Sun et al., "Retentive Network", arXiv:2307.08621):

- :func:`parallel`: the ``T x T`` (decayed, causal) attention matrix; quadratic, for reference and
  short sequences. Scalar decays (``alpha`` constant over ``d_k``) cost ``T x T`` memory, per-key
  decays ``T x T x d_k``.
- :func:`recurrent` / :func:`step`: the state update, one position at a time; constant memory.
- :func:`chunkwise`: states only at chunk boundaries; inside a chunk the decayed attention matrix
  is built from differences of within-chunk prefix sums (always ``<= 0``, so ``exp`` never
  overflows).

Shapes: ``q, k`` are ``(B, H, T, d_k)``, ``v`` is ``(B, H, T, d_v)`` and ``log_alpha`` broadcasts
to ``(B, H, T, d_k)`` (``<= 0``; zeros give plain causal linear attention). The state is
``(B, H, d_k, d_v)``.
"""

from __future__ import annotations

from typing import Literal

import torch

Form = Literal["chunkwise", "recurrent", "parallel"]


def _decays(log_alpha: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return log_alpha.expand_as(q).to(q.dtype)


def zero_state(q_or_shape: torch.Tensor, d_v: int) -> torch.Tensor:
    """A zero state ``(B, H, d_k, d_v)`` for queries shaped ``(B, H, T, d_k)``."""
    B, H, _, d_k = q_or_shape.shape
    return q_or_shape.new_zeros(B, H, d_k, d_v)


def parallel(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
             log_alpha: torch.Tensor) -> torch.Tensor:
    """``o`` from the decayed causal attention matrix (zero initial state)."""
    T = q.shape[2]
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    scalar = log_alpha.shape[-1] == 1
    c = torch.cumsum(log_alpha.expand(*q.shape[:3], log_alpha.shape[-1]).to(q.dtype), dim=2)
    diff = c.unsqueeze(3) - c.unsqueeze(2)  # (B, H, T, T, d_k or 1): c_t - c_s
    diff = diff.masked_fill(~causal[..., None], float("-inf"))
    if scalar:  # one decay per head: D[t, s] = prod alpha, applied to q k^T
        scores = (q @ k.transpose(-1, -2)) * diff.squeeze(-1).exp()  # (B, H, T, T)
    else:
        scores = torch.einsum("bhtd,bhsd,bhtsd->bhts", q, k, diff.exp())
    return scores @ v  # (B, H, T, d_v)


def step(q_t: torch.Tensor, k_t: torch.Tensor, v_t: torch.Tensor, log_alpha_t: torch.Tensor,
         state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One position: ``(B, H, d)`` inputs and a ``(B, H, d_k, d_v)`` state -> (o_t, new state)."""
    alpha = log_alpha_t.expand_as(k_t).to(state.dtype).exp()
    state = alpha.unsqueeze(-1) * state + k_t.unsqueeze(-1) * v_t.unsqueeze(-2)
    return torch.einsum("bhd,bhde->bhe", q_t, state), state


def recurrent(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, log_alpha: torch.Tensor,
              state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``o`` and the final state by stepping through the sequence."""
    state = zero_state(q, v.shape[-1]) if state is None else state
    log_alpha = _decays(log_alpha, q)
    out = []
    for t in range(q.shape[2]):
        o, state = step(q[:, :, t], k[:, :, t], v[:, :, t], log_alpha[:, :, t], state)
        out.append(o)
    return torch.stack(out, dim=2), state


def chunkwise(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, log_alpha: torch.Tensor,
              chunk: int = 16, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``o`` and the final state, materializing the state only every ``chunk`` positions."""
    B, H, T, d_k = q.shape
    d_v = v.shape[-1]
    state = zero_state(q, d_v) if state is None else state
    log_alpha = _decays(log_alpha, q)
    n = -(-T // chunk)
    pad = n * chunk - T
    if pad:  # padded positions: zero keys and queries, no decay
        q, k, log_alpha = (torch.cat([x, x.new_zeros(B, H, pad, d_k)], dim=2)
                           for x in (q, k, log_alpha))
        v = torch.cat([v, v.new_zeros(B, H, pad, d_v)], dim=2)
    q, k, v, log_alpha = (x.reshape(B, H, n, chunk, x.shape[-1]) for x in (q, k, v, log_alpha))
    c = torch.cumsum(log_alpha, dim=3)  # (B, H, n, C, d_k), within-chunk prefix sums
    causal = torch.ones(chunk, chunk, dtype=torch.bool, device=q.device).tril()
    diff = (c.unsqueeze(4) - c.unsqueeze(3)).masked_fill(~causal[..., None], float("-inf"))
    intra = torch.einsum("bhntd,bhnsd,bhntsd->bhnts", q, k, diff.exp()) @ v  # (B, H, n, C, d_v)
    q_in = q * c.exp()  # queries decayed back to the chunk start
    k_out = k * (c[:, :, :, -1:] - c).exp()  # keys decayed forward to the chunk end
    chunk_decay = c[:, :, :, -1].exp()  # (B, H, n, d_k)
    out = []
    for i in range(n):
        out.append(intra[:, :, i] + q_in[:, :, i] @ state)
        state = chunk_decay[:, :, i].unsqueeze(-1) * state + k_out[:, :, i].transpose(-1, -2) @ v[:, :, i]
    o = torch.stack(out, dim=2).reshape(B, H, n * chunk, d_v)[:, :, :T]
    return o, state


def compute(form: Form, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
            log_alpha: torch.Tensor, chunk: int = 16) -> torch.Tensor:
    """``o`` by the named form (``"chunkwise"``, ``"recurrent"`` or ``"parallel"``)."""
    if form == "chunkwise":
        return chunkwise(q, k, v, log_alpha, chunk)[0]
    if form == "recurrent":
        return recurrent(q, k, v, log_alpha)[0]
    if form == "parallel":
        return parallel(q, k, v, log_alpha)
    raise ValueError(f"unknown form {form!r} (known: chunkwise, recurrent, parallel)")


class GatedLinearMixer(torch.nn.Module):
    """A mixer built on these forms: subclasses give ``_inputs`` and ``_finish``.

    ``_inputs(x (..., D)) -> (q, k, v, log_alpha)`` each ``(..., D)``, split into ``n_heads``
    heads of ``d_head``; ``_finish(o (..., D), x) -> y (..., D)``. ``forward`` runs ``form``
    (with ``chunk``), :meth:`step` the recurrent form with state ``S (B, H, d, d)``.
    """

    n_heads: int
    d_head: int
    form: Form
    chunk: int

    def _inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        raise NotImplementedError

    def _finish(self, o: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v, log_alpha = (t.view(B, T, self.n_heads, self.d_head).transpose(1, 2)
                              for t in self._inputs(x))  # (B, H, T, d)
        o = compute(self.form, q, k, v, log_alpha, self.chunk)
        return self._finish(o.transpose(1, 2).reshape(B, T, D), x)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.n_heads, self.d_head, self.d_head, device=device,
                           dtype=dtype or torch.get_default_dtype())

    def step(self, x_t: torch.Tensor, S: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, D = x_t.shape
        q, k, v, log_alpha = (t.view(B, self.n_heads, self.d_head) for t in self._inputs(x_t))
        o, S = step(q, k, v, log_alpha, S)
        return self._finish(o.reshape(B, D), x_t), S
