"""Progress of the long commands (train, eval, simulate, calibrate) on stderr, never on stdout
(some of them print JSON there): on a terminal a status line rewritten in place, otherwise a
structured JSON line every ``every_events`` events or ``every_seconds`` seconds, whichever comes
first, and one when the work is done.

A reporter is called as ``reporter(stage, events)`` (the callback :mod:`detectors.training`,
:mod:`detectors.recalibration` and :mod:`detectors.simulation` accept), so the detectors know
nothing of click or structlog."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import structlog

EVERY_EVENTS = 100_000
EVERY_SECONDS = 5.0
REDRAW_SECONDS = 0.2  # a terminal's status line is redrawn at most this often


def stderr_logger(stream: TextIO) -> Any:
    """A structlog logger writing JSON lines to ``stream`` without touching the global
    configuration (the commands print their results on stdout, where structlog writes by
    default)."""
    return structlog.wrap_logger(
        structlog.PrintLogger(stream),
        processors=[structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer()])


class ProgressReporter:
    """Reports ``(stage, events)`` calls as they come, throttled. ``log``: where the lines go
    when not on a terminal (a structlog logger); the service passes its own."""

    def __init__(self, command: str, *, stream: TextIO | None = None, tty: bool | None = None,
                 log: Any = None, every_events: int = EVERY_EVENTS,
                 every_seconds: float = EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.command = command
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty() if tty is None else tty
        self._log = log if log is not None else stderr_logger(self._stream)
        self._every_events = every_events
        self._every_seconds = every_seconds
        self._clock = clock
        self._started = clock()
        self._last_at = self._started
        self._last_stage = ""
        self._last_events = 0
        self._width = 0
        self._stage_started: dict[str, float] = {}
        self.events = 0  # the most events any stage has reported

    def __call__(self, stage: str, events: int) -> None:
        now = self._clock()
        # The first stage began with the work; a later one when it is first reported.
        self._stage_started.setdefault(stage, now if self._stage_started else self._started)
        self.events = max(self.events, events)
        if self._tty:
            if now - self._last_at >= REDRAW_SECONDS or stage != self._last_stage:
                self._draw(self._status(stage, events, now))
                self._remember(stage, events, now)
            return
        same_stage = stage == self._last_stage
        due = (now - self._last_at >= self._every_seconds
               or (same_stage and events // self._every_events
                   > self._last_events // self._every_events)
               or (not same_stage and events >= self._every_events))
        if due:
            self._log.info("progress", **self._fields(stage, events, now))
            self._remember(stage, events, now)

    def finish(self, events: int | None = None) -> None:
        """The work is done: the terminal's status line is ended, or a last line logged."""
        now = self._clock()
        if events is not None:
            self.events = events
        self._stage_started["done"] = self._started  # the rate over the whole work
        if self._tty:
            self._draw(self._status("done", self.events, now))
            self._stream.write("\n")
            self._stream.flush()
        else:
            self._log.info("progress_done", **self._fields("done", self.events, now))

    def _remember(self, stage: str, events: int, now: float) -> None:
        self._last_stage, self._last_events, self._last_at = stage, events, now

    def _rate(self, stage: str, events: int, now: float) -> float | None:
        """Events per second of the stage so far; None until it has run for a while (a stage
        reported once, as it begins, has no rate)."""
        took = now - self._stage_started.get(stage, now)
        return events / took if took > 0 and events else None

    def _fields(self, stage: str, events: int, now: float) -> dict[str, Any]:
        fields: dict[str, Any] = {"command": self.command, "stage": stage, "events": events,
                                  "elapsed_s": round(now - self._started, 1)}
        rate = self._rate(stage, events, now)
        if rate is not None:
            fields["events_per_s"] = round(rate)
        return fields

    def _status(self, stage: str, events: int, now: float) -> str:
        rate = self._rate(stage, events, now)
        per_second = f", {rate:,.0f}/s" if rate is not None else ""
        return (f"{self.command}: {stage}, {events:,} events{per_second}, "
                f"{now - self._started:.1f} s")

    def _draw(self, text: str) -> None:
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)
