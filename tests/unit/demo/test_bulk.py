"""Bulk records: every state, deterministic, and rows exactly as the store itself writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsvdesk import demo
from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Store
from dsvdesk.store.records import TABLE_COLUMNS
from tests.helpers.encrypted import raw_connect
from tests.unit.demo.conftest import TODAY

OFFICER = next(a for a in demo.DEMO_ACCOUNTS if a.role == "officer")
SUPERVISOR = next(a for a in demo.DEMO_ACCOUNTS if a.role == "supervisor")


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = raw_connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def bulk_db(station: Path, spec: FormSpec) -> Path:
    """400 bulk records made while the officer and a supervisor are signed in (as `dsvdesk demo
    --records` signs the demo accounts in): the load itself makes their search tokens and Part A
    victim keys, none is left for the next sign-in."""
    with Store.open(station) as store:
        for account in (OFFICER, SUPERVISOR):
            store.login(account.username, account.password)
    summary = demo.bulk_insert_records(station, spec, count=400, seed=21, today=TODAY, templates_per_group=4)
    assert summary.records == 400
    assert rows(station, "SELECT count(*) FROM records WHERE index_pending <> 0") == [(0,)]
    return station


def test_every_state_is_present_and_the_audit_chain_verifies(bulk_db: Path) -> None:
    with Store.open(bulk_db) as store:
        assert store.verify_audit().ok
        reviewer = store.login(SUPERVISOR.username, SUPERVISOR.password)
        counts = {status: store.count_records(reviewer, status=status) for status in demo.STATUSES}
    assert sum(counts.values()) == 400
    assert all(counts[status] > 0 for status in demo.STATUSES), counts


def test_the_same_seed_and_day_give_the_same_rows(station: Path, tmp_path: Path, spec: FormSpec) -> None:
    from tests.unit.demo.conftest import copy_database

    other = copy_database(station, tmp_path / "other.sqlite3")
    for path in (station, other):
        demo.bulk_insert_records(path, spec, count=120, seed=5, today=TODAY, templates_per_group=3)
    query = "SELECT id, status, incident_date, victim_age, victim_key, columns_json FROM records ORDER BY seq"
    assert rows(station, query) == rows(other, query)
    opened = []
    for path in (station, other):  # the sealed answers too, opened by their officer
        with Store.open(path) as store:
            session = store.login(OFFICER.username, OFFICER.password)
            opened.append(
                [store.open_record(session, r.id).answers for r in store.list_records(session, limit=20)]
            )
    assert opened[0] == opened[1]


def test_bulk_rows_match_what_the_store_writes_on_a_save(bulk_db: Path, spec: FormSpec) -> None:
    """Re-saving an answer makes the store derive the columns and the search row again from the
    answers: for a bulk record they must come out unchanged."""
    derived = ", ".join(
        (*TABLE_COLUMNS, "victim_key", "completeness", "flags")
    )  # every column a save derives
    with Store.open(bulk_db) as store:
        session = store.login(OFFICER.username, OFFICER.password)
        drafts = store.list_records(session, status="draft", limit=5)
        assert drafts
        for row in drafts:
            before = rows(bulk_db, f"SELECT {derived}, columns_json FROM records WHERE id = '{row.id}'")
            fts_before = rows(
                bulk_db,
                "SELECT token FROM search_tokens WHERE seq = "
                f"(SELECT seq FROM records WHERE id = '{row.id}') ORDER BY token",
            )
            record = store.open_record(session, row.id)
            key = next(iter(record.answers))
            store.save_answer(session, row.id, key, record.answers[key], record.version)
            after = rows(bulk_db, f"SELECT {derived}, columns_json FROM records WHERE id = '{row.id}'")
            fts_after = rows(
                bulk_db,
                "SELECT token FROM search_tokens WHERE seq = "
                f"(SELECT seq FROM records WHERE id = '{row.id}') ORDER BY token",
            )
            assert (before[0][:-1], json.loads(str(before[0][-1]))) == (
                after[0][:-1],
                json.loads(str(after[0][-1])),
            )
            assert fts_before == fts_after


def _derived(path: Path, record_id: str) -> tuple[object, ...]:
    """What a write derives from a record's answers, as stored (the plain columns and documents)."""
    found = rows(
        path,
        f"SELECT {', '.join(TABLE_COLUMNS)}, completeness, flags, columns_json, victim_age "
        f"FROM records WHERE id = '{record_id}'",
    )[0]
    return (*found[:-2], json.loads(str(found[-2])), found[-1])


