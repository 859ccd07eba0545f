"""Records: create, open, autosave, optimistic concurrency, lists and search."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.store import (
    InvalidInput,
    InvalidTransition,
    JustificationRequired,
    NotFound,
    PermissionDenied,
    SaveConflict,
    Status,
    Store,
)
from dsvdesk.store.audit import value_hash, value_secret
from tests.unit.store.conftest import ADMIN, Station, fake_pdf

GOOD = {
    "victim_name": "Ann Ångström",
    "suspect_name": "Bob Bloggs",
    "incident_date": "2026-01-02",
    "cad_ref": "CAD1234",
}


def test_create_and_open_own_record(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, GOOD)
    assert ref.status is Status.DRAFT and ref.revision == 1 and ref.version == 1
    record = store.open_record(off1, ref.id)
    assert dict(record.answers) == GOOD
    assert record.spec.id == "mini" and record.spec.content_hash == station.spec.content_hash
    assert record.owner_username == "off1" and record.owner_name == "Olive Officer"
    assert record.status is Status.DRAFT and record.is_editable
    assert record.completeness == 100  # the one required question is answered
    assert record.urn is None and record.review_comments == {}


def test_save_answer_bumps_version_updates_columns_and_audits_hash_only(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec)
    assert store.open_record(off1, ref.id).completeness == 0
    v2 = store.save_answer(off1, ref.id, "victim_name", "Zoë Secret-Name", ref.version)
    assert v2 == 2
    v3 = store.save_answers(off1, ref.id, {"dash_q1": "yes", "dash_q2": "yes", "officer_grade": "high"}, v2)
    assert v3 == 3
    [row] = store.list_records(off1)
    assert row.victim_name == "Zoë Secret-Name" and row.yes_count == 2 and row.grade == "high"
    assert row.completeness == 100 and row.version == 3
    events = store._conn.execute(
        "SELECT question_id, value_sha256 FROM audit_events WHERE event = 'alteration' AND record_id = ?",
        (ref.id,),
    ).fetchall()
    assert ("victim_name", value_hash("Zoë Secret-Name", value_secret(store._conn))) in events
    dump = "\n".join(repr(r) for r in store._conn.execute("SELECT * FROM audit_events"))
    assert "Secret-Name" not in dump


def test_clearing_an_answer(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, GOOD)
    version = store.save_answer(off1, ref.id, "suspect_name", None, ref.version)
    assert "suspect_name" not in store.open_record(off1, ref.id).answers
    store.save_answer(off1, ref.id, "victim_name", "", version)
    assert store.open_record(off1, ref.id).completeness == 0


def test_bad_answers_are_refused_with_clear_messages(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec)
    with pytest.raises(InvalidInput, match="no question 'nonsense'"):
        store.save_answer(off1, ref.id, "nonsense", "x", ref.version)
    with pytest.raises(InvalidInput, match="worked out by DSVDesk"):
        store.save_answer(off1, ref.id, "yes_count", 3, ref.version)
    with pytest.raises(InvalidInput, match="cannot be saved"):
        store.save_answer(off1, ref.id, "statement", object(), ref.version)
    with pytest.raises(InvalidInput, match="no question 'suspect_name__comment'"):
        store.save_answer(off1, ref.id, "suspect_name__comment", "x", ref.version)
    # comment of a question that has one is fine
    store.save_answer(off1, ref.id, "dash_q1__comment", "said so", ref.version)
    with pytest.raises(PermissionDenied, match="review section"):
        store.create_record(off1, station.spec, {"supervisor_grade": "high"})
    with pytest.raises(NotFound, match="no record"):
        store.open_record(off1, "00000000-0000-0000-0000-000000000000")


def test_stale_writer_gets_save_conflict_across_connections(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec)
    with Store.open(station.path) as second:
        window_b = second.login("off1", "correct horse battery")
        record_b = second.open_record(window_b, ref.id)
        store.save_answer(off1, ref.id, "victim_name", "From window A", ref.version)
        with pytest.raises(SaveConflict, match="changed somewhere else") as info:
            second.save_answer(window_b, ref.id, "victim_name", "From window B", record_b.version)
        assert info.value.current_version == 2
    assert store.open_record(off1, ref.id).answers["victim_name"] == "From window A"


def test_huge_and_non_latin_text_round_trips(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec)
    statement = ("Она сказала: 他打了我。 مرحبا 👋 " * 20_000)[:500_000]
    store.save_answer(off1, ref.id, "statement", statement, ref.version)
    assert store.open_record(off1, ref.id).answers["statement"] == statement
    with pytest.raises(InvalidInput, match="too long"):
        store.save_answer(off1, ref.id, "statement", "x" * 2_100_000, 2)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.text(max_size=300),
        st.lists(st.text(max_size=20), max_size=5),
        st.dictionaries(st.text(max_size=10), st.lists(st.text(max_size=10), max_size=3), max_size=3),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_any_json_value_round_trips(station: Station, value: object) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec)
    store.save_answer(off1, ref.id, "statement", value, ref.version)
    saved = store.open_record(off1, ref.id).answers.get("statement")
    assert saved == (None if value == "" else value)


def test_consultation_rules_and_audit(station: Station) -> None:
    store = station.store
    ref = store.create_record(station["off1"], station.spec, GOOD)
    with pytest.raises(PermissionDenied, match="only their own"):
        store.open_record(station["off2"], ref.id, justification="curious")
    with pytest.raises(JustificationRequired, match="Say why"):
        store.open_record(station["sup1"], ref.id)
    with pytest.raises(PermissionDenied, match="cannot read record content"):
        store.open_record(station[ADMIN], ref.id, justification="admin")
    store.open_record(station["sup1"], ref.id, justification="Supervisor review")
    rows = store._conn.execute(
        "SELECT username, justification FROM audit_events WHERE event = 'consultation' AND record_id = ?",
        (ref.id,),
    ).fetchall()
    assert ("sup1", "Supervisor review") in rows


def test_lists_are_scoped_by_role(station: Station) -> None:
    store = station.store
    for i in range(3):
        store.create_record(station["off1"], station.spec, {"victim_name": f"Victim {i}"})
    store.create_record(station["off2"], station.spec, {"victim_name": "Other officer's victim"})
    assert store.count_records(station["off1"]) == 3
    assert store.count_records(station["off2"]) == 1
    assert store.count_records(station["sup1"]) == 4
    with pytest.raises(PermissionDenied):
        store.list_records(station[ADMIN])
    with pytest.raises(PermissionDenied):
        store.list_records(station["off1"], owner="off2")
    assert store.count_records(station["sup1"], owner="off2") == 1


def test_list_sorting_paging_and_status_filter(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    refs = [
        store.create_record(off1, station.spec, {"victim_name": name}) for name in ("Cara", "alan", "Bea")
    ]
    newest_first = [r.id for r in store.list_records(off1)]
    assert newest_first == [r.id for r in reversed(refs)]
    by_name = [r.victim_name for r in store.list_records(off1, sort="victim_name", descending=False)]
    assert by_name == ["alan", "Bea", "Cara"]
    page2 = store.list_records(off1, sort="victim_name", descending=False, offset=1, limit=1)
    assert [r.victim_name for r in page2] == ["Bea"]
    store.submit(off1, refs[0].id, refs[0].version, fake_pdf())
    assert [r.id for r in store.list_records(off1, status="submitted")] == [refs[0].id]
    assert store.count_records(off1, status=["draft", "returned"]) == 2
    with pytest.raises(InvalidInput, match="Unknown status"):
        store.list_records(off1, status="lost")
    with pytest.raises(InvalidInput, match="Cannot sort"):
        store.list_records(off1, sort="answers_json; DROP TABLE records")


def test_full_text_search_on_names_and_references(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    store.create_record(off1, station.spec, GOOD)
    store.create_record(off1, station.spec, {"victim_name": "王小明", "cad_ref": "CAD9999"})
    assert [r.victim_name for r in store.list_records(off1, search="angstrom")] == ["Ann Ångström"]
    assert [r.victim_name for r in store.list_records(off1, search="bloggs")] == ["Ann Ångström"]
    assert [r.victim_name for r in store.list_records(off1, search="CAD99")] == ["王小明"]
    assert store.count_records(off1, search='" OR * NEAR(') == 0  # operators are inert, never an error
    assert store.list_records(off1, search="   ") == store.list_records(off1)
    assert store.list_records(off2 := station["off2"], search="angstrom") == []
    assert off2.user.username == "off2"


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Łucja Wiśniewska", "lucja"),
        ("Søren Ørsted", "orsted"),
        ("Jürgen Großmann", "grossmann"),
        ("ŁUCJA", "łucja"),
    ],
)
def test_search_finds_letters_unicode_does_not_decompose(station: Station, written: str, typed: str) -> None:
    store, off1 = station.store, station["off1"]
    store.create_record(off1, station.spec, {"victim_name": written, "cad_ref": "CAD1"})
    assert [r.victim_name for r in store.list_records(off1, search=typed)] == [written]


def test_flags_and_date_filters(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    flagged = store.create_record(
        off1, station.spec, {"victim_name": "A", "officer_grade": "high", "incident_date": "2026-02-01"}
    )
    store.create_record(off1, station.spec, {"victim_name": "B", "incident_date": "2026-03-01"})
    [row] = store.list_records(off1, flag="high_without_yes")
    assert row.id == flagged.id and row.flags == ("high_without_yes",)
    assert store.count_records(off1, date_from="2026-02-15") == 1
    assert store.count_records(off1, date_from="2026-02-01", date_to="2026-02-01") == 1


def test_definition_is_stored_once_and_old_drafts_keep_theirs(station: Station, mini_spec: object) -> None:
    from dsvdesk.engine.loader import load_form_text
    from tests.unit.store.forms import MINI_FORM

    store, off1 = station.store, station["off1"]
    first = store.create_record(off1, station.spec)
    store.create_record(off1, station.spec)
    changed = load_form_text(
        MINI_FORM.replace("title: Mini test form", "title: Mini test form v2"), "mini.yaml"
    )
    second = store.create_record(off1, changed)
    assert store._conn.execute("SELECT count(*) FROM definitions").fetchone()[0] == 2
    with Store.open(station.path) as fresh:  # nothing cached: compiled again from the stored text
        session = fresh.login("off1", "correct horse battery")
        assert fresh.open_record(session, first.id).spec.title == "Mini test form"
        assert fresh.open_record(session, second.id).spec.title == "Mini test form v2"


def test_record_history_and_answers_are_json(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, GOOD)
    raw, sealed = store._conn.execute(
        "SELECT answers_json, sealed_answers FROM records WHERE id = ?", (ref.id,)
    ).fetchone()
    assert json.loads(raw) == {} and b"Bloggs" not in bytes(sealed)  # sealed (issue 15)
    assert store.open_record(off1, ref.id).answers == GOOD
    history = store.record_history(off1, ref.id)
    assert [(h.action, h.username, h.full_name) for h in history] == [("created", "off1", "Olive Officer")]


def test_saves_refused_after_submission(station: Station, tmp_path: Path) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, GOOD)
    submitted = store.submit(off1, ref.id, ref.version, fake_pdf())
    with pytest.raises(InvalidTransition, match="submitted for review"):
        store.save_answer(off1, ref.id, "victim_name", "changed", submitted.version)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60))
def test_any_search_text_is_safe(station: Station, text: str) -> None:
    """FTS5 syntax typed into the search box (quotes, NEAR, *, ^, colons) never becomes an error."""
    rows = station.store.list_records(station["sup1"], search=text)
    assert isinstance(rows, list)
    assert station.store.count_records(station["sup1"], search=text) == len(rows)


def test_a_list_row_takes_each_column_in_its_place_and_the_opened_values_over_the_empty_ones() -> None:
    """models.record_row_from_columns builds RecordRow positionally: each of the 25 list columns lands
    in its own field; opened sealed values replace the (empty) name and reference columns."""
    import dataclasses

    from dsvdesk.store.models import RecordRow, Status, record_row_from_columns

    raw: list[Any] = [
        "rec-id", "form", "submitted", 2, 7, 11, "olive", "Olive Officer", 12, "c-at", "u-at", "s-at",
        "a-at", "URN-1", 80, 3, None, None, "2026-01-02", None, None, "high", 14, " a_flag b_flag ",
        '{"extra": 1}',
    ]  # fmt: skip
    plain = record_row_from_columns(raw)
    assert dataclasses.asdict(plain) | {"columns": dict(plain.columns)} == {
        "id": "rec-id", "form_id": "form", "status": Status.SUBMITTED, "revision": 2, "version": 7,
        "owner_id": 11, "owner_username": "olive", "owner_name": "Olive Officer", "editor_id": 12,
        "created_at": "c-at", "updated_at": "u-at", "submitted_at": "s-at", "approved_at": "a-at",
        "urn": "URN-1", "completeness": 80, "return_rounds": 3, "victim_name": None, "suspect_name": None,
        "incident_date": "2026-01-02", "cad_ref": None, "cris_ref": None, "grade": "high", "yes_count": 14,
        "flags": ("a_flag", "b_flag"), "columns": {"extra": 1},
    }  # fmt: skip
    assert len(dataclasses.fields(RecordRow)) == len(raw)
    opened = record_row_from_columns(
        raw, {"victim_name": "Ada", "suspect_name": "Bo", "cad_ref": 123, "cris_ref": "CR9"}
    )
    assert (opened.victim_name, opened.suspect_name, opened.cad_ref, opened.cris_ref) == (
        "Ada", "Bo", "123", "CR9",
    )  # fmt: skip
    assert dict(opened.columns) == {
        "extra": 1,
        "victim_name": "Ada",
        "suspect_name": "Bo",
        "cad_ref": 123,
        "cris_ref": "CR9",
    }
