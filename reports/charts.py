"""Charts as server-rendered SVG: the one code path for the pages and the PDFs (WeasyPrint draws SVG too).

A chart is computed here (its bars' geometry, its scale) and drawn by one template, with presentation attributes
only (no style attribute: the pages' Content-Security-Policy forbids inline styles). It carries its title, its
description and its numbers, so a page can offer them as a table for those who do not see the picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
        return SafeString(render_to_string("reports/charts/bar_chart.svg", {"chart": self}))


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
