"""The errors neuralab raises for bad input.

Every error a user can cause (an unknown name, a bad config value, a missing or corrupt file) is a
:class:`NeuralabError`: its message is one line that names what was wrong and what is allowed. The
command line prints that line on stderr and exits with status 2.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator


class NeuralabError(ValueError):
    """Bad input from the user; the message is one line naming the problem and what is allowed."""


class UnknownNameError(NeuralabError, KeyError):
    """A name that is not registered (a model, a dataset, a run id, ...)."""

    def __init__(self, what: str, name: str, known: Iterable[str], hint: str | None = None):
        self.what, self.name, self.known = what, name, sorted(known)
        message = unknown_message(what, name, self.known)
        super().__init__(f"{message}; {hint}" if hint else message)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class ConfigError(NeuralabError):
    """A configuration value that fails validation."""


class CheckpointError(NeuralabError):
    """A checkpoint that is missing, truncated, or does not match the model."""


class DivergedError(RuntimeError):
    """Training produced a non-finite loss."""

    def __init__(self, step: int, loss: float):
        self.step, self.loss = step, loss
        super().__init__(f"training diverged at step {step}: loss is {loss}")


def closest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The registered names nearest to ``name`` (for 'did you mean' hints)."""
    known = list(known)
    hits = difflib.get_close_matches(name, known, n=n, cutoff=0.5)
    hits += [k for k in known if name and name.lower() in k.lower() and k not in hits]
    return hits[:n]


def quoted(text: str, limit: int = 60) -> str:
    """``repr(text)``, cut to its first ``limit`` characters when it is longer (a pasted file
    must not make an error line thousands of characters long)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'width'?"`` naming the closest of ``known`` (empty when none is close)."""
    near = closest(name, known)
    return f"; did you mean {', '.join(repr(k) for k in near)}?" if near else ""


def unknown_message(what: str, name: str, known: list[str]) -> str:
    hint = did_you_mean(name, known)
    shown = ", ".join(known[:40]) + (", ..." if len(known) > 40 else "")
    return f"unknown {what} {quoted(name)}{hint} (known: {shown})"


@contextlib.contextmanager
def oversized_as_config_error(message: str) -> Iterator[None]:
    """Turn a failed allocation inside the block — numpy's MemoryError, or torch's allocator
    refusing a tensor too large for the machine ("can't allocate memory", "out of memory") —
    into ``ConfigError(message)``."""
    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        text = str(exc)
        if isinstance(exc, RuntimeError) and not ("can't allocate memory" in text
                                                  or "out of memory" in text):
            raise
        raise ConfigError(message) from None
