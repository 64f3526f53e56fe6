"""Activation functions, registered under kind ``"activation"``.

Every factory returns an ``nn.Module`` mapping a tensor to a tensor of the same shape. The registry
metadata ``gain`` names the ``torch.nn.init.calculate_gain`` nonlinearity that initialization
schemes use for it.
"""

from neuralab.components.activations.factory import activation_gain, make_activation

__all__ = ["activation_gain", "make_activation"]
