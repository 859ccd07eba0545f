"""The lean autosave path: reused answers and derived columns must never differ from a full save.

The store keeps, per record, the answers and derived columns it last wrote, and skips the evaluation
and the search-index rewrite when a change cannot affect them. These tests check that whatever the
sequence of saves — by this Store, another Store, or a raw writer — the row always holds exactly
what a full evaluation of its answers gives, and that the skipping really happens.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.store import SaveConflict, Store, sealing
from dsvdesk.store.records import TABLE_COLUMNS
from dsvdesk.store.sealed import search_texts, split_columns, victim_age
from dsvdesk.store.sealing import content_aad, index_tokens
from tests.helpers.encrypted import raw_connect
from tests.unit.store.conftest import PASSWORD, Station


def row_of(path: Any, record_id: str) -> dict[str, Any]:
    """The record row as a fresh connection reads it (nothing cached by the Store under test)."""
    conn = raw_connect(path)
    try:
        names = (
            "seq",
            "id",
            "revision",
            "owner_id",
            "key_id",
            "sealed_answers",
            "sealed_columns",
            "answers_json",
            "columns_json",
            "completeness",
            "flags",
            "version",
            "urn",
            "victim_key",
            "victim_age",
            "index_pending",
            *TABLE_COLUMNS,
        )
        row = conn.execute(f"SELECT {', '.join(names)} FROM records WHERE id = ?", (record_id,)).fetchone()
        values = dict(zip(names, row, strict=True))
        values["tokens"] = {
            bytes(t[0])
            for t in conn.execute("SELECT token FROM search_tokens WHERE seq = ?", (values["seq"],))
        }
        return values
    finally:
        conn.close()


def opened(station: Station, row: dict[str, Any], part: str) -> Any:
    """A sealed part of the row, opened with the owner's keys (off1 owns every record here)."""
    store = station.store
    with store.read() as conn:
        cipher = store._cipher(conn, station["off1"], int(row["key_id"]))
    assert cipher is not None
    return json.loads(
        cipher.open(bytes(row[f"sealed_{part}"]), content_aad(row["id"], row["revision"], part))
    )


def assert_row_matches_full_evaluation(station: Station, record_id: str) -> None:
    row = row_of(station.path, record_id)
    assert json.loads(row["answers_json"]) == {}  # sealed (issue 15)
    answers = opened(station, row, "answers")
    with Store.open(station.path) as fresh:
        expected = fresh.derive(station.spec, answers)
    plain, sealed = split_columns(expected.columns, TABLE_COLUMNS)
    assert json.loads(row["columns_json"]) == json.loads(json.dumps(plain, default=str))
    assert opened(station, row, "columns") == json.loads(json.dumps(sealed, default=str))
    assert row["completeness"] == expected.completeness
    assert row["flags"] == (f" {' '.join(expected.flags)} " if expected.flags else "")
    for name in TABLE_COLUMNS:
        assert row[name] == plain.get(name)
    # off1 holds no station key (a supervisor's): no victim key; a draft's tokens are all written
    assert (row["victim_key"], row["victim_age"], row["index_pending"]) == (
        None,
        victim_age(expected.columns),
        0,
    )
    with station.store.read() as conn:
        found = station.store._user_index_key(conn, station["off1"], int(row["owner_id"]))
    assert found is not None
    names, refs = search_texts(expected.columns, row["urn"])
    assert row["tokens"] == index_tokens(found[1], [*names, *refs])


