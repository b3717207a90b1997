"""A tiny text progress bar for long CLI steps (seeding), drawn on a stream such as stderr.

On a terminal the bar redraws in place; elsewhere (logs, CI) it prints a line every 10 %.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Call it with ``(done, total)``; call :meth:`close` once the work is finished."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interactive = self.stream.isatty()
        self._started = time.perf_counter()
        self._shown = -1
        self._open = False

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        step = percent if self.interactive else percent - percent % 10
        if step == self._shown:
            return
        self._shown = step
        filled = self.width * percent // 100
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self._started
        text = f"{self.label} [{bar}] {percent:3d}%  {done:,}/{total:,}  {elapsed:5.1f}s"
        if self.interactive:
            self.stream.write("\r" + text)
            self._open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line so later output starts on a fresh one."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
