"""The period query reads many columns with one multi-path json_extract; each value must come out as a
single-path json_extract would give it (what Part A's converters were written against)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dsvdesk.store.reporting import _split_values

# No NUL (a single-path json_extract cuts text at one, a C string; the multi path keeps it whole) and no
# lone surrogates (not UTF-8, so no store column can hold one).
text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), text,
    st.sampled_from(["true", "false", "[x]", "{y}", "Zoë Smith", "النجار"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(values, min_size=2, max_size=6))
def test_multi_path_values_equal_single_path_json_extract(items: list[Any]) -> None:
    document = json.dumps({f"c{i}": v for i, v in enumerate(items)}, ensure_ascii=False)
    names = [f"c{i}" for i in range(len(items))]
    conn = sqlite3.connect(":memory:")
    multi = conn.execute(f"SELECT json_extract(?, {', '.join(f'{chr(39)}$.{n}{chr(39)}' for n in names)})", (document,)).fetchone()[0]
    single = [conn.execute(f"SELECT json_extract(?, '$.{n}')", (document,)).fetchone()[0] for n in names]
    assert _split_values(multi, names) == single


def test_no_values_for_a_row_without_them() -> None:
    assert _split_values(None, ["a"]) is None
