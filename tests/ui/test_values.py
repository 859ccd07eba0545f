"""What officers type → stored answer values (Qt-free conversions used by the editors)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.ui.wizard import values as conv


def test_dates_typed_the_uk_way_are_stored_iso() -> None:
    assert conv.parse_date("25/11/2026") == "2026-11-25"
    assert conv.parse_date("5.1.2026") == "2026-01-05"
    assert conv.parse_date("2026-11-25") == "2026-11-25"
    assert conv.parse_date("   ") is None
    assert conv.display_date("2026-11-25") == "25/11/2026"


def test_impossible_dates_are_kept_as_typed_for_the_engine_to_explain() -> None:
    assert conv.parse_date("31/02/2026") == "31/02/2026"
    assert conv.parse_date("next tuesday") == "next tuesday"


def test_times_and_numbers() -> None:
    assert conv.parse_time("930") == "09:30"
    assert conv.parse_time("21.05") == "21:05"
    assert conv.parse_time("25:00") == "25:00"  # kept; the engine says why it is wrong
    assert conv.parse_integer("1,200") == 1200
    assert conv.parse_integer("twelve") == "twelve"
    assert conv.parse_decimal("12.50") == 12.5
    assert conv.parse_decimal("nan") == "nan"
    assert conv.display_number(3.0) == "3"


def test_format_value_for_the_summary_panel() -> None:
    assert conv.format_value(None) == "—"
    assert conv.format_value(True) == "Yes"
    assert conv.format_value(["a", "b"]) == "a, b"
    assert conv.format_value("high", {"high": "High"}) == "High"
    assert conv.format_value(2.3456) == "2.35"


@given(st.text())
def test_parsers_never_raise_and_never_lose_text(text: str) -> None:
    for parse in (conv.parse_date, conv.parse_time, conv.parse_integer, conv.parse_decimal):
        result = parse(text)
        if text.strip():
            assert result is not None
        else:
            assert result is None
    conv.format_value(text)
    conv.display_date(text)
