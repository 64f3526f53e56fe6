"""Convolution building blocks beyond torch's own: large kernels with re-parameterized branches."""

from neuralab.components.conv.large_kernel import DilatedReparamConv, default_branches

__all__ = ["DilatedReparamConv", "default_branches"]
