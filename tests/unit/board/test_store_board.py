"""Part A and the board pack through a real store: the period query, the audit events (consultation,
combination, disclosure), the supervisor-only rule, the `partA` and `pack` commands, and both sample
reports fed in as answers to the shipped report form, exported and read back from the pack."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.engine.vocabulary import vocabulary_of
from dsvdesk.errors import ExitCode, PermissionDenied
from dsvdesk.export.board_pack import (
    PART_A_PDF,
    PART_B,
    PackError,
    verify_pack,
)
from dsvdesk.reporting import queries
from dsvdesk.reporting.pack import (
    COMBINATION_REASON,
    PACK_JUSTIFICATION,
    export_board_pack,
    part_a_from_store,
    part_a_source_form,
)
from dsvdesk.reporting.parta import COLUMNS, KEY_COLUMNS, Period, compute_part_a
from dsvdesk.reporting.queries import ReportingRow
from dsvdesk.store import Session, Store
from dsvdesk.store.audit import links_digest
from tests.helpers.encrypted import copy_station, raw_connect
from tests.unit.board.seeds import HILLINGDON, ISLINGTON, SEEDS_DIR, parse_seed

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"
SOURCE_FORM = """\
id: inv
version: "1"
title: Investigation (Part A test form)
options: {part_a_source: true}
constants: {marac_yes_threshold: 14, local_band_medium_from: 10, age_band_floors: [16, 36, 61]}
columns:
  victim_name: victim_name
  victim_dob: victim_dob
  incident_date: incident_date
  grade: grade
  yes_count: yes_count
  children_count: children_count
  merlin_missing: merlin_missing
  marac_referral_date: marac_referral_date
  marac_criteria: marac_criteria
  hbv_flag: hbv_flag
  arrested: arrested
  victim_sex: victim_sex
  victim_ethnic_group: victim_ethnic_group
  victim_disability: victim_disability
  previous_incidents_12m: previous_incidents_12m
  officer_grade: grade
sections:
  - id: main
    title: Main
    pages:
      - id: p
        title: All
        questions:
          - {id: victim_name, type: text, label: Victim}
          - {id: victim_dob, type: date, label: DOB}
          - {id: incident_date, type: date, label: Incident date}
          - {id: grade, type: choice, label: Grade, choices: [standard, medium, high], tags: [{review: grade}]}
          - {id: yes_count, type: integer, label: Yes answers}
          - {id: children_count, type: integer, label: Children}
          - {id: merlin_missing, type: integer, label: Merlin missing}
          - {id: marac_referral_date, type: date, label: MARAC referral}
          - {id: marac_criteria, type: multichoice, label: Criteria, choices: [visible_high_risk, professional_judgement, potential_escalation, repeat], tags: [{vocabulary: marac_criteria}]}
          - {id: hbv_flag, type: yesno, label: HBV}
          - {id: arrested, type: yesno, label: Arrested}
          - {id: victim_sex, type: choice, label: Sex, choices: [female, male, not_stated]}
          - {id: victim_ethnic_group, type: choice, label: Ethnic group, choices: [white, bme]}
          - {id: victim_disability, type: yesno, label: Disability}
          - {id: previous_incidents_12m, type: integer, label: Previous incidents}
