"""Part A charts: every text meets WCAG AA contrast, both axes are titled, one record still reads (issue 21)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reportlab.graphics.shapes import Drawing, Ellipse, Group, String, Wedge

from dsvdesk.export import charts
from dsvdesk.reporting.parta import compute_part_a
from tests.unit.board.fixtures import PERIOD, VOCABULARY, Row, build_rows

# The middle of 124D's three grades (the form orders them; charts colour by rank).
MEDIUM = charts.grade_colour(VOCABULARY.grade_values.index("medium"), len(VOCABULARY.grade_values))


def _hex(colour: Any) -> str:
    return "#" + colour.hexval()[2:].lower()


def _shapes(node: Any) -> Iterator[Any]:
    """Every shape a drawing paints, with charts and widgets expanded as they draw themselves."""
    if isinstance(node, Group | Drawing):
        for child in node.contents:
            yield from _shapes(child)
    elif hasattr(node, "draw") and not isinstance(node, String | Wedge):
        yield from _shapes(node.draw())
    else:
        yield node


def _texts(drawing: Drawing) -> list[String]:
    return [shape for shape in _shapes(drawing) if isinstance(shape, String)]


def one_record() -> list[Row]:
    (row,) = [r for r in build_rows() if r.status == "approved" and r.values["grade"] == "medium"][:1]
    return [Row(row.record_id, row.status, {**row.values, "incident_date": "2010-05-03"})]


@pytest.fixture(scope="module")
def drawings() -> list[Drawing]:
    return charts.all_charts(compute_part_a(build_rows(), PERIOD, vocabulary=VOCABULARY))


def test_text_on_white_meets_wcag_aa(drawings: list[Drawing]) -> None:
    for drawing in drawings:
        wedges = [s for s in _shapes(drawing) if isinstance(s, Wedge)]
        for text in _texts(drawing):
            if wedges and text.text.isdigit():
                continue  # a count on a pie slice: checked against its slice below
            assert charts.contrast(_hex(text.fillColor), "#ffffff") >= charts.WCAG_AA, text.text


def test_counts_on_pie_slices_meet_wcag_aa() -> None:
    for fill in (*charts.GRADE_PALETTE, charts.NOT_RECORDED_COLOUR):
        assert charts.contrast(charts.label_colour(fill), fill) >= charts.WCAG_AA, fill
    # the amber 'Medium' slice of issue 21 had white text at 2.27:1
    assert charts.contrast("#ffffff", MEDIUM) < charts.WCAG_AA
    assert charts.label_colour(MEDIUM) == "#000000"


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
def test_the_better_of_black_and_white_always_reads(fill: str) -> None:
    # black or white on any colour reaches at least 4.58:1, so label_colour never fails AA
    assert charts.contrast(charts.label_colour(fill), fill) >= charts.WCAG_AA


def test_bar_and_line_charts_title_both_axes(drawings: list[Drawing]) -> None:
    monthly, _pie, yes_counts, trend = drawings
    for drawing, x_title, y_title in (
        (monthly, "Month of incident", "Records"),
        (yes_counts, "DASH 'yes' answers in the record", "Records"),
        (trend, "Month of incident", "Referrals or arrests"),
    ):
        texts = {t.text for t in _texts(drawing)}
        assert {x_title, y_title} <= texts


def test_a_one_record_pie_is_a_labelled_disc(artifacts_dir: Path, save_pages: Callable[..., Path]) -> None:
    part_a = compute_part_a(one_record(), PERIOD, vocabulary=VOCABULARY)
    assert part_a.records == 1
    pie = charts.grade_pie_chart(part_a)
    texts = [t.text for t in _texts(pie)]
    assert "1" in texts and "Medium: 1" in texts
    count = next(t for t in _texts(pie) if t.text == "1")
    disc = next(s for s in _shapes(pie) if isinstance(s, Ellipse))  # one slice: reportlab draws a disc
    assert _hex(disc.fillColor) == MEDIUM
    assert abs(count.x - disc.cx) < 1 and abs(count.y - disc.cy) < 12  # in the middle of the disc
    assert _hex(count.fillColor) == charts.label_colour(MEDIUM)
    from reportlab.graphics import renderPDF

    save_pages(renderPDF.drawToString(pie), "chart_one_record_pie")