CHANGES = st.sampled_from(
    [
        ("statement", "Long narrative text"),
        ("statement", "Long narrative text, more"),
        ("statement", None),
        ("victim_name", "Ann Łucja"),
        ("victim_name", "Ann"),
        ("victim_name", None),
        ("suspect_name", "Bob"),
        ("suspect_name", None),
        ("cad_ref", "CAD1234"),
        ("cad_ref", "CAD9999"),
        ("cad_ref", "not a CAD"),
        ("cad_ref", None),
        ("incident_date", "2026-01-02"),
        ("incident_date", "2026-13-45"),
        ("incident_date", None),
        ("dash_q1", "yes"),
        ("dash_q1", "no"),
        ("dash_q1", None),
        ("dash_q2", "yes"),
        ("dash_q1__comment", "said so"),
        ("dash_q1__comment", None),
        ("officer_grade", "high"),
        ("officer_grade", "standard"),
        ("officer_grade", None),
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(CHANGES, st.booleans()), min_size=1, max_size=12))
def test_every_save_leaves_the_row_as_a_full_evaluation_would(
    station: Station, steps: list[tuple[tuple[str, Any], bool]]
) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, {"statement": "Start"})
    version = ref.version
    with Store.open(station.path) as other:
        other_session = other.login("off1", PASSWORD)
        for (question_id, value), by_other in steps:
            writer, session = (other, other_session) if by_other else (store, off1)
            version = writer.save_answer(session, ref.id, question_id, value, version)
            assert_row_matches_full_evaluation(station, ref.id)


def count_statements(store: Store) -> list[str]:
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    return statements


def test_a_narrative_keystroke_skips_evaluation_and_search_rewrite(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, {"victim_name": "Ann", "statement": "Start"})
    version = store.save_answer(off1, ref.id, "statement", "Start.", ref.version)
    evaluations: list[int] = []
    real_derive = store.derive
    monkeypatch.setattr(
        store, "derive", lambda spec, answers: evaluations.append(1) or real_derive(spec, answers)
    )
    statements = count_statements(store)
    version = store.save_answer(off1, ref.id, "statement", "Start. More", version)
    store._conn.set_trace_callback(None)
    assert evaluations == []
    assert not any("search_tokens" in s for s in statements)
    assert sum(s.startswith("UPDATE records") for s in statements) == 1
    assert any(s.startswith("INSERT INTO audit_events") for s in statements)
    assert_row_matches_full_evaluation(station, ref.id)

    # a name feeds only its column: that column is worked out again, not the form, and only the
    # tokens that changed are written (one DELETE per token gone, one INSERT per token added)
    statements = count_statements(store)
    version = store.save_answer(off1, ref.id, "victim_name", "Annie", version)
    store._conn.set_trace_callback(None)
    assert evaluations == []
    assert sum("INSERT OR IGNORE INTO search_tokens" in s for s in statements) == 2  # "anni", "annie"
    assert not any("DELETE FROM search_tokens" in s for s in statements)
    assert_row_matches_full_evaluation(station, ref.id)
    version = store.save_answer(off1, ref.id, "victim_name", "Łucja", version)
    assert evaluations == []
    assert store.list_records(off1, search="lucja")[0].id == ref.id
    assert store.list_records(off1, search="annie") == []
    assert_row_matches_full_evaluation(station, ref.id)
    # a change that feeds a rule or a count is evaluated
    store.save_answer(off1, ref.id, "dash_q1", "yes", version)
    assert evaluations == [1]
    assert_row_matches_full_evaluation(station, ref.id)


def test_clearing_or_invalidating_an_inert_answer_is_evaluated(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, {"victim_name": "Ann"})
    version = store.save_answer(off1, ref.id, "statement", "Text", ref.version)
    version = store.save_answer(off1, ref.id, "statement", None, version)
    assert_row_matches_full_evaluation(station, ref.id)
    version = store.save_answer(off1, ref.id, "statement", ["not", "text"], version)
    assert_row_matches_full_evaluation(station, ref.id)


