"""Squared ReLU reaches a lower char-LM test loss than ReLU at equal steps.

Zhang et al., "ReLU^2 Wins: Discovering Efficient Activation Functions for Sparse LLMs"
(arXiv:2402.03804), after So et al.'s Primer (arXiv:2109.08668): squared ReLU gives the best
performance-sparsity trade-off; here only its loss against ReLU is tested.

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
relu2 against relu on the char lm testbed, over the sweep's seeds; reproduced when the one-sided 95% lower bound on the mean effect is
above 0, not reproduced when the upper bound is not.
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import CHAR_LM_BUDGETS, ActivationVersusReLU
from neuralab.registry import register


@register("claim", "relu2_vs_relu",
          paper="ReLU^2 Wins: Discovering Efficient Activation Functions for Sparse "
          "LLMs",
          arxiv="2402.03804")
class SquaredReLUVersusReLU(ActivationVersusReLU):
    statement = "Squared ReLU reaches a lower char-LM test loss than ReLU at equal steps."
    comparisons = (('char_lm', 'relu2'),)
    budgets = CHAR_LM_BUDGETS
    full_minutes = 12
