"""Training methods beyond an optimizer, registered under kind ``"method"``.

- :mod:`~neuralab.methods.continual_backprop`: reinitialize mature, low-utility units to keep a
  network plastic over a long sequence of tasks (Loss of Plasticity in Deep Continual Learning).
- :mod:`~neuralab.methods.gradient_boosting`: grow the last hidden layer by gradient boosting,
  ``J`` units per round fitted to the pseudo-residuals (Sequential Training of Neural Networks
  with Gradient Boosting).

Multi-sample dropout is a head (:mod:`neuralab.components.multi_sample_dropout`) and registers
under the same kind.
"""