def test_a_writer_that_does_not_bump_the_version_is_still_noticed(station: Station) -> None:
    """A raw write (another program, a restore) changes updated_at: the store reads the row afresh."""
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, {"statement": "Mine"})
    version = store.save_answer(off1, ref.id, "statement", "Mine too", ref.version)
    row = row_of(station.path, ref.id)
    with store.read() as conn:
        cipher = store._cipher(conn, off1, int(row["key_id"]))
    assert cipher is not None
    elsewhere = json.dumps({"statement": "Mine too", "victim_name": "Written elsewhere"}).encode()
    conn = raw_connect(station.path)
    with conn:
        conn.execute(
            "UPDATE records SET sealed_answers = ?, updated_at = '2030-01-01T00:00:00.000000+00:00' WHERE id = ?",
            (cipher.seal(elsewhere, content_aad(ref.id, 1, "answers")), ref.id),
        )
    conn.close()
    store.save_answer(off1, ref.id, "statement", "Mine, third", version)
    answers = store.open_record(off1, ref.id).answers
    assert answers == {"statement": "Mine, third", "victim_name": "Written elsewhere"}
    assert_row_matches_full_evaluation(station, ref.id)


def test_a_refused_save_leaves_nothing_stale(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, {"statement": "One"})
    version = store.save_answer(off1, ref.id, "statement", "Two", ref.version)
    with pytest.raises(SaveConflict):
        store.save_answer(off1, ref.id, "statement", "Stale", version - 1)
    with Store.open(station.path) as other:
        other_version = other.save_answer(
            other.login("off1", PASSWORD), ref.id, "victim_name", "Zed", version
        )
    with pytest.raises(SaveConflict):
        store.save_answer(off1, ref.id, "statement", "Three", version)
    store.save_answer(off1, ref.id, "statement", "Three", other_version)
    assert store.open_record(off1, ref.id).answers == {"statement": "Three", "victim_name": "Zed"}
    assert_row_matches_full_evaluation(station, ref.id)
    assert store.verify_audit().ok


_NAMES = st.one_of(st.none(), st.text(alphabet="abcŁłØøßzé -'", min_size=0, max_size=12))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["victim_surname", "victim_first_name", "suspect_surname", "cad_ref"]), _NAMES
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_name_part_of_the_124d_works_out_its_column_as_the_full_evaluation_does(
    station: Station, steps: list[tuple[str, str | None]]
) -> None:
    """The 124D's victim name is computed from the first name and the surname: a save of either works
    out that column alone (no evaluation of the form), and the row, its sealed columns and its search
    tokens come out as a full evaluation makes them."""
    from pathlib import Path

    from dsvdesk.engine.loader import load_form

    spec = load_form(Path(__file__).resolve().parents[3] / "forms" / "124d.yaml")
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, spec, {"victim_first_name": "Anna", "victim_surname": "Nowak"})
    version = ref.version
    for question_id, value in steps:
        version = store.save_answer(off1, ref.id, question_id, value, version)
        row = row_of(station.path, ref.id)
        answers = opened(station, row, "answers")
        with Store.open(station.path) as fresh:
            expected = fresh.derive(spec, answers)
        plain, sealed = split_columns(expected.columns, TABLE_COLUMNS)
        assert json.loads(row["columns_json"]) == json.loads(json.dumps(plain, default=str))
        assert opened(station, row, "columns") == json.loads(json.dumps(sealed, default=str))
        assert (row["completeness"], row["flags"].split()) == (expected.completeness, list(expected.flags))
        with station.store.read() as conn:
            found = station.store._user_index_key(conn, off1, off1.user.id)
        assert found is not None
        names, refs = search_texts(expected.columns, None)
        assert row["tokens"] == index_tokens(found[1], [*names, *refs])


def test_a_124d_surname_save_skips_the_evaluation(station: Station, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from dsvdesk.engine.loader import load_form

    spec = load_form(Path(__file__).resolve().parents[3] / "forms" / "124d.yaml")
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, spec, {"victim_first_name": "Anna", "victim_surname": "Nowak"})
    evaluations: list[int] = []
    real_derive = store.derive
    monkeypatch.setattr(store, "derive", lambda s, a: evaluations.append(1) or real_derive(s, a))
    store.save_answer(off1, ref.id, "victim_surname", "Nowakowska", ref.version)
    assert evaluations == []
    assert store.list_records(off1, search="nowakowsk")[0].victim_name == "Anna Nowakowska"


