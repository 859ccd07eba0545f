"""Part A charts as reportlab `Drawing`s: records by month, risk grades, DASH 'yes' counts, MARAC and
arrests by month.

reportlab's chart defaults are Helvetica (base-14, never embedded); every label, legend and title
here sets the embedded DejaVu face explicitly so `pdffonts` shows no Helvetica. Colours are chosen to
stay distinguishable in greyscale print (the Board's packs are often printed). reportlab is imported
inside the functions so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dsvdesk.export import fonts
from dsvdesk.reporting.parta import GRADES, NOT_RECORDED, PartA

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing

WIDTH = 480
HEIGHT = 190
# dark blue, amber, grey-green, dark red: distinct hues *and* distinct lightness
SERIES_COLOURS = ("#1f3b73", "#e0a030", "#6b8f71", "#8c1c13")
GRADE_COLOURS = {"standard": "#6b8f71", "medium": "#e0a030", "high": "#8c1c13", NOT_RECORDED: "#bbbbbb"}


def _drawing(title: str) -> Drawing:
    from reportlab.graphics.shapes import Drawing, String

    fonts.register_fonts()
    drawing = Drawing(WIDTH, HEIGHT)
    drawing.initialFontName = fonts.REGULAR  # the canvas state a Drawing starts from (Helvetica otherwise)
    drawing.initialFontSize = 8
    drawing.add(String(0, HEIGHT - 12, title, fontName=fonts.BOLD, fontSize=10, fillColor=_colour("#000000")))
    return drawing


def _colour(hex_text: str) -> Any:
    from reportlab.lib import colors

    return colors.HexColor(hex_text)


def _legend(drawing: Drawing, items: Sequence[tuple[str, str]], x: float, y: float) -> None:
    from reportlab.graphics.charts.legends import Legend

    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName = fonts.REGULAR
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 8
    legend.deltay = 11
    legend.colorNamePairs = [(_colour(c), label) for c, label in items]
    drawing.add(legend)


def _style_axes(chart: Any) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = fonts.REGULAR
        axis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.forceZero = True


def _value_step(top: int) -> int:
    """A whole-number tick step so axes never show '0.5 records'."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 6:
            return step
    return 10_000


