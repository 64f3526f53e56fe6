"""Optimizers (kind ``"optimizer"``) and learning-rate schedules (kind ``"schedule"``).

torch.optim's optimizers are registered by name; methods torch does not have live one per file
here, with their update rule in the docstring. An optimizer factory has the signature
``(params, *, hyper-parameters)``.
"""

from neuralab.optim.build import make_optimizer, make_schedule

__all__ = ["make_optimizer", "make_schedule"]
