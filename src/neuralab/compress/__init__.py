"""Compression: pruning, quantization, distillation, re-parameterization and data pruning.

Methods are registered by name — ``neuralab list pruner``, ``neuralab list quantizer`` — and every
one is reported the same way by :func:`neuralab.compress.measure.measure`: parameters, non-zeros,
FLOPs, bits, size on disk, accuracy and CPU latency. The command line: ``neuralab prune RUN`` and
``neuralab quantize RUN``.
"""

from neuralab.compress.finetune import fit
from neuralab.compress.measure import as_records, compare, measure

__all__ = ["as_records", "compare", "fit", "measure"]