"""

INV = load_form_text(SOURCE_FORM, "inv.yaml")

# (victim, dob, incident date, grade, yes, approved?)
RECORDS = [
    ("Zoë Smith", "1990-05-05", "2010-01-10", "high", 15, True),  # before the period: makes the next a repeat
    ("SMITH, Zoe", "1990-05-05", "2010-04-12", "high", 16, True),
    ("Ann Lee", "1970-02-01", "2010-05-03", "medium", 8, True),
    ("Ann Lee", "1970-02-01", "2010-06-20", "standard", 2, False),  # submitted only
    ("Olga Ivanova", "1945-11-30", "2010-07-07", "medium", 11, True),
    ("Olga Ivanova", "1945-11-30", "2010-08-07", "high", 14, True),
    ("Mary Brown", "2000-01-01", "2010-10-02", "standard", 0, True),  # after the period
]
PERIOD = Period(date(2010, 4, 1), date(2010, 9, 30))


@dataclass
class Station:
    path: Path
    forms_dir: Path
    specs: dict[str, FormSpec]
    record_ids: list[str]


def _fake_pdf(label: str) -> bytes:
    return f"%PDF-1.7\n% {label}\n%%EOF\n".encode()


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Station:
    base = tmp_path_factory.mktemp("board_station")
    forms_dir = base / "forms"
    forms_dir.mkdir()
    (forms_dir / "inv.yaml").write_text(SOURCE_FORM, encoding="utf-8")
    shutil.copyfile(ROOT / "forms" / "dsvb_report.yaml", forms_dir / "dsvb_report.yaml")
    specs = {
        "inv": load_form_text(SOURCE_FORM, "inv.yaml"),
        "dsvb_report": load_form(forms_dir / "dsvb_report.yaml"),
    }
    path = base / "station.sqlite3"
    store = Store.open(path, create=True)
    store.init_station("Islington", "admin", "Ada Admin", PASSWORD)
    admin = store.login("admin", PASSWORD)
    store.add_user(admin, "off1", "officer", "Olive Officer", "1001", PASSWORD, PASSWORD)
    store.add_user(admin, "sup1", "supervisor", "Jane Smith", "2001", PASSWORD, PASSWORD)
    store.add_user(admin, "sup2", "supervisor", "Łukasz Nowak", "2002", PASSWORD, PASSWORD)
    officer, reviewer = store.login("off1", PASSWORD), store.login("sup2", PASSWORD)
    ids = []
    for i, (name, dob, day, grade, yes, approved) in enumerate(RECORDS):
        answers: dict[str, Any] = {
            "victim_name": name,
            "victim_dob": dob,
            "incident_date": day,
            "grade": grade,
            "yes_count": yes,
            "children_count": i % 3,
            "merlin_missing": 1 if i == 2 else 0,
            "hbv_flag": "yes" if i == 4 else "no",
            "arrested": "yes" if i % 2 else "no",
            "victim_sex": "female" if i != 4 else "male",
            "victim_ethnic_group": "bme" if i % 2 else "white",
            "victim_disability": "no",
            "previous_incidents_12m": 1,
        }
        if yes >= 14:
            answers |= {"marac_referral_date": day, "marac_criteria": ["visible_high_risk"]}
        ref = store.create_record(officer, specs["inv"], answers)
        ref = store.submit(officer, ref.id, ref.version, _fake_pdf("officer"))
        if approved:
            store.approve(reviewer, ref.id, ref.version, lambda urn: _fake_pdf(f"approved {urn}"))
        ids.append(ref.id)
    store.close()
    return Station(path, forms_dir, specs, ids)


@pytest.fixture
def store(station: Station) -> Iterator[Store]:
    with Store.open(station.path) as opened:
        yield opened


def _session(store: Store, username: str) -> Session:
    return store.login(username, PASSWORD)


def _links(station: Station) -> list[tuple[Any, ...]]:
    """The stored record links (migration 0019): (event id, record_a, record_b), in event order."""
    with raw_connect(station.path) as conn:
        return conn.execute(
            "SELECT event_id, record_a, record_b FROM combination_links ORDER BY event_id, record_a, record_b"
        ).fetchall()


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of an open station (its WAL included), with its key file and key."""
    target.unlink(missing_ok=True)
    copy_station(source, target)
    with raw_connect(source) as src:
        dst = raw_connect(target)
        src.backup(dst)
        dst.close()


def _audit(station: Station, event: str) -> list[tuple[Any, ...]]:
    with raw_connect(station.path) as conn:
        return conn.execute(
            "SELECT record_id, justification, detail FROM audit_events WHERE event = ? ORDER BY id", (event,)
        ).fetchall()


def test_the_source_form_comes_from_its_option(station: Station) -> None:
    assert part_a_source_form(station.specs) == "inv"
    with pytest.raises(PackError, match="part_a_source"):
        part_a_source_form({"dsvb_report": station.specs["dsvb_report"]})


