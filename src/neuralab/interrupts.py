"""Stopping a training run cleanly on Ctrl-C (SIGINT) or SIGTERM.

A signal that arrives in the middle of an optimizer step must not be acted on there: a checkpoint
of a half-updated model would not resume bit-exactly. :class:`StopRequests` therefore only notes
the signal; the training loop looks at :attr:`StopRequests.signal` between steps, saves a
checkpoint and raises :class:`TrainingInterrupted`. A second Ctrl-C while the first is being
honoured falls back to Python's default (``KeyboardInterrupt`` at once), so a user can always get
out. Handlers are installed only in the main thread (elsewhere Python allows none) and the previous
ones are put back on exit.

    with StopRequests() as stop:
        while training:
            step()
            if stop.signal is not None:
                save(); raise TrainingInterrupted(stop.signal, step, checkpoint)
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number, as shells do


class TrainingInterrupted(Exception):
    """A run stopped at a signal after saving a checkpoint at ``step`` (``checkpoint`` is None
    when the run had nowhere to save, e.g. not recorded in a run store)."""

    def __init__(self, signum: int, step: int, run_id: str | None, checkpoint: str | None):
        self.signum, self.step, self.run_id, self.checkpoint = signum, step, run_id, checkpoint
        name = signal.Signals(signum).name
        if checkpoint is None:
            text = f"interrupted ({name}) at step {step}; the run was not recorded, nothing saved"
        else:
            text = (f"interrupted ({name}) at step {step}: checkpoint saved to {checkpoint}; "
                    f"continue with: neuralab train --resume {run_id}")
        super().__init__(text)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 1)


class StopRequests:
    """Context manager noting SIGINT / SIGTERM in :attr:`signal` instead of raising at once."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now, without the checkpoint
        self.signal = signum

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for signum in EXIT_CODES:
                self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
