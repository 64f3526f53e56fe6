"""Third-order (tensor) softmax attention: each query scores pairs of keys.

Alman & Song, "How to Capture Higher-order Correlations? Generalizing Matrix Softmax Attention to
Kronecker Computation" (arXiv:2310.04064). With two key and two value projections::

    A = softmax(Q (K_1 (x) K_2)^T / d)       (K_1 (x) K_2)_{(j,k)} = k1_j * k2_k   (T^2 rows)
    y = A (V_1 (x) V_2)                      (V_1 (x) V_2)_{(j,k)} = v1_j * v2_k

i.e. ``y_i = sum_{j,k} softmax_{(j,k)}(<q_i, k1_j * k2_k> / d) v1_j * v2_k``, where ``(x)`` is the
column-wise Kronecker (face-splitting) product. Causal attention keeps pairs with ``j, k <= i``.
This is the exact ``O(T^3)`` computation, meant for short sequences; the paper's point is that
it can detect triple-wise relations (``x_i + x_j + x_k = 0 mod M``) a single matrix-attention
layer cannot.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.mixer_utils import check_heads, merge_heads, split_heads
from neuralab.registry import register


class TensorAttention(nn.Module):
    """Multi-head third-order attention over key pairs (cubic in the sequence length)."""

    def __init__(self, d_model: int, n_heads: int, causal: bool):
        super().__init__()
        self.n_heads, self.d_head, self.causal = n_heads, check_heads(d_model, n_heads), causal
        self.proj = nn.Linear(d_model, 5 * d_model)  # q, k1, k2, v1, v2
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        q, k1, k2, v1, v2 = (split_heads(t, self.n_heads) for t in self.proj(x).chunk(5, dim=-1))
        scores = torch.einsum("bhid,bhjd,bhkd->bhijk", q, k1, k2) / self.d_head  # (B, H, T, T, T)
        if self.causal:
            past = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()  # (i, j): j <= i
            mask = past[:, :, None] & past[:, None, :]
            scores = scores.masked_fill(~mask, float("-inf"))
        B, H = scores.shape[:2]
        probs = scores.reshape(B, H, T, T * T).softmax(-1).view(B, H, T, T, T)
        y = torch.einsum("bhijk,bhjd,bhkd->bhid", probs, v1, v2)  # (B, H, T, d)
        return self.out(merge_heads(y))  # (B, T, D)


@register("mixer", "tensor_attention", aliases=("kronecker_attention",), tags={"vmap_safe"},
          paper="How to Capture Higher-order Correlations? Generalizing Matrix Softmax Attention "
          "to Kronecker Computation", arxiv="2310.04064")
def tensor_attention(d_model: int, n_heads: int, causal: bool) -> TensorAttention:
    """Third-order softmax attention over pairs of keys (exact, O(T^3))."""
    return TensorAttention(d_model, n_heads, causal)
