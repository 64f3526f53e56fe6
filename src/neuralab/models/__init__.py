"""Architectures assembled from components, registered under kind ``"model"``.

Every model is a :class:`Model`: ``forward = forward_head(forward_features(x))`` and
``probe_points()`` names the sub-modules whose outputs probes may read. Factories take the
:class:`~neuralab.data.DataSpec` positionally and hyper-parameters as keywords; build one with
:func:`build_model`, which also applies the initialization scheme under a seed.
"""

from neuralab.models.base import Model, build_model

__all__ = ["Model", "build_model"]
