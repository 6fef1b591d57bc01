"""Coordinates for small server-rendered SVG charts (no script: the CSP allows none inline, and a
chart that is only an image would need one to be read; each chart also has a data table).

Charts are drawn 360 units wide, the width of a phone, so that scaled to one their 12-unit text is
still about 12 px; the legend is HTML beside the drawing (it wraps), and at most MAX_X_TICKS x-axis
labels are drawn so that they never run into each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
MAX_X_TICKS = 8  # 304 units / 8 = 38 per label: room for three digits at 12 units


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


def _x(index: int, count: int) -> float:
    return LEFT + (PLOT_WIDTH / 2 if count == 1 else PLOT_WIDTH * index / (count - 1))


def _y(value: float) -> float:
    return TOP + PLOT_HEIGHT * (1 - max(0.0, min(1.0, value)))


def mastery_chart(history: Sequence[dict[str, float]], objectives: Sequence[Objective]) -> LineChart:
    """One line per objective over the snapshots (numbered 1..n, oldest first; the table has dates)."""
    count = len(history)
    lines = tuple(
        Line(
            objective.title,
            *STYLES[index % len(STYLES)],
            tuple((_x(i, count), _y(snapshot.get(objective.id, 0.0))) for i, snapshot in enumerate(history)),
        )
        for index, objective in enumerate(objectives)
    )
    return LineChart(
        lines=lines,
        x_ticks=tuple((_x(i, count), str(i + 1)) for i in _tick_indexes(count)),
        y_ticks=tuple((_y(step / 4), f"{25 * step}%") for step in range(5)),
    )


def _tick_indexes(count: int) -> list[int]:
    """Which snapshots get an x-axis label: all of a few, else every n-th and always the last."""
    if count <= MAX_X_TICKS:
        return list(range(count))
    step = -(-count // (MAX_X_TICKS - 1))
    shown = list(range(0, count, step))
    if count - 1 - shown[-1] < step / 2:
        shown.pop()  # too close to the last one to fit beside it
    return [*shown, count - 1]
