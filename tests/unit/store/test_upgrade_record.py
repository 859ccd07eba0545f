"""`Store.upgrade_record` and `dsvdesk records upgrade` / `dsvdesk forms diff` (issue 18): a draft moves to
a new version of its form as one audited change; submitted and approved records never move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.cli import main
from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import Audience, FormSpec
from dsvdesk.errors import ExitCode
from dsvdesk.store import InvalidInput, InvalidTransition, PermissionDenied, SaveConflict
from tests.helpers.encrypted import copy_station, raw_connect
from tests.unit.store.conftest import PASSWORD, Station, fake_pdf

DATA = Path(__file__).resolve().parents[2] / "data" / "upgrade"
V1 = load_form(DATA / "124d_v1.yaml")
V2 = load_form(DATA / "124d_v2.yaml")


def officer_answers(spec: FormSpec) -> dict[str, Any]:
    """The fixture answers without the supervisor's section (a draft holds only the officer's)."""
    data: dict[str, Any] = json.loads((DATA / "124d_v1_answers.json").read_text(encoding="utf-8"))
    reviewer = {
        q.id for s in spec.sections if s.audience is Audience.REVIEWER for p in s.pages for q in p.questions
    }
    return {k: v for k, v in data.items() if k.split("__", 1)[0] not in reviewer}


def audit_rows(path: Path, record_id: str) -> list[tuple[str, str | None, str | None]]:
    with raw_connect(path) as conn:
        return conn.execute(
            "SELECT event, question_id, detail FROM audit_events WHERE record_id = ? ORDER BY id",
            (record_id,),
        ).fetchall()


def test_draft_moves_as_one_audited_change(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, V1, officer_answers(V1))
    before = audit_rows(station.path, ref.id)
    moved, report = store.upgrade_record(off1, ref.id, V2, ref.version)
    assert moved.version == ref.version + 1
    assert {d.answer_id for d in report.dropped} == {
        "victim_email",
        "how_reported",
        "other_agencies",
        "dash_weapons_access",
        "witnesses[1].statement_taken",
    }
    assert report.needs_answer == ("victim_nationality",)
    record = store.open_record(off1, ref.id)
    assert record.definition_hash == V2.content_hash
    assert record.spec.version == "2027.1"
    assert "victim_email" not in record.answers
    assert record.answers["other_agencies"] == ["childrens_social_care", "victim_support"]
    assert record.answers["victim_surname"] == "Whitfield"
    new_events = audit_rows(station.path, ref.id)[len(before) :]
    upgrade_events = [e for e in new_events if e[2] and "form_upgrade" in e[2]]
    assert len(upgrade_events) == 1, new_events
    detail = json.loads(upgrade_events[0][2] or "{}")["form_upgrade"]
    assert (detail["from_version"], detail["to_version"]) == ("2026.1", "2027.1")
    assert "jw@example.org" not in upgrade_events[0][2]
    assert store.verify_audit().ok


def test_columns_follow_the_new_version(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, V1, officer_answers(V1))
    store.upgrade_record(off1, ref.id, V2, ref.version)
    rows = store.list_records(off1, search="Whitfield")
    assert [r.id for r in rows] == [ref.id], "the search row is rewritten with the record"


def test_submitted_and_approved_records_never_move(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, V1, officer_answers(V1))
    submitted = store.submit(off1, ref.id, ref.version, fake_pdf())
    with pytest.raises(InvalidTransition, match="only drafts and returned records"):
        store.upgrade_record(off1, ref.id, V2, submitted.version)
    assert store.open_record(off1, ref.id).definition_hash == V1.content_hash


def test_only_the_writing_officer_may_move_a_draft(station: Station) -> None:
    store = station.store
    ref = store.create_record(station["off1"], V1, officer_answers(V1))
    with pytest.raises(PermissionDenied):
        store.upgrade_record(station["sup1"], ref.id, V2, ref.version)


def test_stale_version_and_same_version_are_refused(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, V1, officer_answers(V1))
    store.save_answer(off1, ref.id, "victim_phone", "07700 900999", ref.version)
    with pytest.raises(SaveConflict):
        store.upgrade_record(off1, ref.id, V2, ref.version)
    with pytest.raises(InvalidInput, match="already uses this version"):
        store.upgrade_record(off1, ref.id, V1, ref.version + 1)


# ------------------------------------------------------------------ the CLI


@pytest.fixture
def cli_station(template_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copyfile(DATA / "124d_v1.yaml", forms / "124d.yaml")
    db = tmp_path / "station.sqlite3"
    copy_station(template_db, db)
    monkeypatch.setenv("DSVDESK_FORMS", str(forms))
    monkeypatch.setenv("DSVDESK_DB", str(db))
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(officer_answers(V1)), encoding="utf-8")
    return tmp_path


def new_draft(cli_station: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert (
        main(
            [
                "records",
                "new",
                "--form",
                "124d",
                "--answers",
                str(cli_station / "answers.json"),
                "--user",
                "off1",
            ]
        )
        == 0
    )
    record_id = capsys.readouterr().out.strip()
    shutil.copyfile(DATA / "124d_v2.yaml", cli_station / "forms" / "124d.yaml")  # v2 installed
    return record_id


def test_cli_dry_run_reports_and_changes_nothing(
    cli_station: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_id = new_draft(cli_station, capsys)
    assert main(["records", "upgrade", record_id, "--dry-run", "--user", "off1"]) == 0
    out = capsys.readouterr().out
    assert "version 2026.1 -> 2027.1" in out
    assert "  - victim_email: question removed (Email address)" in out
    assert "  - how_reported: choice removed ('officer_on_patrol' is no longer a choice)" in out
    assert "  - dash_weapons_access: type changed (yesno_dk -> yesno)" in out
    assert "  - witnesses[1].statement_taken: question removed (field removed)" in out
    assert "  - victim_nationality (Nationality)" in out
    assert main(["records", "show", record_id, "--json", "--user", "off1"]) == 0
    assert json.loads(capsys.readouterr().out)["answers"]["victim_email"] == "jw@example.org"


def test_cli_upgrade_needs_yes_when_not_interactive(
    cli_station: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_id = new_draft(cli_station, capsys)
    assert main(["records", "upgrade", record_id, "--user", "off1"]) == ExitCode.NOT_READY
    captured = capsys.readouterr()
    assert "add --yes" in captured.err + captured.out
    assert "Traceback" not in captured.err


def test_cli_upgrade_saves_with_yes(cli_station: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record_id = new_draft(cli_station, capsys)
    assert main(["records", "upgrade", record_id, "--yes", "--json", "--user", "off1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["saved"] is True
    assert report["needs_answer"] == ["victim_nationality"]
    assert {d["reason"] for d in report["dropped"]} == {"question_removed", "choice_removed", "type_changed"}
    assert main(["records", "upgrade", record_id, "--yes", "--user", "off1"]) == ExitCode.BAD_INPUT
    assert "already uses this version" in capsys.readouterr().err


def test_cli_forms_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "diff", str(DATA / "124d_v1.yaml"), str(DATA / "124d_v2.yaml")]) == 0
    out = capsys.readouterr().out
    assert "Answers dropped, question removed: 2." in out
    assert "Answers dropped, choice removed: 2." in out
    assert "Answers dropped, type changed: 1." in out
    assert "New questions: 2 (1 required)." in out
    assert main(["forms", "diff", str(DATA / "124d_v1.yaml"), str(DATA / "124d_v2.yaml"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added_required"] == ["victim_nationality"]
    assert {
        "id": "witnesses.statement_taken",
        "reason": "question_removed",
        "detail": "field removed",
    } in report["changes"]


def test_cli_forms_diff_refuses_two_different_forms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(
        "id: other\nversion: '1'\ntitle: Other\nsections:\n  - id: s\n    title: S\n    pages:\n"
        "      - id: p\n        title: P\n        questions:\n          - {id: q, type: text, label: Q}\n",
        encoding="utf-8",
    )
    assert main(["forms", "diff", str(DATA / "124d_v1.yaml"), str(other)]) == ExitCode.BAD_INPUT
    assert "version of its own form" in capsys.readouterr().err
