"""Tensor-resident batching: shuffled index batches over data that already lives in tensors.

Small datasets gain nothing from a DataLoader's workers and collation; indexing a tensor with a
batch of indices is the whole job. The order of epoch ``e`` is a permutation drawn from a generator
seeded with ``derive_seed(seed, "data", e)``, so the position ``(epoch, index)`` is the complete
state: resuming at a position reproduces the remaining batches exactly, and a population member
with seed ``s`` sees the batches of a single run with seed ``s``.

Incomplete final batches are dropped so that every step sees ``batch_size`` examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from neuralab.devices import to_device
from neuralab.seed import derive_seed, generator


@dataclass
class BatchPosition:
    """Where a batcher stands: the epoch and the batch index within it."""

    epoch: int = 0
    index: int = 0


class TensorBatcher:
    """Yields index tensors of ``batch_size`` over ``n`` examples, reshuffled every epoch.

    An epoch's order is drawn on the host and moved to ``device`` once (without waiting for the
    device), so each batch is a slice of it already there.
    """

    def __init__(self, n: int, batch_size: int, seed: int, *, shuffle: bool = True,
                 device: str | torch.device = "cpu"):
        if n <= 0:
            raise ValueError("cannot batch an empty dataset")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.n = n
        self.batch_size = min(batch_size, n)
        self.seed = seed
        self.shuffle = shuffle
        self.device = torch.device(device)
        self.position = BatchPosition()
        self._order: torch.Tensor | None = None
        self._order_epoch = -1

    @property
    def batches_per_epoch(self) -> int:
        return self.n // self.batch_size

    def order(self, epoch: int) -> torch.Tensor:
        """The example order of ``epoch``."""
        if not self.shuffle:
            return torch.arange(self.n)
        return torch.randperm(self.n, generator=generator(derive_seed(self.seed, "data", epoch)))

    def next(self) -> torch.Tensor:
        """The next batch of indices, ``(batch_size,)`` int64."""
        pos = self.position
        if pos.index >= self.batches_per_epoch:
            pos.epoch, pos.index = pos.epoch + 1, 0
        if self._order_epoch != pos.epoch:
            self._order, self._order_epoch = to_device(self.order(pos.epoch), self.device), pos.epoch
        start = pos.index * self.batch_size
        pos.index += 1
        assert self._order is not None
        return self._order[start : start + self.batch_size]

    def __iter__(self) -> Iterator[torch.Tensor]:
        while True:
            yield self.next()

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.position.epoch, "index": self.position.index}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.position = BatchPosition(int(state["epoch"]), int(state["index"]))


def eval_batches(n: int, batch_size: int) -> Iterator[slice]:
    """Contiguous slices covering ``range(n)`` for evaluation (the last one may be short)."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


class StackedBatcher:
    """Batches for N population members at once: ``(N, batch_size)`` indices per step.

    Member ``i`` gets exactly the batches of ``TensorBatcher(n, batch_size, seeds[i])`` (the same
    epoch orders, the same positions); all members share the position, so one step slices every
    member's epoch order at once. The orders are drawn on the host and moved to ``device`` once
    per epoch (without waiting for the device), so a step's batch is a slice already there.
    """

    def __init__(self, n: int, batch_size: int, seeds: list[int], *, shuffle: bool = True,
                 device: str | torch.device = "cpu"):
        self.members = [TensorBatcher(n, batch_size, s, shuffle=shuffle) for s in seeds]
        self.device = torch.device(device)
        self.batch_size = self.members[0].batch_size
        self.batches_per_epoch = self.members[0].batches_per_epoch
        self.position = BatchPosition()
        self._orders: torch.Tensor | None = None
        self._order_epoch = -1

    def next(self) -> torch.Tensor:
        """The next batch of indices of every member, ``(N, batch_size)`` int64."""
        pos = self.position
        if pos.index >= self.batches_per_epoch:
            pos.epoch, pos.index = pos.epoch + 1, 0
        if self._order_epoch != pos.epoch:
            orders = torch.stack([m.order(pos.epoch) for m in self.members])  # (N, n)
            self._orders = to_device(orders, self.device)
            self._order_epoch = pos.epoch
        start = pos.index * self.batch_size
        pos.index += 1
        assert self._orders is not None
        return self._orders[:, start : start + self.batch_size]
