"""The in-memory order of sealed names (store/name_order.py): whatever is put, changed or forgotten,
and in whatever steps, the order is the one a plain sort of the held names gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsvdesk.store import name_order
from dsvdesk.store.name_order import NameOrder, collation_key, stamp_of

NAMES = st.one_of(
    st.none(),
    st.sampled_from(
        ["Ada", "ada", "Łucja", "Lucy", "Zoë", "Zoe", "Ørsted", "Oscar", "  Bea ", "", "婷婷 黄"]
    ),
    st.text(max_size=8),
)
# (seq, name) puts, in batches; the stamp is the step number, so a re-put is a change
BATCHES = st.lists(st.lists(st.tuples(st.integers(1, 60), NAMES), max_size=12), max_size=8)


def _expected(held: dict[int, object], seqs: list[int], descending: bool) -> list[int]:
    ordered = sorted(seqs, key=lambda seq: (collation_key(held[seq]) or "", seq))
    return ordered[::-1] if descending else ordered


@settings(max_examples=150, deadline=None)
@given(
    batches=BATCHES,
    forgotten=st.lists(st.integers(1, 60), max_size=6),
    subset=st.lists(st.integers(1, 60), max_size=40, unique=True),
    descending=st.booleans(),
    one_by_one=st.booleans(),
)
def test_the_order_is_a_plain_sort_of_what_is_held(
    batches: list[list[tuple[int, object]]],
    forgotten: list[int],
    subset: list[int],
    descending: bool,
    one_by_one: bool,
) -> None:
    order = NameOrder("victim_name")
    held: dict[int, object] = {}
    # both ways of placing changed records: one by one (bisect) and by sorting the whole order again
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(name_order, "_ONE_BY_ONE", 1_000 if one_by_one else -1)
        for step, batch in enumerate(batches, start=1):
            order.put([(seq, step, name) for seq, name in batch])
            held.update(dict(batch))
    order.forget(forgotten)
    for seq in forgotten:
        held.pop(seq, None)
    assert len(order) == len(held)
    assert order.ordered(list(held), descending=descending) == _expected(held, list(held), descending)
    known = [seq for seq in subset if seq in held]
    assert order.unknown(subset) == [seq for seq in subset if seq not in held]
    assert order.ordered(known, descending=descending) == _expected(held, known, descending)


def test_names_sort_as_people_read_them() -> None:
    order = NameOrder("victim_name")
    names = {1: "Zoe", 2: "Łucja", 3: "lucy", 4: None, 5: "Ørsted", 6: "ada", 7: "Zoë", 8: "Oscar"}
    order.put([(seq, 1, name) for seq, name in names.items()])
    assert [names[s] for s in order.ordered(list(names))] == [
        None,
        "ada",
        "Łucja",  # Ł reads as L
        "lucy",
        "Ørsted",  # Ø as O
        "Oscar",
        "Zoe",
        "Zoë",  # the same letters: then the older record first
    ]


def test_a_changed_stamp_or_a_vanished_record_is_found_by_a_scan() -> None:
    order = NameOrder("victim_name")
    order.put([(1, stamp_of(7, 1, 1), "Bea"), (2, stamp_of(8, 1, 1), "Ada"), (3, stamp_of(9, 1, 4), "Cy")])
    stale, gone = order.changed([(1, stamp_of(7, 1, 2)), (3, stamp_of(9, 1, 4)), (4, stamp_of(10, 1, 1))])
    assert (stale, gone) == ([1], [2])  # 1 saved since, 2 deleted; 4 is new (unknown, not stale)
    assert order.unknown([1, 2, 3, 4]) == [4]
    generation = order.generation
    order.put([(1, stamp_of(7, 1, 2), "Zed")])
    order.forget(gone)
    assert order.generation == generation + 1
    assert order.ordered([1, 3]) == [3, 1]


def test_stamps_change_with_every_save_amendment_and_key() -> None:
    base = stamp_of(5, 1, 1)
    assert len({base, stamp_of(5, 1, 2), stamp_of(5, 2, 1), stamp_of(6, 1, 1), stamp_of(None, 1, 1)}) == 5
    assert stamp_of(2**40, 2, 3) < 2**63  # a 64-bit integer, as SQLite computes it
