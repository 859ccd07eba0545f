"""Part A figures: a 200-record fixture counted independently, a hand-counted small case, edge cases."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.reporting.parta import (
    NO_RECORDS_MESSAGE,
    EnteredFigure,
    PartAError,
    Period,
    add_months,
    compute_part_a,
    part_a_csv,
)
from dsvdesk.store.search import name_key, person_key
from tests.unit.board.fixtures import PERIOD, VOCABULARY, Row, build_rows, person_dob


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _age(dob: date, day: date) -> int:
    years = day.year - dob.year
    if (day.month, day.day) < (dob.month, dob.day):
        years -= 1
    return years


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return build_rows()


def test_record_counts_and_completion_rate(rows: list[Row]) -> None:
    in_period = [r for r in rows if PERIOD.start <= _d(r.values["incident_date"]) <= PERIOD.end]  # type: ignore[operator]
    approved = [r for r in in_period if r.status == "approved"]
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    assert part_a.started == len(in_period)
    assert part_a.records == len(approved)
    assert 0 < part_a.records < part_a.started < 200  # the fixture really mixes statuses and periods
    assert part_a.completion_rate == pytest.approx(len(approved) / len(in_period))
    assert part_a.figure_map()[
        "completion_rate"
    ] == f"{round(100 * len(approved) / len(in_period), 1):.1f}%".replace(".0%", "%")


def _approved_in_period(rows: list[Row]) -> list[Row]:
    return [
        r
        for r in rows
        if r.status == "approved"
        and PERIOD.start <= date.fromisoformat(r.values["incident_date"]) <= PERIOD.end
    ]


def test_grades_yes_bands_and_histogram(rows: list[Row]) -> None:
    approved = _approved_in_period(rows)
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    expected_grades = {"standard": 0, "medium": 0, "high": 0, "not recorded": 0}
    for r in approved:
        grade = r.values["grade"] or r.values["officer_grade"] or "not recorded"
        expected_grades[grade] += 1
    assert dict(part_a.grades) == expected_grades

    bands = {"0": 0, "1–9": 0, "10–13": 0, "14+": 0, "not recorded": 0}
    histogram: dict[int, int] = {}
    for r in approved:
        yes = r.values["yes_count"]
        if yes is None:
            bands["not recorded"] += 1
            continue
        histogram[yes] = histogram.get(yes, 0) + 1
        if yes == 0:
            bands["0"] += 1
        elif yes <= 9:
            bands["1–9"] += 1
        elif yes <= 13:
            bands["10–13"] += 1
        else:
            bands["14+"] += 1
    assert dict(part_a.yes_bands) == bands
    assert {i: n for i, n in enumerate(part_a.yes_histogram) if n} == histogram
    assert sum(part_a.yes_histogram) + bands["not recorded"] == part_a.records


def test_marac_children_hbv_arrests(rows: list[Row]) -> None:
    approved = _approved_in_period(rows)
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    referred = [r for r in approved if r.values["marac_referral_date"]]
    assert part_a.marac_referrals == len(referred)
    for criterion in ("visible_high_risk", "professional_judgement", "potential_escalation", "repeat"):
        assert part_a.marac_by_criterion[criterion] == sum(
            criterion in r.values["marac_criteria"] for r in referred
        )
    assert part_a.marac_by_criterion["potential_escalation"] == 0

    with_children = [r for r in approved if r.values["children_count"] > 0]
    assert part_a.records_with_children == len(with_children)
    assert part_a.children_total == sum(r.values["children_count"] for r in with_children)
    fully = [r for r in with_children if r.values["merlin_missing"] == 0]
    assert part_a.records_with_children_all_merlin == len(fully)
    assert part_a.merlin_share == pytest.approx(len(fully) / len(with_children))

    assert part_a.hbv_flagged == sum(r.values["hbv_flag"] == "yes" for r in approved)
    assert part_a.arrested == sum(r.values["arrested"] == "yes" for r in approved)
    assert part_a.not_arrested == sum(r.values["arrested"] == "no" for r in approved)
    assert part_a.arrest_not_recorded == sum(r.values["arrested"] is None for r in approved)
    assert part_a.previous_incidents_reported == sum(r.values["previous_incidents_12m"] > 0 for r in approved)


def test_repeat_victims_match_person_and_date_of_birth_within_12_months(rows: list[Row]) -> None:
    approved_all = [r for r in rows if r.status == "approved"]
    expected: dict[str, set[str]] = {}
    for r in _approved_in_period(rows):
        day = date.fromisoformat(r.values["incident_date"])
        earlier = {
            e.record_id
            for e in approved_all
            if e.person == r.person
            and _year_before(day) <= date.fromisoformat(e.values["incident_date"]) < day
        }
        if earlier:
            expected[r.record_id] = earlier
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    got = {m.record_id: set(m.earlier_record_ids) for m in part_a.repeat_matches}
    assert got == expected
    assert part_a.repeat_records == len(expected)
    by_id = {r.record_id: r for r in rows}
    assert part_a.repeat_victims == len({by_id[rid].person for rid in expected})
    assert part_a.repeat_victims > 2  # the fixture has real repeats, written in different ways


def test_diversity_matrix_for_victims(rows: list[Row]) -> None:
    approved = _approved_in_period(rows)
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    victims = part_a.diversity[0]
    assert victims.label == "Victims (all records)"
    assert victims.total == len(approved)
    counts = dict(victims.counts)
    assert counts["female"] == sum(r.values["victim_sex"] == "F" for r in approved)
    assert counts["male"] == sum(r.values["victim_sex"] == "M" for r in approved)
    assert counts["white"] == sum(r.values["victim_ethnic_group"] == "white" for r in approved)
    assert counts["bme"] == sum(r.values["victim_ethnic_group"] == "bme" for r in approved)
    assert counts["disability"] == sum(r.values["victim_disability"] == "yes" for r in approved)
    ages = [_age(person_dob(r.person), date.fromisoformat(r.values["incident_date"])) for r in approved]
    assert counts["age_16_35"] == sum(16 <= a <= 35 for a in ages)
    assert counts["age_36_60"] == sum(36 <= a <= 60 for a in ages)
    assert counts["age_61_plus"] == sum(a >= 61 for a in ages)
    assert counts["age_other"] == sum(a < 16 for a in ages)
    assert counts["female"] + counts["male"] + counts["sex_unknown"] == victims.total
    high = next(row for row in part_a.diversity if row.label == "High risk")
    assert high.total == part_a.high_risk


def test_month_series_cover_every_month_and_add_up(rows: list[Row]) -> None:
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    assert [(m.year, m.month) for m in part_a.months] == [(2010, m) for m in range(4, 10)]
    assert sum(m.records for m in part_a.months) == part_a.records
    assert sum(m.high_risk for m in part_a.months) == part_a.high_risk
    assert sum(m.marac_referrals for m in part_a.months) == part_a.marac_referrals
    assert sum(m.arrests for m in part_a.months) == part_a.arrested
    april = [r for r in _approved_in_period(rows) if r.values["incident_date"].startswith("2010-04")]
    assert part_a.months[0].records == len(april)


def test_small_hand_counted_case() -> None:
    """Five records counted on paper."""
    period = Period(date(2024, 1, 1), date(2024, 1, 31))
    common = {"victim_dob": "1990-05-05", "victim_sex": "female", "victim_ethnic_group": "bme"}
    rows = [
        Row(
            "a",
            "approved",
            {**common, "victim_name": "Zoë Smith", "incident_date": "2022-12-01", "grade": "high"},
        ),
        Row(
            "b",
            "approved",
            {
                **common,
                "victim_name": "SMITH, Zoe",
                "incident_date": "2024-01-10",
                "grade": "high",
                "yes_count": "15",
                "marac_referral_date": "2024-01-11",
                "marac_criteria": '["visible_high_risk"]',
                "arrested": "yes",
                "children_count": 2,
                "merlin_missing": 0,
            },
        ),
        Row(
            "c",
            "approved",
            {
                **common,
                "victim_name": "zoe smith",
                "incident_date": "2024-01-20",
                "grade": "medium",
                "yes_count": 9,
                "arrested": "no",
                "children_count": 1,
                "merlin_missing": 1,
                "hbv_flag": True,
            },
        ),
        Row("d", "submitted", {**common, "victim_name": "Other Person", "incident_date": "2024-01-15"}),
        Row(
            "e",
            "approved",
            {
                "victim_name": "Zoë Smith",
                "victim_dob": "1991-05-05",
                "incident_date": "2024-01-25",
                "officer_grade": "standard",
                "yes_count": 0,
                "victim_sex": "M",
                "victim_disability": "no",
            },
        ),
    ]
    part_a = compute_part_a(rows, period, vocabulary=VOCABULARY)
    assert (part_a.started, part_a.records) == (4, 3)
    assert part_a.figure_map()["completion_rate"] == "75%"
    assert dict(part_a.grades) == {"standard": 1, "medium": 1, "high": 1, "not recorded": 0}
    assert dict(part_a.yes_bands) == {"0": 1, "1–9": 1, "10–13": 0, "14+": 1, "not recorded": 0}
    # a (2022-12-01) is more than 12 months before b; c repeats b; e has another date of birth
    assert [(m.record_id, m.earlier_record_ids) for m in part_a.repeat_matches] == [("c", ("b",))]
    assert (part_a.repeat_victims, part_a.repeat_records) == (1, 1)
    assert (part_a.marac_referrals, part_a.marac_by_criterion["visible_high_risk"]) == (1, 1)
    assert (part_a.records_with_children, part_a.children_total, part_a.records_with_children_all_merlin) == (
        2,
        3,
        1,
    )
    assert part_a.figure_map()["children.merlin_share"] == "50%"
    assert (part_a.hbv_flagged, part_a.arrested, part_a.not_arrested, part_a.arrest_not_recorded) == (
        1,
        1,
        1,
        1,
    )
    victims = dict(part_a.diversity[0].counts)
    assert (victims["female"], victims["male"], victims["bme"], victims["ethnicity_unknown"]) == (2, 1, 2, 1)
    assert (victims["age_16_35"], victims["age_36_60"]) == (3, 0)


def test_empty_period_says_so_without_dividing_by_zero() -> None:
    part_a = compute_part_a([], PERIOD, vocabulary=VOCABULARY)
    assert part_a.is_empty
    assert part_a.message == NO_RECORDS_MESSAGE
    figures = part_a.figure_map()
    assert figures["completion_rate"] == "n/a"
    assert figures["children.merlin_share"] == "n/a"
    assert figures["arrest_rate"] == "n/a"
    assert part_a.yes_histogram == ()
    assert "No records in this period" in part_a_csv(part_a)


def test_records_only_outside_the_period_give_an_empty_part_a(rows: list[Row]) -> None:
    part_a = compute_part_a(rows, Period(date(2030, 1, 1), date(2030, 6, 30)), vocabulary=VOCABULARY)
    assert part_a.is_empty and part_a.message == NO_RECORDS_MESSAGE


def test_entered_figures_are_marked_apart_in_csv_and_keys() -> None:
    entered = [
        EnteredFigure("CAD calls (type 29)", "4368", "CAD"),
        EnteredFigure("Sanction detections", "=1+1", "CRIS"),
    ]
    part_a = compute_part_a([], PERIOD, entered, vocabulary=VOCABULARY)
    assert part_a.figure_map()["entered.cad_calls_type_29"] == "4368"
    table = list(csv.DictReader(io.StringIO(part_a_csv(part_a))))
    kinds = {row["key"]: (row["kind"], row["source"]) for row in table}
    assert kinds["entered.cad_calls_type_29"] == ("entered", "CAD")
    assert kinds["records"][0] == "computed"
    sanction = next(row for row in table if row["key"] == "entered.sanction_detections")
    assert sanction["value"] == "'=1+1"  # never a live spreadsheet formula


def test_bad_period_is_refused_with_a_clear_message() -> None:
    with pytest.raises(PartAError, match="before it starts"):
        Period(date(2024, 2, 1), date(2024, 1, 1))
    with pytest.raises(PartAError, match="YYYY-MM-DD"):
        Period.parse("01/02/2024", "2024-03-01")


def test_junk_column_values_do_not_crash() -> None:
    rows = [
        Row(
            "x",
            "approved",
            {
                "incident_date": "2010-05-01",
                "yes_count": "lots",
                "children_count": "n/a",
                "victim_dob": "not a date",
                "marac_criteria": "[broken",
                "arrested": 7.5,
                "grade": "HIGH",
                "victim_name": None,
            },
        ),
        Row("y", "approved", {"incident_date": "garbage"}),
    ]
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    assert part_a.records == 1
    assert part_a.grades["high"] == 1
    assert part_a.yes_bands["not recorded"] == 1
    assert part_a.marac_by_criterion == {k: 0 for k in part_a.marac_by_criterion}
    assert part_a.marac_referrals == 0  # criteria met, but no referral date: not a referral


def test_name_normalisation() -> None:
    # repeat victims are matched on the store's person key (search.person_key): name and date of birth
    assert name_key("SMITH, Zoë") == name_key("  zoe   smith ")
    assert name_key("王小明") == name_key("王小明 ")
    assert (
        person_key("SMITH, Zoë", "1990-05-05")
        == person_key("zoe smith", "1990-05-05T00:00")
        == "smith zoe|1990-05-05"
    )
    assert person_key(None, "1990-05-05") is None and person_key("Zoë", "1990-02-30") is None


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(-240, 240))
def test_add_months_lands_in_the_right_month(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or moved.day < day.day


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "incident_date": st.dates(min_value=date(2009, 1, 1), max_value=date(2011, 1, 1)).map(
                    date.isoformat
                ),
                "yes_count": st.one_of(st.none(), st.integers(0, 27), st.text(max_size=3)),
                "grade": st.sampled_from(["standard", "medium", "high", "", None, "x"]),
                "arrested": st.sampled_from(["yes", "no", None, ""]),
                "children_count": st.one_of(st.none(), st.integers(0, 30)),
                "victim_name": st.text(max_size=20),
                "victim_dob": st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 1, 1)).map(
                    date.isoformat
                ),
            }
        ),
        max_size=40,
    ),
    st.sampled_from(["approved", "submitted"]),
)
def test_totals_always_add_up(values: list[dict[str, object]], status: str) -> None:
    rows = [Row(f"r{i}", status, v) for i, v in enumerate(values)]
    part_a = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    assert sum(part_a.grades.values()) == part_a.records
    assert sum(part_a.yes_bands.values()) == part_a.records
    assert part_a.arrested + part_a.not_arrested + part_a.arrest_not_recorded == part_a.records
    assert sum(m.records for m in part_a.months) == part_a.records
    assert part_a.repeat_records <= part_a.records
    for row in part_a.diversity:
        assert sum(row.counts[k] for k in ("female", "male", "sex_unknown")) == row.total
