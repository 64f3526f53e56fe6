"""Distillation: Hinton's loss, ensemble distillation, quantized distillation."""

from neuralab.compress.distill.kd import (distill, ensemble_kd_loss, kd_loss,
                                          quantized_distillation, teacher_logits)

__all__ = ["distill", "ensemble_kd_loss", "kd_loss", "quantized_distillation", "teacher_logits"]
