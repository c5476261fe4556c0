"""The one chart code path (qms/charts.py): a bar per point on a round scale, drawn as SVG with presentation
attributes only."""

from qms.charts import HEIGHT, Point, bar_chart, scale_top


def _chart(values):
    points = [Point(label=f"W{n}", long_label=f"Week {n}", value=v) for n, v in enumerate(values)]
    return bar_chart(
        chart_id="c", title="Per week", description="Some weeks.", label_heading="Week", value_heading="Count",
        points=points,
    )  # fmt: skip


def test_the_scale_tops_at_a_round_number_at_least_the_largest_value():
    assert [scale_top(n) for n in (0, 3, 4, 7, 10, 11, 23, 180)] == [5, 5, 5, 10, 10, 20, 50, 200]


def test_a_bar_is_as_tall_as_its_share_of_the_scale_and_the_newest_is_labelled():
    chart = _chart([0, 5, 10])
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == 2 * heights[1]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert [bar.show_label for bar in chart.bars] == [True, False, True]
    assert chart.total == 15 and [t.value for t in chart.ticks] == [0, 5, 10]
    assert chart.baseline < HEIGHT


def test_the_svg_names_itself_and_has_no_style_attribute():
    svg = _chart([1, 2]).svg
    assert svg.startswith("<svg") or svg.lstrip().startswith("<svg")
    assert 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">Per week</title>' in svg and '<desc id="c-desc">Some weeks.</desc>' in svg
    assert "style=" not in svg
    assert "<title>Week 1: 2</title>" in svg
