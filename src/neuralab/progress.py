"""Progress on stderr for work that takes more than a few seconds: one helper for every command.

On a terminal a tqdm bar whose postfix is a short fixed set of values (so that the bar keeps its
width at 120 columns); anywhere else (a pipe, a log file, a notebook) plain lines, one at the
first update after every ``every`` seconds (:data:`LINE_EVERY` by default), so a long job is
never silent. :meth:`Progress.write` prints a whole line either way (``tqdm.write`` under a bar)::

    with ProgressBar(total=2000, desc="train", mode="auto") as bar:
        for step in range(2000):
            ...
            bar.update(1)
            bar.show(loss=0.31, test_accuracy=0.87)      # the bar's postfix / the lines' tail
            bar.write("step 200/2000  test_loss 0.41 ...")  # an evaluation line

Modes: ``auto`` (a bar when stderr is a terminal, lines otherwise), ``bar``, ``lines``, ``none``.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any, Literal

from neuralab.errors import NeuralabError

Mode = Literal["auto", "bar", "lines", "none"]
MODES: tuple[str, ...] = ("auto", "bar", "lines", "none")
LINE_EVERY = 10.0  # seconds between two plain progress lines off a terminal


def resolve_mode(mode: str, stream: IO[str] | None = None) -> str:
    """``bar``, ``lines`` or ``none``: ``auto`` is a bar on a terminal, lines otherwise."""
    if mode not in MODES:
        raise NeuralabError(f"progress must be one of {', '.join(MODES)}, not {mode!r}")
    if mode != "auto":
        return mode
    stream = stream if stream is not None else sys.stderr
    return "bar" if getattr(stream, "isatty", lambda: False)() else "lines"


def fmt_value(value: Any) -> str:
    """A number as 4 significant digits; anything else as it is."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def fmt_seconds(seconds: float) -> str:
    """``42s``, ``3m 05s``, ``1h 02m``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


class ProgressBar:
    """Progress of ``total`` units of work (steps, pages, ...) on stderr; see the module doc."""

    def __init__(self, total: int, *, desc: str, mode: str = "auto", unit: str = "step",
                 initial: int = 0, every: float | None = None, stream: IO[str] | None = None):
        self.total, self.desc, self.unit = total, desc, unit
        self.n = initial
        self.mode = resolve_mode(mode, stream)
        self.every = LINE_EVERY if every is None else every
        self.stream = stream
        self.values: dict[str, Any] = {}
        self._start = self._last = time.monotonic()
        self._start_n = initial
        self._lines = 0
        self.bar = None
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, leave=False,
                            dynamic_ncols=True, file=stream)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _out(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stderr

    def update(self, n: int = 1) -> None:
        """``n`` more units done; off a terminal, a line when ``every`` seconds have passed."""
        self.n += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.mode == "lines" and time.monotonic() - self._last >= self.every:
            self._line()

    def show(self, **values: Any) -> None:
        """The short set of values shown after the count (the bar's postfix); replaces the last."""
        self.values = values
        if self.bar is not None:
            self.bar.set_postfix({k: fmt_value(v) for k, v in values.items()}, refresh=False)

    def write(self, text: str) -> None:
        """A whole line (an evaluation's metrics, a finished part): above the bar, or plain."""
        if self.mode == "none":
            return
        if self.bar is not None:
            self.bar.write(text, file=self._out())
        else:
            print(text, file=self._out(), flush=True)

    def line(self) -> str:
        """``[desc] n/total unit (p%)  elapsed, about t left  values``: one plain progress line."""
        elapsed = time.monotonic() - self._start
        done = self.n - self._start_n
        text = f"[{self.desc}] {self.n}/{self.total} {self.unit}s"
        if self.total:
            text += f" ({100 * self.n / self.total:.0f}%)"
        text += f"  {fmt_seconds(elapsed)}"
        if 0 < done and self.n < self.total:
            text += f", about {fmt_seconds(elapsed / done * (self.total - self.n))} left"
        tail = "  ".join(f"{k} {fmt_value(v)}" for k, v in self.values.items())
        return f"{text}  {tail}" if tail else text

    def _line(self) -> None:
        self._last = time.monotonic()
        self._lines += 1
        print(self.line(), file=self._out(), flush=True)

    def close(self) -> None:
        """Close the bar; off a terminal, a last line if any line was printed before."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.mode == "lines" and self._lines:
            self._line()
        self.mode = "none"  # closed: nothing more is shown