def assigned_columns(update: str) -> set[str]:
    """The columns an ``UPDATE records SET ... WHERE`` statement (as traced) assigns."""
    assignments = update.split(" WHERE ", maxsplit=1)[0].removeprefix("UPDATE records SET ")
    return set(re.findall(r"(?:^|, )(\w+) = ", assignments))


def _124d(station: Station) -> Any:
    from pathlib import Path

    from dsvdesk.engine.loader import load_form

    return load_form(Path(__file__).resolve().parents[3] / "forms" / "124d.yaml")


def test_a_surname_keystroke_writes_only_what_changed(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keystroke in the surname changes the victim's name (sealed) and one search token: the UPDATE
    names only the sealed columns beside the answers (naming a column makes SQLite rewrite every index
    on it, whatever the value), one token is made and written, and the row is as a full save leaves it."""
    spec = _124d(station)
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, spec, {"victim_first_name": "Anna", "victim_surname": "Nowak"})
    version = store.save_answer(off1, ref.id, "victim_surname", "Nowako", ref.version)
    made: list[bytes] = []
    real_digest = sealing.hmac.digest
    monkeypatch.setattr(
        sealing.hmac, "digest", lambda key, msg, name: made.append(msg) or real_digest(key, msg, name)
    )
    statements = count_statements(store)
    version = store.save_answer(off1, ref.id, "victim_surname", "Nowakow", version)
    store._conn.set_trace_callback(None)
    assert made == [b"t|nowakow"]  # the new prefix's token only; the others are the record's own
    updates = [s for s in statements if s.startswith("UPDATE records")]
    assert len(updates) == 1
    assert assigned_columns(updates[0]) == {"sealed_answers", "version", "updated_at", "sealed_columns"}
    assert sum("INSERT OR IGNORE INTO search_tokens" in s for s in statements) == 1
    row = row_of(station.path, ref.id)
    assert opened(station, row, "columns")["victim_name"] == "Anna Nowakow"
    assert store.list_records(off1, search="nowakow")[0].id == ref.id
    # an answer that changes a plain column too (the incident date) writes that column as well
    statements = count_statements(store)
    store.save_answer(off1, ref.id, "incident_date", "2026-01-02", version)
    store._conn.set_trace_callback(None)
    assert "incident_date" in assigned_columns(next(s for s in statements if s.startswith("UPDATE records")))
    assert store.open_record(off1, ref.id).answers["incident_date"] == "2026-01-02"


def test_a_column_set_elsewhere_without_a_new_version_is_written_again(station: Station) -> None:
    """Completing the index at a supervisor's sign-in sets the victim key and ``index_pending`` without
    a new version. The next save compares with the row as it is, not with what this Store wrote, so
    the row again holds what a full save of the answers gives."""
    spec = _124d(station)
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, spec, {"victim_first_name": "Anna", "victim_surname": "Nowak"})
    version = store.save_answer(off1, ref.id, "victim_surname", "Nowaka", ref.version)
    conn = raw_connect(station.path)
    with conn:
        conn.execute(
            "UPDATE records SET victim_key = 'made elsewhere', index_pending = 1, grade = 'High' WHERE id = ?",
            (ref.id,),
        )
    conn.close()
    store.save_answer(off1, ref.id, "victim_surname", "Nowakowska", version)
    row = row_of(station.path, ref.id)
    answers = opened(station, row, "answers")
    with Store.open(station.path) as fresh:
        expected = fresh.derive(spec, answers)
    plain, sealed = split_columns(expected.columns, TABLE_COLUMNS)
    assert (row["victim_key"], row["index_pending"], row["grade"]) == (None, 0, plain.get("grade"))
    assert opened(station, row, "columns") == json.loads(json.dumps(sealed, default=str))