def test_period_query_returns_only_the_columns_and_records_asked_for(station: Station, store: Store) -> None:
    rows = queries.fetch_period_rows(
        store,
        _session(store, "sup1"),
        form_id="inv",
        start=PERIOD.lookback_start,
        end=PERIOD.end,
        columns=COLUMNS,
        purpose="test",
    )
    assert {r.record_id for r in rows} == set(station.record_ids[:6])  # not the one after the period
    assert all(set(r.values) == set(COLUMNS) for r in rows)
    statuses = {r.record_id: r.status for r in rows}
    assert statuses[station.record_ids[3]] == "submitted"
    consultations = _audit(station, "consultation")
    assert consultations[-1][1] == "test"
    assert json.loads(consultations[-1][2])["records"] == 6
    assert "Smith" not in consultations[-1][2]  # no personal data in the log


def test_lookback_rows_carry_only_the_victim_columns(station: Station, store: Store) -> None:
    rows = queries.fetch_period_rows(
        store,
        _session(store, "sup1"),
        form_id="inv",
        start=PERIOD.lookback_start,
        end=PERIOD.end,
        columns=COLUMNS,
        purpose="test",
        key_columns=KEY_COLUMNS,
        detail_from=PERIOD.start,
    )
    by_id = {r.record_id: r.values for r in rows}
    lookback = by_id[station.record_ids[0]]  # approved, January 2010
    # the victim is a keyed digest (issue 15: the name and date of birth are sealed), the same for the
    # same victim spelt another way
    assert len(lookback["victim_key"]) == 64 and lookback["grade"] is None
    assert lookback["victim_key"] == by_id[station.record_ids[1]]["victim_key"]
    assert "Smith" not in lookback["victim_key"] and "victim_name" not in lookback
    submitted = by_id[station.record_ids[3]]  # in the period, not approved: no personal data read at all
    assert submitted["victim_key"] is None and submitted["incident_date"] == "2010-06-20"
    assert by_id[station.record_ids[1]]["grade"] == "high"


def test_the_query_is_one_scan_of_the_covering_index(store: Store) -> None:
    # The answers documents share the records rows: a year's scan must not read them (migration 0005).
    from dsvdesk.reporting.parta import DOB_COLUMN, PRESENCE_COLUMN, SHARED_COLUMNS

    part_a = "COVERING INDEX records_part_a (form_id=? AND incident_date>? AND incident_date<?)"
    with store.read() as conn:
        for sql, params, index in (
            (queries.period_rows_query(COLUMNS, KEY_COLUMNS), 4, part_a),
            (
                queries.period_groups_query(
                    SHARED_COLUMNS, PRESENCE_COLUMN, DOB_COLUMN, (61, 36, 16), only_ids=False
                ),
                4,
                part_a,
            ),
            (
                queries.period_groups_query(
                    SHARED_COLUMNS, PRESENCE_COLUMN, DOB_COLUMN, (61, 36, 16), only_ids=True
                ),
                5,  # the repeat records: one seek each, by id and incident date
                "COVERING INDEX records_part_a (form_id=? AND incident_date=? AND status=? AND id=?)",
            ),
            (
                queries.period_keys_query(),
                3,
                "COVERING INDEX records_victim_key (form_id=? AND status=? AND victim_key=?",
            ),
        ):
            plan = " ".join(
                str(row)
                for row in conn.execute("EXPLAIN QUERY PLAN " + sql, ("a", "b", "c", "d", "[]")[:params])
            )
            assert index in plan, plan
            assert "SCAN records" not in plan, plan


def test_other_columns_and_key_columns_alone(station: Station, store: Store) -> None:
    session = _session(store, "sup1")
    kwargs: dict[str, Any] = {
        "form_id": "inv",
        "start": PERIOD.lookback_start,
        "end": PERIOD.end,
        "purpose": "test",
        "key_columns": KEY_COLUMNS,
        "detail_from": PERIOD.start,
    }
    rows = queries.fetch_period_rows(store, session, columns=COLUMNS, **kwargs)
    assert any("visible_high_risk" in str(r.values["marac_criteria"]) for r in rows)
    other = queries.fetch_period_rows(store, session, columns=("incident_date", "hbv_flag"), **kwargs)
    assert len(other) == len(rows) and all(set(r.values) == {"incident_date", "hbv_flag"} for r in other)
    keys = queries.fetch_period_rows(store, session, columns=("victim_key", "incident_date"), **kwargs)
    approved = [r.values["victim_key"] for r in keys if r.status == "approved"]
    assert all(approved) and len(set(approved)) < len(approved)  # Zoë Smith and Olga Ivanova recur
    with pytest.raises(ValueError, match="not a store column name"):
        queries.period_rows_query(["answers_json') --"])


