"""Normalization layers, registered under kind ``"norm"``.

Every factory has the signature ``(num_features, spatial_dims=0, *, hyper-parameters)``:
with ``spatial_dims == 0`` the module normalizes channel-last tensors ``(..., C)`` (MLP features,
transformer tokens); with ``spatial_dims`` 1 or 2 it takes channel-first maps ``(B, C, L)`` or
``(B, C, H, W)`` (convolutions).
"""

from neuralab.components.norms.factory import make_norm

__all__ = ["make_norm"]
