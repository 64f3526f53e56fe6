"""Ways to train other than one network by end-to-end backprop through the trainer.

Each method is registered under kind ``"method"`` with the signature
``(model, data, *, steps, lr, batch_size, seed, ...) -> list of tidy records``: it trains
``model`` in place on ``data`` (a :class:`~neuralab.data.Dataset`) and returns what it measured.

- ``sortednet``, ``progressive_shrinking``, ``stitching``: many networks in one (sub-networks
  sampled per step) — :mod:`.sortednet`, :mod:`.progressive_shrinking`, :mod:`.stitching`.
- ``forward_forward``, ``local_supervised``: layer-local learning without backprop across layers.
- ``hypernetwork_continual``: continual learning with a (recurrent) hypernetwork.
- ``dense_hebbian``: supervised dense associative memory (Hebbian storage, no gradients).
- ``continual_backprop``: reinitialize mature, low-utility units to keep a network plastic
  (:mod:`.continual_backprop`, Loss of Plasticity in Deep Continual Learning).
- ``gradient_boosting``: grow the last hidden layer ``J`` units per round on the pseudo-residuals
  (:mod:`.gradient_boosting`, Sequential Training of Neural Networks with Gradient Boosting).

Population Based Training (:mod:`.population_based_training`) trains a population of run configs
on the population engine, so it is a class rather than a registered method. Multi-sample dropout
is a head (:mod:`neuralab.components.multi_sample_dropout`), set on the ``mlp`` model.
"""