def test_part_a_from_the_store_logs_each_repeat_as_a_combination(station: Station, store: Store) -> None:
    before = len(_audit(station, "combination"))
    part_a = part_a_from_store(store, _session(store, "sup1"), PERIOD, spec=INV)
    assert (part_a.started, part_a.records) == (5, 4)
    assert dict(part_a.grades) == {"standard": 0, "medium": 2, "high": 2, "not recorded": 0}
    assert part_a.marac_referrals == 2
    assert [(m.record_id, m.earlier_record_ids) for m in part_a.repeat_matches] == [
        (station.record_ids[1], (station.record_ids[0],)),
        (station.record_ids[5], (station.record_ids[4],)),
    ]
    combos = _audit(station, "combination")
    assert len(combos) - before in (0, 1)  # 0 when an earlier test's Part A run already linked them
    assert len(combos) == 1  # ONE event for the run's links, logged once however often Part A runs
    record_id, justification, detail = combos[0]
    assert record_id is None and justification == COMBINATION_REASON
    pairs = {(station.record_ids[1], station.record_ids[0]), (station.record_ids[5], station.record_ids[4])}
    assert json.loads(detail) == {"links": 2, "links_sha256": links_digest(pairs)}
    event_id = _links(station)[0][0]
    assert {(a, b) for e, a, b in _links(station) if e == event_id} == pairs
    assert store.verify_audit().ok


def test_the_fast_path_gives_the_figures_of_the_reference_path(station: Station, store: Store) -> None:
    # part_a_from_store reads grouped counts (fetch_period_counts); the reference one mapping per record.
    session = _session(store, "sup1")
    fast = part_a_from_store(store, session, PERIOD, spec=INV)
    rows = queries.fetch_period_rows(
        store,
        session,
        form_id="inv",
        start=PERIOD.lookback_start,
        end=PERIOD.end,
        columns=COLUMNS,
        purpose="test",
        key_columns=KEY_COLUMNS,
        detail_from=PERIOD.start,
    )
    reference = compute_part_a(rows, PERIOD, vocabulary=vocabulary_of(INV))
    assert fast.to_json() == reference.to_json()
    assert fast.repeat_matches == reference.repeat_matches


