"""Charts as server-rendered SVG: the one code path for the pages and the PDFs (WeasyPrint draws SVG too).

A chart is computed here (its bars' geometry, its scale) and drawn by one template, with presentation attributes
only (no style attribute: the pages' Content-Security-Policy forbids inline styles). It carries its title, its
description and its numbers, so a page can offer them as a table for those who do not see the picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 18, 26  # room for the scale's figures, the values and the labels
GAP = 0.3  # of each bar's slot left empty


@dataclass(frozen=True)
class Point:
    label: str  # under its bar: "24 Nov"
    long_label: str  # in the table and the bar's tooltip: "Week of 24 Nov 2026"
    value: int


@dataclass(frozen=True)
class Bar:
    point: Point
    x: float
    y: float
    width: float
    height: float
    show_label: bool

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    description: str
    label_heading: str  # the table's first column: "Week"
    value_heading: str  # its second: "Feedback received"
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def total(self) -> int:
        return sum(bar.point.value for bar in self.bars)

    @property
    def svg(self) -> SafeString:
        return SafeString(render_to_string("charts/bar_chart.svg", {"chart": self}))


def scale_top(largest: int) -> int:
    """The scale's top: 1, 2 or 5 times a power of ten, at least the largest value (and at least 4, so an
    organisation's first few items do not fill the chart)."""
    largest = max(largest, 4)
    power = 10 ** math.floor(math.log10(largest))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= largest)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    label_heading: str,
    value_heading: str,
    points: Sequence[Point],
    label_every: int = 2,
) -> BarChart:
    """A bar per point, left to right, on a scale from 0; every `label_every`-th bar labelled (the newest always)."""
    top = scale_top(max((p.value for p in points), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    newest = len(points) - 1
    bars = tuple(
        Bar(
            point=point,
            x=round(LEFT + index * slot + slot * GAP / 2, 1),
            y=round(TOP + plot_height * (1 - point.value / top), 1),
            width=round(slot * (1 - GAP), 1),
            height=round(plot_height * point.value / top, 1),
            show_label=(newest - index) % label_every == 0,
        )
        for index, point in enumerate(points)
    )
    ticks = tuple(Tick(value=value, y=round(TOP + plot_height * (1 - value / top), 1)) for value in (0, top // 2, top))
    return BarChart(chart_id, title, description, label_heading, value_heading, bars, ticks)


# --- a distribution: one horizontal bar per value or choice ----------------------------------------------------

ROW, ROW_GAP, LABEL_WIDTH, VALUE_WIDTH = 22, 6, 150, 92  # a row's height, the room for its label and its figures


@dataclass(frozen=True)
class Share:
    label: str  # "9", "Price"
    count: int
    percent: float  # of the answers counted
    width: float  # of its bar
    y: float


@dataclass(frozen=True)
class DistributionChart:
    chart_id: str
    title: str
    description: str
    label_heading: str  # the table's first column: "Score", "Choice"
    rows: tuple[Share, ...]
    width: int = WIDTH

    @property
    def height(self) -> int:
        return TOP + len(self.rows) * (ROW + ROW_GAP)

    @property
    def plot_left(self) -> int:
        return LABEL_WIDTH

    @property
    def value_x(self) -> int:
        return self.width - RIGHT

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def svg(self) -> SafeString:
        return SafeString(render_to_string("charts/distribution_chart.svg", {"chart": self}))


def distribution_chart(
    *, chart_id: str, title: str, description: str, label_heading: str, counts: Sequence[tuple[str, int]]
) -> DistributionChart:
    """A horizontal bar per (label, count), in the given order, as long as its share of the largest count."""
    total = sum(count for _label, count in counts)
    largest = max((count for _label, count in counts), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH - RIGHT
    rows = tuple(
        Share(
            label=label,
            count=count,
            percent=round(100 * count / total, 1) if total else 0.0,
            width=round(room * count / largest, 1),
            y=TOP / 2 + index * (ROW + ROW_GAP),
        )
        for index, (label, count) in enumerate(counts)
    )
    return DistributionChart(chart_id, title, description, label_heading, rows)


# --- a trend: a point per period with its 95 % interval as whiskers, the significant changes marked -------------


@dataclass(frozen=True)
class TrendMark:
    label: str  # under its point: "Mar"
    long_label: str  # in the table: "March 2026"
    value: float | None  # None: no score to show (too few answers, hidden)
    low: float | None
    high: float | None
    change: str  # "" or "up" / "down" when the change from the period before is significant
    note: str  # what the table says instead of a number, or of the change: "Too few answers (n = 4)"


@dataclass(frozen=True)
class PlottedMark:
    mark: TrendMark
    x: float
    y: float | None
    y_low: float | None
    y_high: float | None

    @property
    def caps(self) -> tuple[float, float]:
        """Where the whiskers' caps start and end."""
        return round(self.x - 4, 1), round(self.x + 4, 1)


@dataclass(frozen=True)
class TrendChart:
    chart_id: str
    title: str
    description: str
    label_heading: str  # "Month"
    value_heading: str  # "NPS"
    marks: tuple[PlottedMark, ...]
    ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def line(self) -> str:
        """The polyline's points through the periods that have a score (a gap is bridged: the table says why)."""
        return " ".join(f"{m.x},{m.y}" for m in self.marks if m.y is not None)

    @property
    def svg(self) -> SafeString:
        return SafeString(render_to_string("charts/trend_chart.svg", {"chart": self}))


def trend_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    label_heading: str,
    value_heading: str,
    marks: Sequence[TrendMark],
    scale: tuple[int, int],
) -> TrendChart:
    """A point per mark, left to right, on the score's own scale (NPS −100 to 100, a share 0 to 100, a mean its
    question's scale), with whiskers from low to high."""
    bottom, top = scale
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(marks), 1)

    def y_of(value: float | None) -> float | None:
        if value is None:
            return None
        clipped = min(max(value, bottom), top)
        return round(TOP + plot_height * (top - clipped) / (top - bottom), 1)

    plotted = tuple(
        PlottedMark(mark, round(LEFT + slot * (index + 0.5), 1), y_of(mark.value), y_of(mark.low), y_of(mark.high))
        for index, mark in enumerate(marks)
    )
    ticks = tuple(Tick(value=v, y=cast(float, y_of(v))) for v in (bottom, (bottom + top) // 2, top))
    return TrendChart(chart_id, title, description, label_heading, value_heading, plotted, ticks)
