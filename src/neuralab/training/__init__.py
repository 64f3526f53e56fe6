"""Ways to train other than one network by end-to-end backprop through the trainer.

Each method is registered under kind ``"method"`` with the signature
``(model, data, *, steps, lr, batch_size, seed, ...) -> list of tidy records``: it trains
``model`` in place on ``data`` (a :class:`~neuralab.data.Dataset`) and returns what it measured.

- ``sortednet``, ``progressive_shrinking``, ``stitching``: many networks in one (sub-networks
  sampled per step) — :mod:`.sortednet`, :mod:`.progressive_shrinking`, :mod:`.stitching`.
- ``forward_forward``, ``local_supervised``: layer-local learning without backprop across layers.
- ``hypernetwork_continual``: continual learning with a (recurrent) hypernetwork.
"""