def test_a_write_between_the_two_grouped_reads_is_noticed(
    station: Station, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The grouping runs on a second connection; if its snapshot is not this one's (another audit head:
    # a write came between), the groups are read again in this connection's own transaction.
    session = _session(store, "sup1")
    expected = part_a_from_store(store, session, PERIOD, spec=INV).to_json()
    calls: list[str] = []

    def stale(path: Path, sql: str, params: tuple[str, ...]) -> tuple[Any, int, list[tuple[Any, ...]]]:
        calls.append(sql)
        return (0, "a head from before a write"), 999, [('["high","no"]', 1, "2010-04", None, 16, 99)]

    monkeypatch.setattr(queries, "_grouped_read", stale)
    assert part_a_from_store(store, session, PERIOD, spec=INV).to_json() == expected
    assert calls  # the other connection was asked, and its stale count and groups were not used


def test_period_counts_groups_approved_records_and_counts_the_rest(station: Station, store: Store) -> None:
    picked: list[list[tuple[Any, ...]]] = []

    def match(keys: list[tuple[Any, ...]]) -> list[str]:
        picked.append(keys)
        return [station.record_ids[1]]

    read = queries.fetch_period_counts(
        store,
        _session(store, "sup1"),
        form_id="inv",
        start=PERIOD.lookback_start,
        end=PERIOD.end,
        purpose="test",
        shared_columns=("grade", "hbv_flag"),
        presence_column="marac_referral_date",
        dob_column="victim_age",
        age_floors=(61, 36, 16),
        match=match,
        detail_from=PERIOD.start,
    )
    assert read.started == 5  # in the period, any status; the lookback record is not counted
    # approved in the period: ids 1, 2, 4, 5, grouped (grade, hbv), referral made, month, age band
    assert sorted(read.groups, key=str) == sorted(
        [
            ('["high","no"]', 1, "2010-04", None, 16, 1),  # Zoë Smith, 19
            ('["medium","no"]', None, "2010-05", None, 36, 1),  # Ann Lee, 40
            ('["medium","yes"]', None, "2010-07", None, 61, 1),  # Olga Ivanova, 64
            ('["high","no"]', 1, "2010-08", None, 61, 1),
        ],
        key=str,
    )
    # only records whose victim recurs come one by one: Zoë Smith twice (two spellings), Olga twice
    assert sorted(r[0] for r in picked[0]) == sorted(station.record_ids[i] for i in (0, 1, 4, 5))
    victims = {
        r[2] for r in picked[0]
    }  # keyed digests of "smith zoe|1990-05-05" and "ivanova olga|1945-11-30"
    assert len(victims) == 2 and all(len(v) == 64 and "smith" not in v for v in victims)
    assert read.matched_groups == [('["high","no"]', 1, "2010-04", None, 16, 1)]
    consultation = _audit(station, "consultation")[-1]
    assert consultation[1] == "test" and json.loads(consultation[2])["records"] == 4
    assert "Smith" not in consultation[2] and "smith" not in consultation[2]  # no personal data in the log


def test_period_counts_widens_the_page_cache_for_the_read_only(station: Station, store: Store) -> None:
    # The victim-key read passes twice over the same pages: the cache holds them during the read (each
    # page is decrypted once) and is as it was afterwards. A record picked twice is counted once.
    with store.read() as conn:
        before = conn.execute("PRAGMA cache_size").fetchone()[0]
    during: list[int] = []

    def match(keys: list[tuple[Any, ...]]) -> list[str]:
        with store.read() as conn:
            during.append(int(conn.execute("PRAGMA cache_size").fetchone()[0]))
        return [station.record_ids[1], station.record_ids[1]]

    read = queries.fetch_period_counts(
        store,
        _session(store, "sup1"),
        form_id="inv",
        start=PERIOD.lookback_start,
        end=PERIOD.end,
        purpose="test",
        shared_columns=("grade", "hbv_flag"),
        presence_column="marac_referral_date",
        dob_column="victim_age",
        age_floors=(61, 36, 16),
        match=match,
        detail_from=PERIOD.start,
    )
    assert during == [-32 * 1024]
    with store.read() as conn:
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == before
    assert read.matched_groups == [('["high","no"]', 1, "2010-04", None, 16, 1)]


def test_re_running_part_a_links_no_pair_again(station: Station, store: Store) -> None:
    session = _session(store, "sup1")
    part_a_from_store(store, session, PERIOD, spec=INV)
    logged = len(_audit(station, "combination"))
    again = part_a_from_store(store, session, PERIOD, spec=INV)
    assert len(again.repeat_matches) == 2  # the figures still count every match
    assert len(_audit(station, "combination")) == logged
    assert store.verify_audit().ok


def test_only_new_pairs_of_a_link_are_logged(station: Station, store: Store) -> None:
    session = _session(store, "sup1")
    ids = station.record_ids
    reason = "test link"
    assert queries.record_combinations(store, session, [[ids[2], ids[6]]], reason, only_new=True) == 1
    # (2, 6) is logged; (2, 4) is new: one event, whose one link is (2, 4)
    before = len(_audit(station, "combination"))
    assert queries.record_combinations(store, session, [[ids[2], ids[6], ids[4]]], reason, only_new=True) == 1
    new = _audit(station, "combination")[before:]
    assert [(c[0], c[1], json.loads(c[2])["links"]) for c in new] == [(None, reason, 1)]
    assert _links(station)[-1][1:] == (ids[2], ids[4])
    assert queries.record_combinations(store, session, [[ids[2], ids[4], ids[6]]], reason, only_new=True) == 0
    assert len(_audit(station, "combination")) == before + 1  # nothing new: no event at all
    # without only_new (an explicit link by a user) the link is logged again, under a new event
    assert queries.record_combinations(store, session, [[ids[2], ids[6]]], reason) == 1
    assert store.verify_audit().ok


def test_a_pair_logged_by_a_per_record_event_is_not_linked_again(station: Station, store: Store) -> None:
    """Combination events written one per record (``Store.record_combination``; Part A before
    migration 0019) still count as logged."""
    ids = station.record_ids
    store.record_combination(_session(store, "sup1"), [ids[3], ids[6]], "Same victim, linked by hand")
    session = _session(store, "sup1")
    assert queries.record_combinations(store, session, [[ids[3], ids[6]]], "again", only_new=True) == 0
    assert queries.record_combinations(store, session, [[ids[6], ids[3]]], "again", only_new=True) == 0


def test_a_changed_link_is_found_by_audit_verify(station: Station, store: Store, tmp_path: Path) -> None:
    """The event's digest covers its links: a link added, removed or changed behind the store's back
    (the append-only triggers dropped) is reported against the event; the export lists each link."""
    session = _session(store, "sup1")
    ids = station.record_ids
    queries.record_combinations(store, session, [[ids[0], ids[2], ids[6]]], "export check")
    event_id = _links(station)[-1][0]
    out = tmp_path / "audit.csv"
    store.export_audit_csv(out, session=session)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["id"] == str(event_id)]
    assert [(r["record_id"], r["justification"]) for r in rows] == [
        ("", "export check"),
        (ids[0], "export check"),
        (ids[0], "export check"),
    ]
    assert {json.loads(r["detail"])["linked"][0] for r in rows[1:]} == {ids[2], ids[6]}
    assert store.verify_audit().ok
    tampered = tmp_path / "tampered.sqlite3"
    for change in (
        "DELETE FROM combination_links WHERE event_id = {e} AND record_b = '{b}'",
        "UPDATE combination_links SET record_b = 'someone-else' WHERE event_id = {e} AND record_b = '{b}'",
        "INSERT INTO combination_links (event_id, record_a, record_b) VALUES ({e} + 1, 'x', 'y')",
    ):
        _copy(station.path, tampered)
        with raw_connect(tampered) as conn:
            conn.execute("DROP TRIGGER combination_links_no_update")
            conn.execute("DROP TRIGGER combination_links_no_delete")
            conn.execute(change.format(e=event_id, b=ids[6]))
        with Store.open(tampered) as copy:
            result = copy.verify_audit()
        assert not result.ok
        assert result.first_bad_event_id in (event_id, event_id + 1), result
        assert "link" in result.reason, result.reason