def _scale(chart: Any, top: int) -> None:
    """Whole-number ticks, and an axis that reaches past the tallest bar to the next tick."""
    step = _value_step(max(top, 1))
    chart.valueAxis.valueStep = step
    chart.valueAxis.valueMax = max(step, -(-top // step) * step)


def _plot(chart: Any, data: list[list[int]], category_names: list[str], *, top: int) -> None:
    """Place a bar or line chart in the plot area with its data, styled axes and whole-number scale."""
    chart.x, chart.y, chart.width, chart.height = 36, 28, WIDTH - 150, HEIGHT - 60
    chart.data = data
    chart.categoryAxis.categoryNames = category_names
    _style_axes(chart)
    _scale(chart, top)


LEGEND_X = WIDTH - 104  # right of the plot area (plots are WIDTH - 150 wide from x = 36)


def _no_data(drawing: Drawing, text: str = "No records in this period.") -> Drawing:
    from reportlab.graphics.shapes import String

    drawing.add(String(WIDTH / 2, HEIGHT / 2, text, fontName=fonts.ITALIC, fontSize=9, textAnchor="middle"))
    return drawing


def monthly_records_chart(part_a: PartA) -> Drawing:
    """Grouped bars per month: approved records and those graded high risk."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart

    drawing = _drawing("Approved 124D records by month of incident")
    if part_a.records == 0:
        return _no_data(drawing)
    chart = VerticalBarChart()
    _plot(
        chart,
        [[m.records for m in part_a.months], [m.high_risk for m in part_a.months]],
        [m.label for m in part_a.months],
        top=max((m.records for m in part_a.months), default=1),
    )
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for index in range(2):
        chart.bars[index].fillColor = _colour(SERIES_COLOURS[0 if index == 0 else 3])
        chart.bars[index].strokeColor = None
    if len(part_a.months) > 12:
        chart.categoryAxis.labels.angle = 45
        chart.categoryAxis.labels.boxAnchor = "ne"
    drawing.add(chart)
    _legend(
        drawing, [(SERIES_COLOURS[0], "All records"), (SERIES_COLOURS[3], "High risk")], LEGEND_X, HEIGHT - 36
    )
    return drawing


def grade_pie_chart(part_a: PartA) -> Drawing:
    """Share of approved records by final risk grade (slices labelled with their counts)."""
    from reportlab.graphics.charts.piecharts import Pie

    drawing = _drawing("Risk grade of approved records")
    if part_a.records == 0:
        return _no_data(drawing)
    grades = [(g, part_a.grades.get(g, 0)) for g in (*GRADES, NOT_RECORDED) if part_a.grades.get(g, 0)]
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 40, 20, 130, 130
    pie.data = [n for _g, n in grades]
    pie.labels = [str(n) for _g, n in grades]
    pie.simpleLabels = True
    pie.sideLabels = False
    pie.slices.strokeColor = _colour("#ffffff")
    pie.slices.strokeWidth = 1
    for index, (grade, _n) in enumerate(grades):
        pie.slices[index].fillColor = _colour(GRADE_COLOURS[grade])
        pie.slices[index].fontName = fonts.BOLD
        pie.slices[index].fontSize = 8
        pie.slices[index].fontColor = _colour("#ffffff" if grade != NOT_RECORDED else "#000000")
        pie.slices[index].labelRadius = 0.65
    drawing.add(pie)
    _legend(
        drawing,
        [(GRADE_COLOURS[g], f"{g.capitalize()}: {n}") for g, n in grades],
        LEGEND_X,
        HEIGHT - 50,
    )
    return drawing


def yes_count_chart(part_a: PartA) -> Drawing:
    """Histogram of DASH 'yes' answers per record, bars coloured by band (0, 1–9, 10–13, 14+)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart

    drawing = _drawing("DASH 'yes' answers per approved record")
    if not part_a.yes_histogram:
        return _no_data(drawing, "No DASH 'yes' counts recorded in this period.")
    histogram = list(part_a.yes_histogram) + [0] * max(0, 15 - len(part_a.yes_histogram))
    chart = VerticalBarChart()
    _plot(chart, [histogram], [str(i) for i in range(len(histogram))], top=max(histogram))
    chart.barSpacing = 0
    chart.groupSpacing = 2
    chart.bars.strokeColor = None
    for index in range(len(histogram)):
        colour = SERIES_COLOURS[2] if index <= 9 else SERIES_COLOURS[1] if index <= 13 else SERIES_COLOURS[3]
        chart.bars[(0, index)].fillColor = _colour(colour)
    drawing.add(chart)
    _legend(
        drawing,
        [(SERIES_COLOURS[2], "0–9"), (SERIES_COLOURS[1], "10–13"), (SERIES_COLOURS[3], "14+")],
        LEGEND_X,
        HEIGHT - 36,
    )
    return drawing


def monthly_trend_chart(part_a: PartA) -> Drawing:
    """Lines per month: MARAC referrals and arrests."""
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.widgets.markers import makeMarker

    drawing = _drawing("MARAC referrals and arrests by month")
    if part_a.records == 0:
        return _no_data(drawing)
    chart = HorizontalLineChart()
    _plot(
        chart,
        [[m.marac_referrals for m in part_a.months], [m.arrests for m in part_a.months]],
        [m.label for m in part_a.months],
        top=max((max(m.marac_referrals, m.arrests) for m in part_a.months), default=1),
    )
    for index, (colour, marker) in enumerate(
        ((SERIES_COLOURS[3], "FilledCircle"), (SERIES_COLOURS[0], "FilledSquare"))
    ):
        chart.lines[index].strokeColor = _colour(colour)
        chart.lines[index].strokeWidth = 1.5
        chart.lines[index].symbol = makeMarker(marker, size=4, fillColor=_colour(colour))
    if len(part_a.months) > 12:
        chart.categoryAxis.labels.angle = 45
        chart.categoryAxis.labels.boxAnchor = "ne"
    drawing.add(chart)
    _legend(
        drawing,
        [(SERIES_COLOURS[3], "MARAC referrals"), (SERIES_COLOURS[0], "Arrests")],
        LEGEND_X,
        HEIGHT - 36,
    )
    return drawing


def all_charts(part_a: PartA) -> list[Drawing]:
    return [
        monthly_records_chart(part_a),
        grade_pie_chart(part_a),
        yes_count_chart(part_a),
        monthly_trend_chart(part_a),
    ]
