"""Issue 18: the Board figures the 124D now feeds — police officer or staff involved, counter-allegations,
multiple victims, multiple perpetrators (B2.3), honour-based violence and forced marriage apart (B5.4) —
computed in Part A with their definitions, from plain rows and from real 124D records through the store,
and shown in the Part A PDF of the board pack; figures entered by hand stay possible, marked apart."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import Audience, FormSpec
from dsvdesk.export.report_pdf import ReportHeader, render_part_a_pdf
from dsvdesk.reporting import queries
from dsvdesk.reporting.pack import part_a_from_store
from dsvdesk.reporting.parta import (
    CASE_DEFINITIONS,
    COLUMNS,
    EnteredFigure,
    Period,
    compute_part_a,
    part_a_csv,
)
from dsvdesk.reporting.queries import ReportingRow
from dsvdesk.store import Store
from tests.unit.board.fixtures import FORM_124D, VOCABULARY
from tests.unit.board.test_report_pdf import pdf_text

ROOT = Path(__file__).resolve().parents[3]
PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
PASSWORD = "correct horse battery"
CASE_KEYS = (
    "hbv_flagged",
    "forced_marriage",
    "cases.police_involved",
    "cases.counter_allegation",
    "cases.multiple_victims",
    "cases.multiple_perpetrators",
)


def row(i: int, **values: Any) -> ReportingRow:
    base = {
        "victim_name": f"Victim {i}",
        "victim_dob": "1980-01-01",
        "incident_date": "2026-03-01",
        "grade": "medium",
    }
    return ReportingRow(f"r{i}", "approved", {**base, **values})


ROWS = [
    row(1, police_involved="yes", counter_allegation="no", multiple_victims="no", multiple_perpetrators="no"),
    row(
        2, police_involved="yes", counter_allegation="yes", multiple_victims="yes", multiple_perpetrators="no"
    ),
    row(3, hbv_flag="yes", forced_marriage_flag="yes", multiple_perpetrators="yes"),
    row(4, hbv_flag="yes", forced_marriage_flag="no"),
    row(5, forced_marriage_flag="yes"),
    row(6, police_involved="no"),  # a record of an older 124D: nothing recorded counts as not
    ReportingRow(
        "r7", "submitted", {"incident_date": "2026-03-02", "police_involved": "yes"}
    ),  # not approved
]


def test_case_figures_are_counted_from_rows() -> None:
    part_a = compute_part_a(ROWS, PERIOD, vocabulary=VOCABULARY)
    assert (part_a.police_involved, part_a.counter_allegations) == (2, 1)
    assert (part_a.multiple_victims, part_a.multiple_perpetrators) == (1, 1)
    assert (part_a.hbv_flagged, part_a.forced_marriage) == (2, 2), "counted apart: r3 counts in both"
    figures = part_a.figure_map()
    assert [figures[k] for k in CASE_KEYS] == ["2", "2", "2", "1", "1", "1"]


def test_each_case_figure_carries_its_definition() -> None:
    by_key = {f.key: f for f in compute_part_a(ROWS, PERIOD, vocabulary=VOCABULARY).figures()}
    for key in CASE_KEYS:
        assert by_key[key].definition == CASE_DEFINITIONS[key]
        assert by_key[key].computed
    as_json = {f["key"]: f for f in compute_part_a(ROWS, PERIOD, vocabulary=VOCABULARY).to_json()["figures"]}
    assert as_json["cases.police_involved"]["definition"].startswith(
        "Approved records in the period where the victim"
    )
    assert "definition" not in as_json["records"]


def test_entered_figures_stay_possible_and_apart() -> None:
    entered = [EnteredFigure("Police officers involved (DPS count)", "4", "DPS case list")]
    part_a = compute_part_a(ROWS, PERIOD, entered, vocabulary=VOCABULARY)
    kinds = {f["key"]: f["kind"] for f in part_a.to_json()["figures"]}
    assert kinds["cases.police_involved"] == "computed"
    assert kinds["entered.police_officers_involved_dps_count"] == "entered"
    csv_text = part_a_csv(part_a)
    assert (
        "Cases (B2.3),cases.police_involved,Police officer or staff involved (suspect or victim),2,computed"
        in csv_text
    )
    assert ",4,entered,DPS case list" in csv_text


def test_new_criterion_is_a_part_a_criterion() -> None:
    referred = row(
        8, marac_referral_date="2026-03-03", marac_criteria=["hbv_forced_marriage", "potential_escalation"]
    )
    part_a = compute_part_a([referred], PERIOD, vocabulary=VOCABULARY)
    assert part_a.marac_by_criterion["hbv_forced_marriage"] == 1
    assert part_a.figure_map()["marac.hbv_forced_marriage"] == "1"


def test_the_part_a_pdf_shows_the_figures_and_their_definitions(tmp_path: Path) -> None:
    part_a = compute_part_a(ROWS, PERIOD, vocabulary=VOCABULARY)
    header = ReportHeader("0b4c7d6e-1111-4222-8333-444455556666", 1, borough="Islington", period=PERIOD)
    text = pdf_text(render_part_a_pdf(part_a, header, document_date=datetime(2026, 7, 1, 9, 0)), tmp_path)
    for needle in (
        "Cases (B2.3)",
        "Police officer or staff involved (suspect or victim)",
        "Counter allegations",  # pdf_text drops hyphens
        "Multiple perpetrators",
        "Records with a forced marriage concern",
        "Approved records in the period with more than one suspect",
    ):
        assert needle in text, needle


# ------------------------------------------------------------------ real 124D records through the store


def _example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "tests" / "data" / "examples" / "124d.json").read_text(encoding="utf-8")
    )
    return data


def _split(spec: FormSpec, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    reviewer = {
        q.id for s in spec.sections if s.audience is Audience.REVIEWER for p in s.pages for q in p.questions
    }
    officer = {k: v for k, v in answers.items() if k.split("__", 1)[0] not in reviewer}
    return officer, {k: v for k, v in answers.items() if k not in officer}


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = load_form(ROOT / "forms" / "124d.yaml")
    path = tmp_path_factory.mktemp("cases") / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Islington", "admin", "Ada Admin", PASSWORD)
        admin = store.login("admin", PASSWORD)
        store.add_user(admin, "off1", "officer", "Olive Officer", "1001", PASSWORD, PASSWORD)
        store.add_user(admin, "sup1", "supervisor", "Sam Sergeant", "2001", PASSWORD, PASSWORD)
        officer, supervisor = store.login("off1", PASSWORD), store.login("sup1", PASSWORD)
        variants: list[dict[str, Any]] = [
            {"victim_police_employee": "yes"},
            {
                "counter_allegation": "yes",
                "other_suspects": [{"first_name": "Ben", "surname": "Lee", "arrested": "yes"}],
            },
            {
                "other_victims": [
                    {"first_name": "Ann", "surname": "Lee", "injuries": "no", "police_employee": "yes"}
                ]
            },
            {
                "forced_marriage_flag": "yes",
                **{f"hbv_q{n}": "no" for n in range(1, 11)},
                "marac_referral_made": "yes",
                "marac_referral_date": "2026-03-15",
                "marac_decision": "referred",
            },
        ]
        for i, change in enumerate(variants):
            answers = copy.deepcopy(_example())
            answers.update(change, victim_first_name=f"Victim{i}")
            officer_answers, reviewer_answers = _split(spec, answers)
            ref = store.create_record(officer, spec, officer_answers)
            ref = store.submit(officer, ref.id, ref.version, b"%PDF-1.7\n% officer\n%%EOF\n")
            version = store.save_answers(supervisor, ref.id, reviewer_answers, ref.version)
            store.approve(supervisor, ref.id, version, lambda urn: b"%PDF-1.7\n% approved\n%%EOF\n")
    return path


def test_part_a_from_real_124d_records(station: Path) -> None:
    with Store.open(station) as store:
        session = store.login("sup1", PASSWORD)
        fast = part_a_from_store(store, session, PERIOD, spec=FORM_124D)
        rows = queries.fetch_period_rows(
            store,
            session,
            form_id="124d",
            start=PERIOD.lookback_start,
            end=PERIOD.end,
            columns=COLUMNS,
            purpose="test",
            key_columns=("victim_name", "victim_dob", "incident_date"),
            detail_from=PERIOD.start,
        )
    assert fast.records == 4
    assert (
        fast.police_involved,
        fast.counter_allegations,
        fast.multiple_victims,
        fast.multiple_perpetrators,
    ) == (
        2,
        1,
        1,
        1,
    )
    assert (fast.hbv_flagged, fast.forced_marriage) == (0, 1)
    assert fast.marac_by_criterion["hbv_forced_marriage"] == 1
    assert fast.to_json() == compute_part_a(rows, PERIOD, vocabulary=VOCABULARY).to_json(), (
        "the grouped read agrees with the rows"
    )
