"""Progress of the long commands: throttled JSON lines off a terminal, a status line rewritten in
place on one; never on stdout."""

from __future__ import annotations

import io
import json

from service.progress import ProgressReporter


class Ticks:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_off_a_terminal_a_line_every_100000_events_or_5_seconds_and_one_when_done():
    stream, clock = io.StringIO(), Ticks()
    progress = ProgressReporter("train", stream=stream, tty=False, clock=clock)
    for events in range(10_000, 250_001, 10_000):
        clock.now = events / 100_000  # 100,000 events a second
        progress("replay", events)
    clock.now = 8.0
    progress("fit login", 143_000)  # a new stage is reported once 5 s have passed
    clock.now = 9.0
    progress("fit transaction", 42_000)  # ... and not before
    clock.now = 10.0
    progress.finish(250_000)
    lines = _lines(stream)
    assert [(line["stage"], line["events"]) for line in lines] == [
        ("replay", 100_000), ("replay", 200_000), ("fit login", 143_000), ("done", 250_000)]
    assert lines[0] == {"command": "train", "stage": "replay", "events": 100_000,
                        "elapsed_s": 1.0, "events_per_s": 100_000, "event": "progress",
                        "level": "info", "timestamp": lines[0]["timestamp"]}
    assert "events_per_s" not in lines[2]  # reported as it began: no rate yet
    assert lines[-1]["event"] == "progress_done"
    assert lines[-1]["events_per_s"] == 25_000


def test_off_a_terminal_a_slow_stage_is_reported_every_5_seconds():
    stream, clock = io.StringIO(), Ticks()
    progress = ProgressReporter("simulate", stream=stream, tty=False, clock=clock)
    for second in range(1, 13):
        clock.now = float(second)
        progress("write", second * 4096)
    assert [line["elapsed_s"] for line in _lines(stream)] == [5.0, 10.0]


def test_on_a_terminal_one_status_line_is_rewritten_and_ended_when_done():
    stream, clock = io.StringIO(), Ticks()
    progress = ProgressReporter("eval", stream=stream, tty=True, clock=clock)
    clock.now = 0.1
    progress("score", 10_000)
    clock.now = 0.15
    progress("score", 20_000)  # too soon to redraw
    clock.now = 2.0
    progress("score", 200_000)
    progress.finish()
    text = stream.getvalue()
    assert text.endswith("\n")
    assert text.count("\n") == 1
    frames = [frame.rstrip() for frame in text.rstrip("\n").split("\r")[1:]]
    assert frames == ["eval: score, 10,000 events, 100,000/s, 0.1 s",
                      "eval: score, 200,000 events, 100,000/s, 2.0 s",
                      "eval: done, 200,000 events, 100,000/s, 2.0 s"]
