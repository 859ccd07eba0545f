"""Issue 18 in the app: an officer's open draft on an older version of a form says a new version is
available; Upgrade shows what the move does (kept, dropped with the reason, new questions) and, when
chosen, moves the record as one saved change and reopens it on the new version. Submitted records and
records on the installed version show nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import Audience, FormSpec
from dsvdesk.engine.upgrade import plan_upgrade
from dsvdesk.store import Store
from dsvdesk.ui.context import AppContext
from dsvdesk.ui.dialogs.upgrade import UpgradeDialog
from dsvdesk.ui.qt import Qt
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.state import UiState
from tests.ui.conftest import OFFICER_PASSWORD, shot

DATA = Path(__file__).resolve().parents[1] / "data" / "upgrade"
V1 = load_form(DATA / "124d_v1.yaml")
V2 = load_form(DATA / "124d_v2.yaml")

pytestmark = pytest.mark.usefixtures("ui_app")


def officer_answers(spec: FormSpec) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "124d_v1_answers.json").read_text(encoding="utf-8"))
    reviewer = {
        q.id for s in spec.sections if s.audience is Audience.REVIEWER for p in s.pages for q in p.questions
    }
    return {k: v for k, v in data.items() if k.split("__", 1)[0] not in reviewer}


def view_for(qtbot: QtBot, store: Store, record_id: str, installed: FormSpec, tmp_path: Path) -> RecordView:
    session = store.login("officer1", OFFICER_PASSWORD)
    context = AppContext(
        store=store,
        session=session,
        db_path=store.path,
        forms={"124d": installed},
        ui_state=UiState(tmp_path / "ui.ini"),
    )
    view = RecordView(context, context.open_record(record_id))
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


def new_draft(store: Store) -> str:
    session = store.login("officer1", OFFICER_PASSWORD)
    return store.create_record(session, V1, officer_answers(V1)).id


def test_draft_on_an_old_version_offers_the_upgrade(
    qtbot: QtBot, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    record_id = new_draft(store)
    view = view_for(qtbot, store, record_id, V2, tmp_path)
    assert view.upgrade_bar.isVisible()
    assert "A new version of this form is available (2027.1" in view.upgrade_label.text()
    shot(view, artifacts_dir, "upgrade_bar")
    shown: list[Any] = []

    def choose_upgrade(cls: Any, parent: Any, report: Any, spec: FormSpec) -> bool:
        shown.append(report)
        return True

    monkeypatch.setattr(UpgradeDialog, "ask", classmethod(choose_upgrade))
    view.upgrade_button.setFocus()
    qtbot.keyClick(view.upgrade_button, Qt.Key.Key_Space)
    assert {d.answer_id for d in shown[0].dropped} == {
        "how_reported",
        "victim_email",
        "witnesses[1].statement_taken",
        "other_agencies",
        "dash_weapons_access",
    }
    assert view.record.definition_hash == V2.content_hash
    assert view.wizard.spec is V2 or view.wizard.spec.content_hash == V2.content_hash
    assert not view.upgrade_bar.isVisible()
    assert view.wizard.block("victim_nationality") is not None  # the new question is on screen
    assert "victim_nationality" in {f.question_id for f in view.wizard.evaluation.errors}
    # The new wizard saves to the moved record (its version after the move).
    assert view.sink is not None
    assert view.sink.version == view.record.version


def test_cancelled_upgrade_changes_nothing(
    qtbot: QtBot, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_id = new_draft(store)
    view = view_for(qtbot, store, record_id, V2, tmp_path)
    monkeypatch.setattr(UpgradeDialog, "ask", classmethod(lambda cls, parent, report, spec: False))
    qtbot.mouseClick(view.upgrade_button, Qt.MouseButton.LeftButton)
    session = store.login("officer1", OFFICER_PASSWORD)
    assert store.open_record(session, record_id).definition_hash == V1.content_hash
    assert view.upgrade_bar.isVisible()


def test_no_offer_on_the_installed_version_or_a_submitted_record(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    record_id = new_draft(store)
    assert not view_for(qtbot, store, record_id, V1, tmp_path).upgrade_bar.isVisible()
    session = store.login("officer1", OFFICER_PASSWORD)
    record = store.open_record(session, record_id)
    store.submit(session, record_id, record.version, b"%PDF-1.7\n% test\n%%EOF\n")
    assert not view_for(qtbot, store, record_id, V2, tmp_path).upgrade_bar.isVisible()


def test_the_dialog_lists_the_report_and_answers_to_the_keyboard(qtbot: QtBot, artifacts_dir: Path) -> None:
    report = plan_upgrade(V1, V2, officer_answers(V1))
    dialog = UpgradeDialog(None, report, V2)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    text = dialog.report_box.toPlainText()
    assert "  - victim_email: question removed (Email address)" in text
    assert "  - dash_weapons_access: type changed (yesno_dk -> yesno)" in text
    assert "  - victim_nationality (Nationality)" in text
    shot(dialog, artifacts_dir, "upgrade_dialog")
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.report_box, Qt.Key.Key_Escape)
