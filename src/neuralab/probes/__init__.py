"""Probes: read-only measurements of networks, emitting tidy records.

Every probe reads a model through :mod:`neuralab.probes.hooks` (forward hooks on the model's
``probe_points()``) or through ``torch.func``, never changes parameters, buffers or training mode
for good, and returns records ``{run, member, step, layer, metric, value}``.
"""

from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.runner import label, probe_members, probe_record, run_probe

__all__ = ["capture", "label", "model_mode", "probe_members", "probe_record", "run_probe"]
