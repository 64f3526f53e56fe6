"""Dense associative memory with Hebbian storage: p-body couplings and zero-temperature retrieval.

Krotov & Hopfield, "Dense Associative Memory for Pattern Recognition" (arXiv:1606.01164). Binary
patterns ``xi^mu in {-1, +1}^N`` are stored by the Hebbian rule (nothing is trained by gradient);
the energy of a state ``sigma`` is::

    E(sigma) = - sum_mu (xi^mu . sigma)^p / N^(p - 1)

``p = 2`` is the Hopfield network (couplings ``J_ij = sum_mu xi_i^mu xi_j^mu / N``; capacity about
``0.14 N`` patterns); larger even ``p`` gives p-body couplings and a capacity growing like
``N^(p-1)``. Retrieval flips each unit, one at a time in a random order, to the sign that lowers
the energy (zero-temperature Glauber dynamics) until a sweep changes nothing.

Supervised storage (Agliari et al., "Dense Hebbian neural networks: a replica symmetric picture of
supervised learning", arXiv:2212.00606): each class stores the sign of the mean of its noisy
examples, ``xi^mu = sign(mean_a eta^{mu, a})``, and an input is classified by the stored pattern it
overlaps most after retrieval.
"""

from __future__ import annotations

import torch


class DenseHebbianMemory:
    """Stored ``±1`` patterns ``(K, N)`` and the p-body energy dynamics over them."""

    def __init__(self, patterns: torch.Tensor, p: int = 2):
        if p < 2 or p % 2:
            raise ValueError(f"the interaction order p must be even and >= 2, got {p}")
        if not torch.all(patterns.abs() == 1):
            raise ValueError("patterns must be ±1")
        self.patterns, self.p = patterns.float(), p

    @classmethod
    def from_examples(cls, examples: torch.Tensor, labels: torch.Tensor, n_classes: int,
                      p: int = 2) -> DenseHebbianMemory:
        """Supervised storage: one pattern per class, the sign of its examples' mean (ties -> +1)."""
        means = torch.stack([examples[labels == k].float().mean(0) for k in range(n_classes)])
        return cls(torch.where(means >= 0, 1.0, -1.0), p)

    def energy(self, sigma: torch.Tensor) -> torch.Tensor:
        """``E(sigma)`` for states ``(B, N)`` -> ``(B,)``."""
        n = sigma.shape[-1]
        return -(sigma.float() @ self.patterns.T).pow(self.p).sum(-1) / n ** (self.p - 1)

    def overlaps(self, sigma: torch.Tensor) -> torch.Tensor:
        """Mattis overlaps ``m_mu = xi^mu . sigma / N``: ``(B, K)``."""
        return sigma.float() @ self.patterns.T / sigma.shape[-1]

    def retrieve(self, sigma: torch.Tensor, max_sweeps: int = 20,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Asynchronous zero-temperature dynamics from states ``(B, N)`` to a fixed point."""
        sigma = sigma.float().clone()
        B, n = sigma.shape
        m = sigma @ self.patterns.T  # (B, K) unnormalized overlaps, kept up to date
        for _ in range(max_sweeps):
            changed = False
            for i in torch.randperm(n, generator=generator).tolist():
                xi = self.patterns[:, i]  # (K,)
                rest = m - sigma[:, i : i + 1] * xi  # overlaps without unit i
                gain = (rest + xi).pow(self.p).sum(-1) - (rest - xi).pow(self.p).sum(-1)  # (B,)
                new = torch.where(gain >= 0, 1.0, -1.0)
                flip = new != sigma[:, i]
                if flip.any():
                    changed = True
                    m = rest + new.unsqueeze(1) * xi
                    sigma[:, i] = new
            if not changed:
                break
        return sigma

    def classify(self, sigma: torch.Tensor, max_sweeps: int = 20,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """The index of the stored pattern each state overlaps most after retrieval: ``(B,)``."""
        return self.overlaps(self.retrieve(sigma, max_sweeps, generator)).argmax(-1)
