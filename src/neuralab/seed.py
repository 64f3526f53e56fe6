"""Seeds: one root seed per run, and independent streams derived from it by name.

A run's seed is split into named streams (``"init"``, ``"data"``, ``"dropout"``, ...) by hashing,
so that changing how one stream is used never shifts another, and so that a member of a population
with seed ``s`` sees exactly the streams of a single run with seed ``s``::

    init_seed = derive_seed(run_seed, "init")
    perm = torch.randperm(n, generator=generator(derive_seed(run_seed, "data", epoch)))
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator

import numpy as np
import torch

MAX_SEED = 2**63 - 1


def derive_seed(root: int, *keys: object) -> int:
    """A 63-bit seed for the stream named by ``keys`` under ``root`` (stable across runs/platforms)."""
    text = "/".join([str(int(root)), *map(str, keys)]).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") & MAX_SEED


def generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh torch generator seeded with ``seed``."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def numpy_rng(seed: int) -> np.random.Generator:
    """A numpy generator seeded with ``seed`` (for data generation)."""
    return np.random.default_rng(int(seed) & (2**63 - 1))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's, numpy's and Python's global RNGs seeded, then restore them.

    Used where third-party code draws from a global RNG (module constructors, generators in other
    packages); neuralab's own code passes explicit generators.
    """
    py_state = random.getstate()
    np_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        random.seed(int(seed))
        np.random.seed(int(seed) % 2**32)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
