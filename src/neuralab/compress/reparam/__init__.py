"""Re-parameterization: the same function in a cheaper form (batch-norm folding, RepVGG)."""

from neuralab.compress.reparam.bn_fold import fold_batchnorm

__all__ = ["fold_batchnorm"]
