"""The results' charts (qms/charts.py): a distribution's bars as long as their share of the largest count, and a
trend's points on the score's own scale with their whiskers, a significant change marked by shape as well as colour;
each SVG names itself and carries no style attribute (the Content-Security-Policy forbids them)."""

from qms.charts import TrendMark, distribution_chart, trend_chart


def _trend(marks):
    return trend_chart(chart_id="t", title="NPS by month", description="Each month.", label_heading="Month",
                       value_heading="NPS", marks=marks, scale=(-100, 100))  # fmt: skip


def _mark(value, low=None, high=None, change=""):
    return TrendMark(label="M", long_label="Month", value=value, low=low, high=high, change=change, note="")


def test_a_distribution_bar_is_as_long_as_its_share_of_the_largest_count():
    chart = distribution_chart(chart_id="d", title="Scores", description="By score.", label_heading="Score",
                               counts=[("0", 0), ("1", 5), ("2", 10)])  # fmt: skip
    widths = [row.width for row in chart.rows]
    assert widths[0] == 0 and widths[2] == 2 * widths[1]
    assert [row.percent for row in chart.rows] == [0.0, 33.3, 66.7] and chart.total == 15
    svg = chart.svg
    assert '<title id="d-title">Scores</title>' in svg and "style=" not in svg


def test_a_trend_point_sits_on_the_scores_scale_with_its_whiskers():
    chart = _trend([_mark(0, -20, 20), _mark(100, 90, 100), _mark(None)])
    middle, top, missing = chart.marks
    assert middle.y_low > middle.y > middle.y_high  # a higher score is drawn higher up
    assert top.y == top.y_high and [t.value for t in chart.ticks] == [-100, 0, 100]
    assert missing.y is None and chart.line.count(",") == 2  # a month without a score is left out of the line


def test_a_significant_change_is_ringed_and_arrowed_not_only_coloured():
    svg = _trend([_mark(10, 0, 20), _mark(40, 30, 50, change="up"), _mark(5, -5, 15, change="down")]).svg
    assert svg.count('r="7"') == 2 and "▲" in svg and "▼" in svg
    assert 'aria-labelledby="t-title t-desc"' in svg and "style=" not in svg
