"""Probes: read-only measurements of networks, emitting tidy records.

Every probe reads a model through :mod:`neuralab.probes.hooks` (forward hooks on the model's
``probe_points()``) or through ``torch.func``, never changes parameters, buffers or training mode
for good, and returns records ``{run, member, step, layer, metric, value}``.
"""

from neuralab.probes.hooks import capture

__all__ = ["capture"]
