"""Part A charts as reportlab `Drawing`s: records by month, risk grades, DASH 'yes' counts, MARAC and
arrests by month.

reportlab's chart defaults are Helvetica (base-14, never embedded); every label, legend and title
here sets the embedded DejaVu face explicitly so `pdffonts` shows no Helvetica. Colours are chosen to
stay distinguishable in greyscale print (the Board's packs are often printed). Every text meets WCAG AA
contrast (4.5:1): text on white is near-black, and a count printed on a coloured pie slice is black or
white, whichever contrasts more with that slice (`label_colour`). Bar and line charts name both axes.
A pie of one grade is a full disc with its count in the middle and the grade in the legend. reportlab
is imported inside the functions so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dsvdesk.export import fonts
from dsvdesk.reporting.parta import NOT_RECORDED, PartA

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing

WIDTH = 480
HEIGHT = 200
TEXT = "#1a1a1a"  # every text on white: 17:1
WCAG_AA = 4.5
# dark blue, amber, grey-green, dark red: distinct hues *and* distinct lightness
SERIES_COLOURS = ("#1f3b73", "#e0a030", "#6b8f71", "#8c1c13")
# Grades are coloured by rank, lowest green to highest red (the form names and orders them).
GRADE_PALETTE = ("#6b8f71", "#e0a030", "#8c1c13")
NOT_RECORDED_COLOUR = "#bbbbbb"


def grade_colour(rank: int, count: int) -> str:
    """The colour of the grade at `rank` (0 = lowest) among `count` grades."""
    if count <= 1:
        return GRADE_PALETTE[-1]
    return GRADE_PALETTE[round(rank * (len(GRADE_PALETTE) - 1) / (count - 1))]


def _luminance(hex_text: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour given as #rrggbb."""
    channels = [int(hex_text.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def label_colour(fill: str) -> str:
    """Black or white text on `fill`, whichever contrasts more (at least 4.5:1 for every colour here)."""
    return max(("#000000", "#ffffff"), key=lambda text: contrast(text, fill))


def _drawing(title: str) -> Drawing:
    from reportlab.graphics.shapes import Drawing, String

    fonts.register_fonts()
    drawing = Drawing(WIDTH, HEIGHT)
    drawing.initialFontName = fonts.REGULAR  # the canvas state a Drawing starts from (Helvetica otherwise)
    drawing.initialFontSize = 8
    drawing.add(String(0, HEIGHT - 12, title, fontName=fonts.BOLD, fontSize=10, fillColor=_colour(TEXT)))
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
    legend.fillColor = _colour(TEXT)
    legend.colorNamePairs = [(_colour(c), label) for c, label in items]
    drawing.add(legend)


def _style_axes(chart: Any) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = fonts.REGULAR
        axis.labels.fontSize = 7
        axis.labels.fillColor = _colour(TEXT)
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


PLOT_X, PLOT_Y = 48, 40  # room left of and below the plot for the axis labels and titles
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - 162, HEIGHT - 72


def _plot(
    drawing: Drawing,
    chart: Any,
    data: list[list[int]],
    category_names: list[str],
    *,
    top: int,
    x_title: str,
    y_title: str = "Records",
) -> None:
    """Place a bar or line chart in the plot area with its data, styled axes, whole-number scale and
    a title on each axis."""
    from reportlab.graphics.shapes import Group, String

    chart.x, chart.y, chart.width, chart.height = PLOT_X, PLOT_Y, PLOT_WIDTH, PLOT_HEIGHT
    chart.data = data
    chart.categoryAxis.categoryNames = category_names
    _style_axes(chart)
    _scale(chart, top)
    if len(category_names) > 12:
        chart.categoryAxis.labels.angle = 45
        chart.categoryAxis.labels.boxAnchor = "ne"
    x_axis = String(PLOT_X + PLOT_WIDTH / 2, 2, x_title, textAnchor="middle")
    y_axis = String(0, 0, y_title, textAnchor="middle")
    for text in (x_axis, y_axis):
        text.fontName, text.fontSize, text.fillColor = fonts.REGULAR, 8, _colour(TEXT)
    drawing.add(x_axis)
    # the value axis title reads bottom to top beside the axis
    turned = Group(y_axis)
    turned.transform = (0, 1, -1, 0, 12, PLOT_Y + PLOT_HEIGHT / 2)
    drawing.add(turned)


LEGEND_X = WIDTH - 104  # right of the plot area


def _no_data(drawing: Drawing, text: str = "No records in this period.") -> Drawing:
    from reportlab.graphics.shapes import String

    drawing.add(
        String(
            WIDTH / 2,
            HEIGHT / 2,
            text,
            fontName=fonts.ITALIC,
            fontSize=9,
            textAnchor="middle",
            fillColor=_colour(TEXT),
        )
    )
    return drawing


def monthly_records_chart(part_a: PartA) -> Drawing:
    """Grouped bars per month: approved records and those graded high risk."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart

    drawing = _drawing("Approved 124D records by month of incident")
    if part_a.records == 0:
        return _no_data(drawing)
    chart = VerticalBarChart()
    _plot(
        drawing,
        chart,
        [[m.records for m in part_a.months], [m.high_risk for m in part_a.months]],
        [m.label for m in part_a.months],
        top=max((m.records for m in part_a.months), default=1),
        x_title="Month of incident",
    )
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for index in range(2):
        chart.bars[index].fillColor = _colour(SERIES_COLOURS[0 if index == 0 else 3])
        chart.bars[index].strokeColor = None
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
    vocabulary = part_a.vocabulary
    values = vocabulary.grade_values
    colours = {g: grade_colour(rank, len(values)) for rank, g in enumerate(values)}
    colours[NOT_RECORDED] = NOT_RECORDED_COLOUR
    labels = {g: vocabulary.grade_label(g) for g in values}
    labels[NOT_RECORDED] = NOT_RECORDED.capitalize()
    grades = [(g, part_a.grades.get(g, 0)) for g in (*values, NOT_RECORDED) if part_a.grades.get(g, 0)]
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 40, 20, 130, 130
    pie.data = [n for _g, n in grades]
    pie.labels = [str(n) for _g, n in grades]
    pie.simpleLabels = True
    pie.sideLabels = False
    pie.slices.strokeColor = _colour("#ffffff")
    pie.slices.strokeWidth = 1
    for index, (grade, _n) in enumerate(grades):
        fill = colours[grade]
        pie.slices[index].fillColor = _colour(fill)
        pie.slices[index].fontName = fonts.BOLD
        pie.slices[index].fontSize = 9
        pie.slices[index].fontColor = _colour(label_colour(fill))
        # one grade fills the disc: its count sits in the middle rather than on an arbitrary radius
        pie.slices[index].labelRadius = 0 if len(grades) == 1 else 0.65
    drawing.add(pie)
    _legend(
        drawing,
        [(colours[g], f"{labels[g]}: {n}") for g, n in grades],
        LEGEND_X,
        HEIGHT - 50,
    )
    return drawing


def yes_count_chart(part_a: PartA) -> Drawing:
    """Histogram of DASH 'yes' answers per record, bars coloured by the form's bands: the top band (the
    high-risk threshold and above) red, the band below it amber, the lower bands green."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart

    drawing = _drawing("DASH 'yes' answers per approved record")
    if not part_a.yes_histogram:
        return _no_data(drawing, "No DASH 'yes' counts recorded in this period.")
    bands = part_a.vocabulary.yes_bands
    lower = bands[:-2] if len(bands) > 2 else bands[:-1]
    middle = bands[-2:-1] if len(bands) > 2 else ()
    top = bands[-1]
    shown = top.low + 1  # always show the first count of the top band
    histogram = list(part_a.yes_histogram) + [0] * max(0, shown - len(part_a.yes_histogram))
    chart = VerticalBarChart()
    _plot(
        drawing,
        chart,
        [histogram],
        [str(i) for i in range(len(histogram))],
        top=max(histogram),
        x_title="DASH 'yes' answers in the record",
    )
    chart.barSpacing = 0
    chart.groupSpacing = 2
    chart.bars.strokeColor = None
    for index in range(len(histogram)):
        colour = (
            SERIES_COLOURS[3]
            if top.holds(index)
            else SERIES_COLOURS[1]
            if any(b.holds(index) for b in middle)
            else SERIES_COLOURS[2]
        )
        chart.bars[(0, index)].fillColor = _colour(colour)
    drawing.add(chart)
    legend = []
    if lower:
        low, high = lower[0].low, lower[-1].high
        legend.append((SERIES_COLOURS[2], f"{low}–{high}" if high is not None and high > low else str(low)))
    legend += [(SERIES_COLOURS[1], b.label) for b in middle]
    legend.append((SERIES_COLOURS[3], top.label))
    _legend(drawing, legend, LEGEND_X, HEIGHT - 36)
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
        drawing,
        chart,
        [[m.marac_referrals for m in part_a.months], [m.arrests for m in part_a.months]],
        [m.label for m in part_a.months],
        top=max((max(m.marac_referrals, m.arrests) for m in part_a.months), default=1),
        x_title="Month of incident",
        y_title="Referrals or arrests",
    )
    for index, (colour, marker) in enumerate(
        ((SERIES_COLOURS[3], "FilledCircle"), (SERIES_COLOURS[0], "FilledSquare"))
    ):
        chart.lines[index].strokeColor = _colour(colour)
        chart.lines[index].strokeWidth = 1.5
        chart.lines[index].symbol = makeMarker(marker, size=4, fillColor=_colour(colour))
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
