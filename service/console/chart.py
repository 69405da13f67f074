"""Decisions per hour as a small hand-written SVG stacked bar chart (no script, no library)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.console.text import seconds

WIDTH, HEIGHT = 760, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 28
# Bottom to top: allow, challenge, freeze.
SERIES = (("allow", "#7a9cc6"), ("challenge", "#e3a33b"), ("freeze", "#c8413b"))


def _hour_label(hour: pb.DecisionCount) -> str:
    value = seconds(hour.hour) or 0.0
    return datetime.fromtimestamp(value, UTC).strftime("%H:00")


def totals(hours: Sequence[pb.DecisionCount]) -> dict[str, int]:
    return {name: sum(int(getattr(h, name)) for h in hours) for name, _ in SERIES}


def decision_chart(hours: Sequence[pb.DecisionCount]) -> str:
    """An <svg> with one stacked bar per hour (oldest left); each bar's <title> gives its counts,
    and the element carries the totals as data attributes."""
    sums = totals(hours)
    label = ", ".join(f"{sums[name]} {name}" for name, _ in SERIES)
    peak = max((h.allow + h.challenge + h.freeze for h in hours), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(hours), 1)
    bar = max(slot * 0.7, 1.0)
    parts = [
        f'<svg id="decision-chart" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="Decisions per hour over the last {len(hours)} hours: {escape(label)}" '
        + " ".join(f'data-{name}="{sums[name]}"' for name, _ in SERIES) + ">",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" class="tick">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    every = max(1, len(hours) // 8)
    for i, hour in enumerate(hours):
        x = LEFT + i * slot + (slot - bar) / 2
        y = float(TOP + plot_h)
        counts = {name: int(getattr(hour, name)) for name, _ in SERIES}
        title = f"{_hour_label(hour)} UTC: " + ", ".join(f"{counts[n]} {n}" for n, _ in SERIES)
        parts.append(f'<g class="bar" data-hour="{escape(_hour_label(hour))}"><title>'
                     f"{escape(title)}</title>")
        for name, colour in SERIES:
            if counts[name]:
                h = max(plot_h * counts[name] / peak, 2.0)
                y -= h
                parts.append(f'<rect class="{name}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                             f'height="{h:.1f}" fill="{colour}"/>')
        parts.append("</g>")
        if i % every == 0 or i == len(hours) - 1:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                         f'class="tick">{escape(_hour_label(hour))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend(hours: Sequence[pb.DecisionCount]) -> str:
    sums = totals(hours)
    items = "".join(
        f'<li><span class="swatch {name}"></span>{name} '
        f'<strong id="total-{name}">{sums[name]}</strong></li>' for name, _ in SERIES)
    return f'<ul class="legend">{items}</ul>'
