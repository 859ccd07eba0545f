"""Issue 20, item 11: the board pack's file name never ends in an underscore (a name part cut at its
length limit used to keep the "_" it was cut at), whatever the report number and borough are."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.reporting.pack import safe_name


def test_a_name_cut_at_its_limit_keeps_no_trailing_underscore() -> None:
    assert (
        safe_name("Royal Borough of Kensington and Chelsea North")
        == "Royal_Borough_of_Kensington_and_Chelsea"
    )
    assert safe_name("DSVB/2026/03 ") == "DSVB_2026_03"
    assert safe_name("___", "board_pack") == "board_pack"
    whole = "board_pack_reportDSVB_2026_03_Islington_20260401"
    assert safe_name(whole, "board_pack", limit=200) == whole  # the pack's name keeps its date


@given(st.text(max_size=80))
def test_no_part_starts_or_ends_with_a_separator(text: str) -> None:
    name = safe_name(text, "x")
    assert name and len(name) <= 40
    assert not name.endswith(("_", "-")) and not name.startswith(("_", "-"))
