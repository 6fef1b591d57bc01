"""Coordinates for small server-rendered SVG charts (no script: the CSP allows none inline, and a
chart that is only an image would need one to be read; each chart also has a data table).

Charts are drawn 360 units wide, the width of a phone, so that scaled to one their 12-unit text is
still about 12 px; the legend is HTML beside the drawing (it wraps), and at most MAX_X_LABELS x-axis
labels (dates, or times of one day) are drawn so that they never run into each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from courseware.model import Objective

# Six lines told apart by colour and by dash pattern (not colour alone); each colour is at least
# 4.5:1 on white.
STYLES = (
    ("#0b5cad", ""),
    ("#a4161a", "8 4"),
    ("#116329", "2 4"),
    ("#8a4b00", "10 4 2 4"),
    ("#6f42c1", "4 4"),
    ("#1b1f24", "14 6"),
)
LEFT, TOP, PLOT_WIDTH, PLOT_HEIGHT = 40.0, 12.0, 304.0, 180.0
MAX_X_LABELS = 6  # 304 units / 6 = 50 per label: room for "12 Mar" or "14:05" at 12 units


@dataclass(frozen=True)
class Line:
    title: str
    colour: str
    dash: str
    points: tuple[tuple[float, float], ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass(frozen=True)
class LineChart:
    lines: tuple[Line, ...]
    x_ticks: tuple[tuple[float, str], ...]  # (x, label) under the axis
    y_ticks: tuple[tuple[float, str], ...]  # (y, label) left of the axis
    left: float = LEFT
    top: float = TOP
    width: float = PLOT_WIDTH
    height: float = PLOT_HEIGHT
    x_title: str = ""


def _x(index: int, count: int) -> float:
    return LEFT + (PLOT_WIDTH / 2 if count == 1 else PLOT_WIDTH * index / (count - 1))


def _y(value: float) -> float:
    return TOP + PLOT_HEIGHT * (1 - max(0.0, min(1.0, value)))


def mastery_chart(
    history: Sequence[tuple[datetime, dict[str, float]]], objectives: Sequence[Objective]
) -> LineChart:
    """One line per objective over the snapshots (taken_at, mastery), oldest first. The x axis shows
    when (UTC): the time of day when every snapshot is from one day, else the date where it changes;
    at most MAX_X_LABELS labels, so they never overlap."""
    count, times = len(history), [at for at, _ in history]
    lines = tuple(
        Line(
            objective.title,
            *STYLES[index % len(STYLES)],
            tuple(
                (_x(i, count), _y(mastery.get(objective.id, 0.0))) for i, (_, mastery) in enumerate(history)
            ),
        )
        for index, objective in enumerate(objectives)
    )
    return LineChart(
        lines=lines,
        x_ticks=tuple((_x(i, count), label) for i, label in enumerate(_when_labels(times))),
        y_ticks=tuple((_y(step / 4), f"{25 * step}%") for step in range(5)),
        x_title=_x_title(times),
    )


def _when_labels(times: Sequence[datetime]) -> list[str]:
    one_day = len({at.date() for at in times}) == 1
    step = -(-len(times) // MAX_X_LABELS)  # ceiling division
    labels, last = [], None
    for index, at in enumerate(times):
        label = at.strftime("%H:%M") if one_day else f"{at.day} {at.strftime('%b')}"
        shown = index % step == 0 and label != last
        labels.append(label if shown else "")
        last = label if shown else last
    return labels


def _x_title(times: Sequence[datetime]) -> str:
    if times and len({at.date() for at in times}) == 1:
        return f"Time on {times[0].day} {times[0].strftime('%b %Y')} (UTC)"
    return "Date (UTC)"
