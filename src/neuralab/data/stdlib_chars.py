"""A character-level text corpus built from the Python standard library's own source files.

Every machine with Python has it, so a language-model testbed needs no download. The ``.py`` files
under the standard library directory (tests and site-packages excluded) are read in sorted order,
restricted to printable ASCII plus newline, and concatenated until ``max_chars``. The last
``test_fraction`` of the text is the test set. The stream is cut into non-overlapping windows of
``seq_len + 1`` characters: ``x`` is a window without its last character, ``y`` without its first
(next-character prediction). The vocabulary is the 95 printable ASCII characters and newline, so
token ids do not depend on which files were read.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register

VOCAB = "\n" + "".join(chr(c) for c in range(32, 127))
_INDEX = {ch: i for i, ch in enumerate(VOCAB)}


def stdlib_text(max_chars: int) -> str:
    """The first ``max_chars`` characters of the standard library's sources, in a fixed order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    pieces, total = [], 0
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if rel[0] in ("test", "site-packages", "idlelib", "lib2to3") or "tests" in rel:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        text = "".join(ch for ch in text.replace("\t", "    ") if ch in _INDEX)
        pieces.append(text)
        total += len(text)
        if total >= max_chars:
            break
    return "".join(pieces)[:max_chars]


def encode(text: str) -> torch.Tensor:
    return torch.tensor([_INDEX[ch] for ch in text], dtype=torch.int64)


def decode(tokens: torch.Tensor) -> str:
    return "".join(VOCAB[int(t)] for t in tokens)


@register("dataset", "stdlib_chars", tags={"sequence", "text", "tokens"})
def stdlib_chars(*, max_chars: int = 1_000_000, seq_len: int = 128, test_fraction: float = 0.1) -> Dataset:
    """Next-character prediction on the Python standard library's source code."""
    if seq_len < 2:
        raise ValueError(f"seq_len must be at least 2, got {seq_len}")
    tokens = encode(stdlib_text(max_chars))
    n_windows = (len(tokens) - 1) // (seq_len + 1)
    if n_windows < 2:
        raise ValueError(f"corpus of {len(tokens)} characters is too small for seq_len {seq_len}")
    windows = tokens[: n_windows * (seq_len + 1)].view(n_windows, seq_len + 1)
    n_test = max(1, int(round(n_windows * test_fraction)))
    x, y = windows[:, :-1].contiguous(), windows[:, 1:].contiguous()
    return Dataset(
        name="stdlib_chars",
        spec=DataSpec("sequence", (seq_len,), len(VOCAB), vocab_size=len(VOCAB)),
        x_train=x[:-n_test], y_train=y[:-n_test], x_test=x[-n_test:], y_test=y[-n_test:],
        description=f"{len(tokens):,} characters of Python standard-library source",
    )
