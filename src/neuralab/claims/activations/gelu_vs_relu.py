"""GELU beats ReLU: higher test accuracy on MNIST-1D and lower test loss on the char LM.

Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)" (arXiv:1606.08415): GELU improves on
ReLU and ELU across vision, speech and language tasks.

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
gelu against relu on the mnist1d testbed, gelu against relu on the char lm testbed, over the sweep's seeds; reproduced when the one-sided 95% lower bound on the mean effect is
above 0, not reproduced when the upper bound is not (each comparison a part; all must hold).
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import CHAR_LM_BUDGETS, ActivationVersusReLU
from neuralab.registry import register


@register("claim", "gelu_vs_relu",
          paper="Gaussian Error Linear Units (GELUs)",
          arxiv="1606.08415")
class GELUVersusReLU(ActivationVersusReLU):
    statement = ("GELU beats ReLU: higher test accuracy on MNIST-1D and lower test loss on the "
                 "char LM.")
    comparisons = (('mnist1d', 'gelu'), ('char_lm', 'gelu'))
    budgets = CHAR_LM_BUDGETS
    full_minutes = 12