def test_the_logged_pair_look_up_reads_only_combination_events(store: Store) -> None:
    with store.read() as conn:
        plan = " ".join(
            str(r)
            for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT record_id, detail FROM audit_events WHERE event = 'combination' "
                "AND record_id IN (SELECT value FROM json_each(?))",
                ("[]",),
            )
        )
    assert "audit_events_combination" in plan, plan


def test_officers_cannot_see_part_a(store: Store) -> None:
    officer = _session(store, "off1")
    with pytest.raises(PermissionDenied, match="Only supervisors"):
        part_a_from_store(store, officer, PERIOD, spec=INV)
    with pytest.raises(PermissionDenied):
        queries.fetch_period_rows(
            store, officer, form_id="inv", start=PERIOD.start, end=PERIOD.end, columns=COLUMNS, purpose="x"
        )


def test_an_empty_period_from_the_store(store: Store) -> None:
    part_a = part_a_from_store(
        store, _session(store, "sup1"), Period(date(2001, 1, 1), date(2001, 12, 31)), spec=INV
    )
    assert part_a.is_empty and part_a.message == "No records in this period."


def _cli(station: Station, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    from dsvdesk.cli import main

    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    monkeypatch.setenv("DSVDESK_FORMS", str(station.forms_dir))
    return main([*argv, "--db", str(station.path)])


def test_part_a_command_prints_json_and_a_table(
    station: Station, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _cli(
            station,
            monkeypatch,
            "partA",
            "--from",
            "2010-04-01",
            "--to",
            "2010-09-30",
            "--json",
            "--user",
            "sup1",
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    figures = {f["key"]: f["value"] for f in data["figures"]}
    assert figures["records"] == "4" and figures["started"] == "5" and figures["completion_rate"] == "80%"
    assert (
        _cli(station, monkeypatch, "partA", "--from", "2010-04-01", "--to", "2010-09-30", "--user", "sup1")
        == 0
    )
    out = capsys.readouterr().out
    assert "Completion rate (approved of started)" in out and "80%" in out


def test_part_a_command_refuses_officers_and_bad_dates(
    station: Station, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _cli(station, monkeypatch, "partA", "--from", "2010-04-01", "--to", "2010-09-30", "--user", "off1")
        == ExitCode.PERMISSION_DENIED
    )
    assert "Only supervisors" in capsys.readouterr().err
    assert (
        _cli(station, monkeypatch, "partA", "--from", "2010-09-30", "--to", "2010-04-01", "--user", "sup1")
        == ExitCode.USAGE
    )
    assert "before it starts" in capsys.readouterr().err
    assert (
        _cli(station, monkeypatch, "partA", "--from", "yesterday", "--to", "2010-04-01", "--user", "sup1")
        == ExitCode.USAGE
    )
    assert "YYYY-MM-DD" in capsys.readouterr().err


def _entered_item(question: Any, figure: str, value: str, source: str) -> dict[str, str]:
    ids = {f.tag_value("board"): f.id for f in question.fields}
    return {ids["figure"]: figure, ids["value"]: value, ids["source"]: source}


def seed_answers(spec: FormSpec, seed_file: str) -> dict[str, Any]:
    """A sample report as answers to the shipped report form: its questions in order, paragraph by paragraph."""
    from datetime import datetime

    seed = parse_seed(SEEDS_DIR / seed_file)
    paragraph_questions = [q for _s, _p, q in spec.iter_questions() if q.tag_value("board") == "paragraphs"]
    seed_questions = [q for s in seed.sections for q in s.questions]
    assert len(seed_questions) == len(paragraph_questions) == 18
    by_role = {q.tag_value("board"): q for _s, _p, q in spec.iter_questions() if q.tag_value("board")}
    answers: dict[str, Any] = {
        by_role["borough"].id: seed.borough,
        by_role["report_number"].id: seed.report_number,
        by_role["meeting_date"].id: datetime.strptime(seed.date_text, "%d %B %Y").date().isoformat(),
        by_role["period_from"].id: "2010-04-01",
        by_role["period_to"].id: "2010-09-30",
        by_role["authors"].id: [{"rank": "DI", "name": "Jane Smith", "unit": "CSU"}],
        by_role["numbering"].id: seed.numbering,
        by_role["entered_figures"].id: [
            _entered_item(by_role["entered_figures"], "DV sanction detections", "55.5%", "CRIS")
        ],
    }
    for question, seed_question in zip(paragraph_questions, seed_questions, strict=True):
        page = spec.page_of(question.id)
        if seed_question.paragraphs:
            text_field = next(f.id for f in question.fields if f.tag_value("board") == "text")
            heading_field = next(f.id for f in question.fields if f.tag_value("board") == "heading")
            items = []
            for p in seed_question.paragraphs:
                if "\n" in p.heading or len(p.heading) > 200:  # list lines, not a sub-heading: keep as text
                    items.append({text_field: f"{p.heading}\n{p.text}"})
                else:
                    items.append(
                        {text_field: p.text, heading_field: p.heading} if p.heading else {text_field: p.text}
                    )
            answers[question.id] = items
        else:
            nothing = next(q for q in page.questions if q.tag_value("board") == "nothing_to_report")
            reason = next(q for q in page.questions if q.tag_value("board") == "nothing_reason")
            answers[nothing.id] = "yes"
            answers[reason.id] = "Answered together with the question that follows."
    return answers


@pytest.mark.parametrize("seed_file", [ISLINGTON, HILLINGDON])
def test_sample_report_through_the_store_to_a_verified_pack(  # noqa: PLR0917 - pytest fixtures
    seed_file: str,
    station: Station,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    artifacts_dir: Path,
) -> None:
    spec = station.specs["dsvb_report"]
    with Store.open(station.path) as store:
        author = _session(store, "sup1")
        ref = store.create_record(author, spec, seed_answers(spec, seed_file))
    disclosures_before = len(_audit(station, "disclosure"))
    assert _cli(station, monkeypatch, "pack", ref.id, "--out", str(tmp_path), "--user", "sup1") == 0
    out = capsys.readouterr().out
    zip_path = next(tmp_path.glob("*.zip"))
    assert f"Wrote {zip_path}" in out
    disclosures = _audit(station, "disclosure")[disclosures_before:]
    assert len(disclosures) == 1 and disclosures[0][0] == ref.id

    with Store.open(station.path) as store:
        anchors = store.trust_anchors()
    result = verify_pack(zip_path, anchors.roots)
    assert result.ok, result.lines()
    assert not verify_pack(zip_path, None).ok  # never trusted on its own say-so
    assert _cli(station, monkeypatch, "verify", str(zip_path)) == 0  # the signing engineer's command
    folder = zip_path.with_suffix("")
    text = subprocess.run(
        ["pdftotext", str(folder / PART_B), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.replace("-", " ").split())
    seed = parse_seed(SEEDS_DIR / seed_file)
    position = 0
    for section in seed.sections:
        for question in section.questions:
            for paragraph in question.paragraphs:
                # its opening (the quotation), short enough not to straddle a page break
                needle = " ".join(paragraph.text.replace("-", " ").split())[:80]
                found = flat.find(needle, position)
                assert found > 0, needle
                position = found
    numbers = [n for n in ("2.1.1", "2.2.1", "5.6.3") if f" {n} " in flat]
    assert (numbers == ["2.1.1", "2.2.1", "5.6.3"]) == (seed.numbering == "by_question")
    shutil.copyfile(folder / PART_B, artifacts_dir / f"pack_{seed.borough.lower()}_{PART_B}")
    shutil.copyfile(folder / PART_A_PDF, artifacts_dir / f"pack_{seed.borough.lower()}_{PART_A_PDF}")


def test_pack_refuses_an_incomplete_report_and_officers(station: Station, tmp_path: Path) -> None:
    spec = station.specs["dsvb_report"]
    with Store.open(station.path) as store:
        author = _session(store, "sup1")
        ref = store.create_record(author, spec, {})
        with pytest.raises(PackError, match="not complete"):
            export_board_pack(store, author, ref.id, tmp_path, password=PASSWORD, specs=station.specs)
        with pytest.raises(PermissionDenied):
            export_board_pack(
                store, _session(store, "off1"), ref.id, tmp_path, password=PASSWORD, specs=station.specs
            )
        with pytest.raises(PackError, match="not a Board report"):
            export_board_pack(
                store, author, station.record_ids[1], tmp_path, password=PASSWORD, specs=station.specs
            )
    assert list(tmp_path.iterdir()) == []


def test_pack_records_the_justification_typed_by_the_user(station: Station, tmp_path: Path) -> None:
    spec = station.specs["dsvb_report"]
    with Store.open(station.path) as store:
        author = _session(store, "sup1")
        ref = store.create_record(author, spec, seed_answers(spec, ISLINGTON))
        first, second = tmp_path / "a", tmp_path / "b"
        first.mkdir()
        second.mkdir()
        export_board_pack(
            store,
            author,
            ref.id,
            first,
            password=PASSWORD,
            specs=station.specs,
            justification="  Board meeting\n 12 May: Part A and B  ",
        )
        export_board_pack(
            store, author, ref.id, second, password=PASSWORD, specs=station.specs, justification="  "
        )
    disclosures = [d for d in _audit(station, "disclosure") if d[0] == ref.id]
    assert [d[1] for d in disclosures] == ["Board meeting 12 May: Part A and B", PACK_JUSTIFICATION]


def test_compute_matches_store_rows_type() -> None:
    rows = [ReportingRow("a", "approved", {"incident_date": "2010-05-01"})]
    assert compute_part_a(rows, PERIOD, vocabulary=vocabulary_of(INV)).records == 1


def test_part_a_restores_the_garbage_collector_as_it_was(store: Store) -> None:
    import gc

    session = _session(store, "sup1")
    assert gc.isenabled()
    part_a_from_store(store, session, PERIOD, spec=INV)
    assert gc.isenabled()
    gc.disable()
    try:
        part_a_from_store(store, session, PERIOD, spec=INV)
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()
    with pytest.raises(PermissionDenied):
        part_a_from_store(store, _session(store, "off1"), PERIOD, spec=INV)
    assert gc.isenabled()  # and it is back on after a refusal