def _tokens(path: Path, record_id: str) -> set[bytes]:
    return {
        bytes(t[0])
        for t in rows(
            path,
            f"SELECT token FROM search_tokens WHERE seq = (SELECT seq FROM records WHERE id = '{record_id}')",
        )
    }


_PDF = b"%PDF-1.7\n% a stand-in: what is compared here does not read the signed PDF\n"


def _victim_key(path: Path, record_id: str) -> object:
    return rows(path, f"SELECT victim_key FROM records WHERE id = '{record_id}'")[0][0]


def test_a_bulk_record_is_the_record_a_save_through_the_store_makes(bulk_db: Path, spec: FormSpec) -> None:
    """Bulk records of every state, their answers saved afresh through the store's own path (a new
    record of the same officer, submitted, its review answers saved by a supervisor and approved as
    the bulk record was): the same derived columns, completeness, flags and victim age, the same sealed
    columns opened with the officer's keys, the same search tokens under the officer's index key (an
    approved record's URN is indexed too) and the same Part A victim key."""
    from dataclasses import asdict

    reviewer_keys = {
        key
        for section, _page, q in spec.iter_questions()
        if section.audience.value == "reviewer"
        for key in (q.id, f"{q.id}__comment")
    }
    shown = ("victim_name", "suspect_name", "incident_date", "cad_ref", "cris_ref", "grade", "flags")
    with Store.open(bulk_db) as store:
        officer = store.login(OFFICER.username, OFFICER.password)
        supervisor = store.login(SUPERVISOR.username, SUPERVISOR.password)
        for status in demo.STATUSES:
            for row in store.list_records(officer, status=status, limit=2):
                answers = store.open_record(officer, row.id).answers
                fresh = store.create_record(officer, spec)
                version = store.save_answers(
                    officer,
                    fresh.id,
                    {k: v for k, v in answers.items() if k not in reviewer_keys},
                    fresh.version,
                )
                if status != "draft":
                    version = store.submit(officer, fresh.id, version, _PDF).version
                review = {k: v for k, v in answers.items() if k in reviewer_keys}
                if review:
                    version = store.save_answers(supervisor, fresh.id, review, version)
                assert store.open_record(officer, fresh.id).answers == answers
                assert _derived(bulk_db, row.id) == _derived(bulk_db, fresh.id), (status, row.id)
                (saved,) = [r for r in store.list_records(officer, limit=1) if r.id == fresh.id]
                assert {k: asdict(row)[k] for k in shown} == {k: asdict(saved)[k] for k in shown}
                assert dict(row.columns) == dict(saved.columns)
                bulk_tokens, saved_tokens = _tokens(bulk_db, row.id), _tokens(bulk_db, fresh.id)
                if status == "approved":  # the URN is indexed too, at approval; so is the victim key
                    assert saved_tokens < bulk_tokens
                    assert row.id in {r.id for r in store.list_records(officer, search=row.urn, limit=5)}
                    store.approve(supervisor, fresh.id, version, lambda _urn: _PDF)
                    assert _victim_key(bulk_db, row.id) == _victim_key(bulk_db, fresh.id) is not None
                else:
                    assert saved_tokens == bulk_tokens


def test_submitted_and_approved_bulk_records_are_complete(bulk_db: Path, spec: FormSpec) -> None:
    with Store.open(bulk_db) as store:
        reviewer = store.login(SUPERVISOR.username, SUPERVISOR.password)
        for status, audiences in (
            ("submitted", ("author",)),
            ("approved", ("author", "reviewer")),
            ("returned", ("author",)),
        ):
            for row in store.list_records(reviewer, status=status, limit=15):
                record = store.open_record(reviewer, row.id, justification="test")
                assert not evaluate(spec, record.answers, audiences=audiences).errors, (status, row.id)
                assert row.victim_name and row.incident_date and row.cad_ref
                if status == "approved":
                    assert row.urn
                if status == "returned":
                    assert record.comment_history  # the supervisor said what to change


