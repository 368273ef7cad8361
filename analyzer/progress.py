"""What a long command is doing, said where its output goes.

- On a terminal: one status line, rewritten in place (rich's spinner), naming the current step.
- Anywhere else (a log file, nox, CI): one line per step on stderr, with the time since the
  command started, and a `still ...` line after every `HEARTBEAT_S` seconds without one, so a log
  never goes quiet for long while work goes on:

      analyze: [   0.0s] capturing sdpa-mask-decode [vmap-auto] in a fresh process
      analyze: [  20.0s] still capturing sdpa-mask-decode [vmap-auto] in a fresh process (20s in this step)
      analyze: [  31.2s] analysing 4 kernels of [vmap-auto]

- Quiet: nothing.

A `Progress` is called with each step's message; it is a context manager that stops the
heartbeat and the spinner on the way out.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

HEARTBEAT_S = 20.0  # at most this long without a line in a log while a step runs


class Progress:
    def __init__(
        self,
        label: str,
        *,
        quiet: bool = False,
        stream: IO[str] | None = None,
        terminal: bool | None = None,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.heartbeat_s = heartbeat_s
        self.clock = clock
        self.started = clock()
        self.step_started = self.started
        self.message = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._last_line = self.started
        self._thread: threading.Thread | None = None
        self._status: Any = None

    def __enter__(self) -> Progress:
        if self.quiet:
            return self
        if self.terminal:
            from rich.console import Console

            self._status = Console(file=self.stream).status(f"{self.label}: starting")
            self._status.__enter__()
        else:
            self._thread = threading.Thread(target=self._beat, name="progress-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._status is not None:
            self._status.__exit__(None, None, None)

    def __call__(self, message: str) -> None:
        """A new step begins."""
        with self._lock:
            self.message = message
            self.step_started = self.clock()
        if self.quiet:
            return
        if self._status is not None:
            self._status.update(f"{self.label}: {message}")
        else:
            self._line(message)

    def note(self, message: str) -> None:
        """A line to keep (something the user should know), printed whatever the output is, unless quiet."""
        if not self.quiet:
            if self._status is not None:
                self._status.console.print(f"{self.label}: {message}", markup=False, highlight=False)
            else:
                self._line(message)

    def _line(self, message: str) -> None:
        with self._lock:
            now = self.clock()
            self._last_line = now
            print(f"{self.label}: [{now - self.started:7.1f}s] {message}", file=self.stream, flush=True)

    def _beat(self) -> None:
        """A `still ...` line whenever `heartbeat_s` has passed since the last line of any kind."""
        while True:
            with self._lock:
                due = self._last_line + self.heartbeat_s - self.clock()
            if due > 0:
                if self._stop.wait(due):
                    return
                continue
            with self._lock:
                message, step_started = self.message, self.step_started
            if message:
                self._line(f"still {message} ({self.clock() - step_started:.0f}s in this step)")
            else:
                with self._lock:
                    self._last_line = self.clock()
