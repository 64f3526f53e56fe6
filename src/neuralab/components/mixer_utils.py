"""Small helpers shared by sequence mixers: head reshaping and argument checks.

A mixer maps ``(B, T, D)`` to ``(B, T, D)``; multi-head mixers split ``D`` into ``n_heads`` heads
of ``D // n_heads`` channels, ``(B, T, D) <-> (B, H, T, D / H)``.
"""

from __future__ import annotations

import torch


def check_heads(d_model: int, n_heads: int) -> int:
    """The head width ``d_model // n_heads``; a ValueError when it does not divide."""
    if n_heads < 1 or d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    return d_model // n_heads


def require_causal(name: str, causal: bool) -> None:
    """Recurrent mixers read the past only; a non-causal request is a configuration error."""
    if not causal:
        raise ValueError(f"{name} is a causal (recurrent) mixer; build it with causal=True "
                         "(for a classifier: model.causal=true, which reads the last position)")


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """``(B, T, D) -> (B, H, T, D / H)``."""
    B, T, D = x.shape
    return x.view(B, T, n_heads, D // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """``(B, H, T, d) -> (B, T, H * d)``."""
    B, H, T, d = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d)


def append_kv(cache: tuple[torch.Tensor, torch.Tensor] | None, k_t: torch.Tensor,
              v_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A key-value cache ``(B, H, t, d)`` pair with one more position ``(B, H, d)`` appended."""
    k_t, v_t = k_t.unsqueeze(2), v_t.unsqueeze(2)
    if cache is None or cache[0].shape[2] == 0:
        return k_t, v_t
    return torch.cat([cache[0], k_t], dim=2), torch.cat([cache[1], v_t], dim=2)


def empty_kv(batch_size: int, n_heads: int, d_head: int, device=None,
             dtype=None) -> tuple[torch.Tensor, torch.Tensor]:
    """An empty key-value cache: two ``(B, H, 0, d)`` tensors."""
    empty = torch.zeros(batch_size, n_heads, 0, d_head, device=device, dtype=dtype)
    return empty, empty


def step_through(mixer, x: torch.Tensor) -> torch.Tensor:
    """Run a mixer's recurrent form over ``x (B, T, D)``: ``init_state`` then ``step`` per position."""
    state = mixer.init_state(x.shape[0], device=x.device, dtype=x.dtype)
    ys = []
    for t in range(x.shape[1]):
        y, state = mixer.step(x[:, t], state)
        ys.append(y)
    return torch.stack(ys, dim=1)


def norm_heads(norm: torch.nn.GroupNorm, o: torch.Tensor) -> torch.Tensor:
    """Apply a ``GroupNorm(n_heads, D)`` (a layer norm per head) to ``o (..., D)``."""
    return norm(o.reshape(-1, o.shape[-1])).view(o.shape)