def test_names_in_other_scripts_are_found_by_search(bulk_db: Path) -> None:
    with Store.open(bulk_db) as store:
        session = store.login(OFFICER.username, OFFICER.password)
        names = [str(r.victim_name) for r in store.list_records(session, limit=1000)]  # opened (sealed)
        non_latin = next(n for n in names if any(ord(c) > 0x370 and c.isalpha() for c in n))
        found = store.list_records(session, search=non_latin.split()[-1], limit=50)
        assert any(r.victim_name == non_latin for r in found)


def test_urns_continue_the_station_counter(bulk_db: Path, spec: FormSpec) -> None:
    urns = [str(r[0]) for r in rows(bulk_db, "SELECT urn FROM records WHERE urn IS NOT NULL")]
    assert len(urns) == len(set(urns))
    counters = {
        int(str(year)): int(str(last)) for year, last in rows(bulk_db, "SELECT year, last FROM urn_counters")
    }
    assert sum(counters.values()) == len(urns)


def test_records_can_be_given_to_one_officer(station: Path, spec: FormSpec) -> None:
    demo.bulk_insert_records(
        station, spec, count=60, seed=2, today=TODAY, templates_per_group=2, owners=(OFFICER.username,)
    )
    owners = rows(station, "SELECT DISTINCT u.username FROM records r JOIN users u ON u.id = r.owner_id")
    assert owners == [(OFFICER.username,)]


def test_an_unknown_owner_is_refused_with_a_clear_message(station: Path, spec: FormSpec) -> None:
    with pytest.raises(demo.DemoSetupError, match="nobody"):
        demo.bulk_insert_records(station, spec, count=5, seed=2, today=TODAY, owners=("nobody",))


def test_a_database_without_officers_is_refused(tmp_path: Path, spec: FormSpec) -> None:
    path = tmp_path / "empty.sqlite3"
    Store.open(path, create=True).close()
    with pytest.raises(demo.DemoSetupError, match="officer"):
        demo.bulk_insert_records(path, spec, count=5, seed=2, today=TODAY)


def test_bulk_urns_are_the_ones_the_app_would_give(bulk_db: Path) -> None:
    """The station's reference format and code (settings.format_urn), numbered per year in approval
    order; an approval in the app afterwards carries on from the last one."""
    from dsvdesk.store.settings import format_urn

    with Store.open(bulk_db) as store:
        settings = store.get_settings()
    approved = rows(
        bulk_db, "SELECT approved_at, urn FROM records WHERE urn IS NOT NULL ORDER BY approved_at"
    )
    per_year: dict[int, int] = {}
    for approved_at, urn in approved:
        year = int(str(approved_at)[:4])
        per_year[year] = per_year.get(year, 0) + 1
        assert urn == format_urn(settings, year, per_year[year])
    assert rows(bulk_db, "SELECT year, last FROM urn_counters ORDER BY year") == sorted(per_year.items())


def test_bulk_documents_are_written_as_a_save_writes_them(bulk_db: Path) -> None:
    from dsvdesk.store.records import ANSWERS_JSON, COLUMNS_JSON

    for answers_json, columns_json in rows(
        bulk_db, "SELECT answers_json, columns_json FROM records ORDER BY seq LIMIT 60"
    ):
        assert ANSWERS_JSON.encode(json.loads(str(answers_json))) == answers_json
        assert COLUMNS_JSON.encode(json.loads(str(columns_json))) == columns_json


def test_a_write_by_another_program_during_the_load_leaves_the_database_untouched(
    station: Path, spec: FormSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsvdesk.store import bulk

    before = rows(station, "SELECT count(*) FROM records")
    write = bulk._write

    def someone_signs_in_first(*args: object, **kwargs: object) -> int:
        with Store.open(station) as other:  # another program adds an audit event meanwhile
            other.login(OFFICER.username, OFFICER.password)
        return write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "_write", someone_signs_in_first)
    with pytest.raises(bulk.BulkLoadRefused, match="Another program wrote"):
        demo.bulk_insert_records(station, spec, count=20, seed=3, today=TODAY, templates_per_group=1)
    assert rows(station, "SELECT count(*) FROM records") == before
    with Store.open(station) as store:
        assert store.verify_audit().ok
