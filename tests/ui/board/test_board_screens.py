"""The board screens one at a time: who gets the tab, what the list holds, a report opened from "My
forms", the Part A preview (figures, an empty period, no source form), refusals at export (an
incomplete report, a wrong password), and the dialogs as a user fills them in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.reporting.board import FigureChoice
from dsvdesk.reporting.pack import PACK_JUSTIFICATION
from dsvdesk.store import Store
from dsvdesk.ui import messages
from dsvdesk.ui.board import (
    BoardReportView,
    FigurePickerDialog,
    PackExportDialog,
    PackRequest,
    PackResultDialog,
)
from dsvdesk.ui.board.dialogs import folder_problem
from dsvdesk.ui.dialogs.submit import ProblemsDialog
from dsvdesk.ui.qt import QDialogButtonBox, QLineEdit, QPlainTextEdit, Qt
from dsvdesk.ui.record_view import RecordView
from tests.helpers.encrypted import raw_connect
from tests.ui.board.conftest import (
    APPROVED_IN_PERIOD,
    PERIOD_FROM,
    PERIOD_TO,
    ROOT,
    close_app,
    current_report,
    hooks_of,
    open_app,
    wait_saved,
)
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text

REPORT_HEADER = {
    "borough": "Hillingdon",
    "report_number": "7",
    "meeting_date": "2026-04-14",
    "authors": [{"rank": "DI", "name": "Łukasz Nowak", "unit": "CSU"}],
    "numbering_style": "by_question",
}


def seed_report(
    db_path: Path, answers: dict[str, object], username: str = "super1", password: str = SUPERVISOR_PASSWORD
) -> str:
    spec = load_form(ROOT / "forms" / "dsvb_report.yaml")
    with Store.open(db_path) as store:
        return store.create_record(store.login(username, password), spec, answers).id


def complete_answers(period_from: str = PERIOD_FROM, period_to: str = PERIOD_TO) -> dict[str, object]:
    spec = load_form(ROOT / "forms" / "dsvb_report.yaml")
    answers: dict[str, object] = {**REPORT_HEADER, "period_from": period_from, "period_to": period_to}
    for _s, page, question in spec.iter_questions():
        if question.tag_value("board") == "nothing_to_report":
            answers[question.id] = "yes"
            answers[f"{page.id}_nothing_reason"] = "Nothing this period."
    answers["b2_q1_nothing_to_report"] = "no"
    answers["b2_q1_paragraphs"] = [{"text": "Records approved: {{partA.records}}."}]
    return answers


@pytest.mark.usefixtures("ui_app", "board_forms")
def test_officers_have_no_board_tab(qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    hooks = hooks_of(window)
    assert hooks.tab is None
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert not any("Board" in t for t in titles)
    close_app(window)


@pytest.mark.usefixtures("ui_app", "board_forms", "with_records")
def test_the_list_holds_only_the_supervisors_board_reports(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = seed_report(db_path, {**REPORT_HEADER, "period_from": PERIOD_FROM, "period_to": PERIOD_TO})
    with Store.open(db_path) as store:  # a second supervisor's report is not in super1's list
        admin = store.login("admin", "admin-pass-2026")
        store.add_user(
            admin, "super2", "supervisor", "Sue Second", "PS202", SUPERVISOR_PASSWORD, "admin-pass-2026"
        )
    seed_report(db_path, {"borough": "Elsewhere"}, "super2")
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    tab = hooks_of(window).tab
    assert tab is not None
    window.tabs.setCurrentWidget(tab)
    assert tab.model.total == 1 and tab.model.record_at(0).id == mine  # not super1's approvals, not super2's
    assert [tab.model.data(tab.model.index(0, c)) for c in range(4)] == [
        "7",
        "Hillingdon",
        "14/04/2026",
        "01/01/2026 – 31/03/2026",
    ]
    assert tab.open_button.isEnabled() and tab.count_label.text() == "1 report"
    # Enter on the row opens it in the report wizard, once.
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    view = current_report(window)
    assert view.record_id == mine and view.wizard.value_of("borough") == "Hillingdon"
    window.tabs.setCurrentWidget(tab)
    qtbot.mouseClick(tab.open_button, Qt.MouseButton.LeftButton)
    assert current_report(window) is view
    close_app(window)


@pytest.mark.usefixtures("ui_app", "board_forms")
def test_a_report_opened_from_my_forms_goes_to_the_report_wizard(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = seed_report(db_path, dict(REPORT_HEADER))
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window.open_record(report_id)  # what Enter on the row in "My forms" does
    view = current_report(window)
    assert view.record_id == report_id
    plain = [w for i in range(window.tabs.count()) if type(w := window.tabs.widget(i)) is RecordView]
    assert plain == []
    with raw_connect(db_path) as conn:  # the record was read once, not twice
        opened = conn.execute(
            "SELECT COUNT(*) FROM audit_events WHERE event = 'consultation' AND record_id = ?", (report_id,)
        ).fetchone()[0]
    assert opened <= 1
    close_app(window)


@pytest.mark.usefixtures("ui_app", "board_forms", "with_records")
def test_part_a_preview_shows_the_periods_figures_and_an_empty_period(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    report_id = seed_report(
        db_path,
        {
            **REPORT_HEADER,
            "period_from": PERIOD_FROM,
            "period_to": PERIOD_TO,
            "part_a_figures": [
                {"figure": "DV sanction detections", "figure_value": "1,874", "source": "CRIS"}
            ],
        },
    )
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    view = hooks_of(window).open_report(report_id)
    assert isinstance(view, BoardReportView)
    assert view.feed.part_a is None  # nothing computed (nor logged) until something needs the figures
    view.side_tabs.setCurrentWidget(view.part_a_panel)
    qtbot.waitUntil(lambda: view.feed.ready, timeout=20_000)
    figures = {f.key: f for f in view.part_a_panel.model.figures}
    assert figures["records"].value == str(APPROVED_IN_PERIOD)
    entered = figures["entered.dv_sanction_detections"]
    assert entered.value == "1,874" and not entered.computed and entered.source == "CRIS"
    model = view.part_a_panel.model
    row = model.figures.index(entered)
    assert (
        model.data(model.index(row, 0)).startswith("✎")
        and model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole) is not None
    )
    shot(window, artifacts_dir, "board_10_part_a_with_entered_figure")

    # Another record is approved meanwhile: Refresh computes again (the cached figures are not reused).
    with Store.open(db_path) as store:
        supervisor = store.login("super1", SUPERVISOR_PASSWORD)
        pending = next(r for r in store.list_records(supervisor, status="submitted", limit=10))
        store.approve(supervisor, pending.id, pending.version, lambda urn: b"%PDF-1.7\n%%EOF\n")
    qtbot.mouseClick(view.part_a_panel.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: view.feed.ready and view.feed.part_a is not None and view.feed.part_a.records == 4,
        timeout=20_000,
    )
    assert {f.key: f.value for f in view.part_a_panel.model.figures}["completion_rate"] == "100%"

    # A period with no records: said plainly, every rate "n/a", nothing crashes.
    view.wizard.jump_to("period_from")
    field = view.wizard.block("period_from").editor.focus_target()  # type: ignore[union-attr]
    assert isinstance(field, QLineEdit)
    field.selectAll()
    type_text(field, "01/01/2030")
    view.wizard.jump_to("period_to")
    field = view.wizard.block("period_to").editor.focus_target()  # type: ignore[union-attr]
    assert isinstance(field, QLineEdit)
    field.selectAll()
    type_text(field, "31/03/2030")
    qtbot.waitUntil(
        lambda: view.feed.ready and view.feed.period is not None and view.feed.period.start.year == 2030,
        timeout=20_000,
    )
    assert view.part_a_panel.message.text().endswith(": No records in this period.")
    figures = {f.key: f.value for f in view.part_a_panel.model.figures}
    assert figures["records"] == "0" and figures["completion_rate"] == "n/a"
    shot(window, artifacts_dir, "board_11_part_a_empty_period")
    close_app(window)


@pytest.mark.usefixtures("ui_app")
def test_without_a_part_a_source_form_the_panel_says_what_to_do(
    qtbot: QtBot, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "only_report"
    folder.mkdir()
    (folder / "dsvb_report.yaml").write_text(
        (ROOT / "forms" / "dsvb_report.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    report_id = seed_report(db_path, {**REPORT_HEADER, "period_from": PERIOD_FROM, "period_to": PERIOD_TO})
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    view = hooks_of(window).open_report(report_id)
    assert view is not None
    view.side_tabs.setCurrentWidget(view.part_a_panel)
    qtbot.waitUntil(lambda: bool(view.feed.error))
    assert "part_a_source" in view.part_a_panel.message.text() and view.part_a_panel.model.figures == []
    # Inserting a figure explains the same instead of opening an empty picker.
    monkeypatch.setattr(
        FigurePickerDialog, "ask", classmethod(lambda cls, *a, **k: pytest.fail("no picker without figures"))
    )
    view.wizard.jump_to("b2_q1_paragraphs")
    view.insert_figure(view.wizard.block("b2_q1_nothing_reason").editor.focus_target())  # type: ignore[union-attr]
    assert messages.shown()[-1].kind == "error" and "part_a_source" in messages.shown()[-1].text
    close_app(window)


@pytest.mark.usefixtures("ui_app", "board_forms")
def test_an_incomplete_report_is_not_exported(
    qtbot: QtBot, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = seed_report(db_path, dict(REPORT_HEADER))
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    shown: list[list[str]] = []

    wording: list[tuple[str, str]] = []

    def problems(cls: type, parent: object, findings: list, titles: dict[str, str], **kw: str) -> object:
        shown.append([f.message for f in findings])
        wording.append((kw.get("title", ""), kw.get("before", "")))
        return findings[0]  # the supervisor chooses the first: the wizard goes there

    monkeypatch.setattr(ProblemsDialog, "ask", classmethod(problems))
    monkeypatch.setattr(
        PackExportDialog,
        "ask",
        classmethod(lambda cls, *a, **k: pytest.fail("asked before the report is complete")),
    )
    tab = hooks_of(window).tab
    assert tab is not None
    window.tabs.setCurrentWidget(tab)
    qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    view = current_report(window)
    assert view.record_id == report_id and shown
    # the board's words, not the officer's "submitting" (issue 20 item 11)
    assert wording == [("Not ready to export", "exporting the board pack")]
    assert any("period" in m.lower() or "B1" in m for m in shown[0])
    assert view.wizard.current_page_id == "report_header"  # jumped to the first problem
    assert not any(tmp_path.iterdir()) or not list(tmp_path.rglob("*.zip"))
    close_app(window)


@pytest.mark.usefixtures("ui_app", "board_forms", "with_records")
def test_a_wrong_password_exports_nothing(
    qtbot: QtBot, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = seed_report(db_path, complete_answers())
    out = tmp_path / "out"
    out.mkdir()
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    view = hooks_of(window).open_report(report_id)
    assert view is not None and not view.wizard.evaluation.errors
    monkeypatch.setattr(
        PackExportDialog,
        "ask",
        classmethod(lambda cls, *a, **k: PackRequest(out, "not-my-password", PACK_JUSTIFICATION)),
    )
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.exporting, timeout=30_000)
    assert view.last_outcome is None and list(out.iterdir()) == []
    errors = [m for m in messages.shown() if m.kind == "error"]
    assert errors and "password" in errors[-1].text.lower()
    assert view.export_button.isEnabled()
    with raw_connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM audit_events WHERE event = 'disclosure'").fetchone()[0] == 0
    wait_saved(qtbot, view)
    close_app(window)


# ------------------------------------------------------------------ the dialogs


@pytest.mark.usefixtures("ui_app")
def test_pack_dialog_checks_folder_reason_and_password(
    qtbot: QtBot, tmp_path: Path, artifacts_dir: Path
) -> None:
    dialog = PackExportDialog(
        None,
        report_label="Board report 7 — Hillingdon",
        folder=tmp_path / "missing",
        justification=PACK_JUSTIFICATION,
        justification_editable=True,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.recipient.isReadOnly() and dialog.recipient.text() == "Domestic and Sexual Violence Board"
    accept = dialog.export_button
    qtbot.mouseClick(accept, Qt.MouseButton.LeftButton)
    assert dialog.error_label.isVisible() and "does not exist" in dialog.error_label.text()
    dialog.folder.setText(str(tmp_path))
    dialog.justification.setPlainText("   ")
    qtbot.mouseClick(accept, Qt.MouseButton.LeftButton)
    assert "reason" in dialog.error_label.text().lower()
    dialog.justification.setPlainText("Half-yearly report to the Board, meeting of 14 April.")
    qtbot.mouseClick(accept, Qt.MouseButton.LeftButton)
    assert "password" in dialog.error_label.text().lower() and dialog.isVisible()
    shot(dialog, artifacts_dir, "board_12_export_dialog_error")
    dialog.password.setFocus()
    type_text(dialog.password, "secret")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter is Cancel's: never exports by accident
    assert dialog.result() == PackExportDialog.DialogCode.Rejected
    dialog.password.setText("secret")
    dialog.show()
    qtbot.mouseClick(accept, Qt.MouseButton.LeftButton)
    assert dialog.result() == PackExportDialog.DialogCode.Accepted
    assert dialog.request() == PackRequest(
        tmp_path, "secret", "Half-yearly report to the Board, meeting of 14 April."
    )


@pytest.mark.usefixtures("ui_app")
def test_pack_dialog_with_the_standard_reason_and_its_look(
    qtbot: QtBot, tmp_path: Path, artifacts_dir: Path
) -> None:
    dialog = PackExportDialog(
        None,
        report_label="Board report 3 — Islington",
        folder=tmp_path,
        justification=PACK_JUSTIFICATION,
        justification_editable=False,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.justification.isReadOnly() and dialog.request().justification == PACK_JUSTIFICATION
    shot(dialog, artifacts_dir, "board_13_export_dialog")


def test_folder_problems_are_named(tmp_path: Path) -> None:
    afile = tmp_path / "a.txt"
    afile.write_text("x", encoding="utf-8")
    assert folder_problem("") == "Choose the folder to write the board pack into."
    assert "is a file" in (folder_problem(str(afile)) or "")
    assert folder_problem(str(tmp_path)) is None
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert "cannot write" in (folder_problem(str(locked)) or "")


@pytest.mark.usefixtures("ui_app")
def test_figure_picker_filters_and_chooses_by_keyboard(qtbot: QtBot, artifacts_dir: Path) -> None:
    choices = [
        FigureChoice("records", "Records", "Approved 124D records", "97", True, "DSVDesk"),
        FigureChoice("marac.referrals", "MARAC", "MARAC referrals", "12", True, "DSVDesk"),
        FigureChoice("arrest_rate", "Arrests", "Arrest rate (of recorded)", "61%", True, "DSVDesk"),
        FigureChoice(
            "entered.dv_sanction_detections",
            "Entered by hand",
            "DV sanction detections",
            "1,874",
            False,
            "CRIS",
        ),
    ]
    dialog = FigurePickerDialog(
        None, choices, period_label="1 January 2026 – 31 March 2026", message="97 approved record(s)."
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    shot(dialog, artifacts_dir, "board_14_figure_picker")
    assert dialog.count_label.text() == "4 of 4 figures"
    dialog.search.setFocus()
    type_text(dialog.search, "arrest")
    assert dialog.count_label.text() == "1 of 4 figures"
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.chosen == "arrest_rate" and dialog.result() == FigurePickerDialog.DialogCode.Accepted

    again = FigurePickerDialog(None, choices, period_label="p", message="m")
    qtbot.addWidget(again)
    again.show()
    again.search.setFocus()
    qtbot.keyClick(again.search, Qt.Key.Key_Down)
    qtbot.keyClick(again.search, Qt.Key.Key_Down)
    qtbot.keyClick(again.search, Qt.Key.Key_Return)
    assert again.chosen == "arrest_rate"

    none = FigurePickerDialog(None, choices, period_label="p", message="m")
    qtbot.addWidget(none)
    none.show()
    type_text(none.search, "zzz")
    assert not none.insert_button.isEnabled()
    qtbot.keyClick(none.search, Qt.Key.Key_Return)
    assert none.chosen is None and none.isVisible()


@pytest.mark.usefixtures("ui_app")
def test_a_failed_verification_is_shown_as_such(qtbot: QtBot, tmp_path: Path, artifacts_dir: Path) -> None:
    dialog = PackResultDialog.present(
        None,
        folder=tmp_path / "pack",
        zip_path=tmp_path / "pack.zip",
        lines=[
            "FAIL part_b_report.pdf: ALTERED: SHA-256 differs from the signed manifest",
            "Pack pack.zip: VERIFICATION FAILED",
        ],
        ok=False,
    )
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    assert (
        not dialog.ok
        and "FAILED" in dialog.windowTitle() + dialog.findChildren(QPlainTextEdit)[0].toPlainText()
    )
    shot(dialog, artifacts_dir, "board_15_pack_result_failed")
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    dialog.close()


@pytest.mark.usefixtures("ui_app", "board_forms", "with_records")
def test_ctrl_shift_f_quotes_a_figure_in_a_reason_but_never_in_a_header_field(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = seed_report(
        db_path,
        {
            **REPORT_HEADER,
            "period_from": PERIOD_FROM,
            "period_to": PERIOD_TO,
            "b1_q1_nothing_to_report": "yes",
        },
    )
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    view = hooks_of(window).open_report(report_id)
    assert view is not None
    monkeypatch.setattr(FigurePickerDialog, "ask", classmethod(lambda cls, *a, **k: "completion_rate"))

    borough = view.wizard.block("borough").editor.focus_target()  # type: ignore[union-attr]
    borough.setFocus()
    qtbot.waitUntil(borough.hasFocus)
    qtbot.keyClick(
        borough, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert messages.shown()[-1].title == "Insert Part A figure" and "paragraph" in messages.shown()[-1].text
    assert view.wizard.value_of("borough") == "Hillingdon"

    view.wizard.jump_to("b1_q1_nothing_reason")
    reason = view.wizard.block("b1_q1_nothing_reason").editor.focus_target()  # type: ignore[union-attr]
    qtbot.waitUntil(reason.hasFocus)
    type_text(reason, "Completion was ")
    qtbot.keyClick(
        reason, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(
        lambda: view.wizard.value_of("b1_q1_nothing_reason") == "Completion was {{partA.completion_rate}}",
        timeout=20_000,
    )
    assert reason.hasFocus()  # back in the text, to carry on typing
    qtbot.waitUntil(lambda: "Completion was 75%" in view.preview.plain_text(), timeout=10_000)
    wait_saved(qtbot, view)
    close_app(window)


@pytest.mark.usefixtures("ui_app", "board_forms", "with_records")
def test_closing_a_report_while_its_figures_are_computed_is_calm(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsvdesk.ui import ops

    report_id = seed_report(db_path, {**REPORT_HEADER, "period_from": PERIOD_FROM, "period_to": PERIOD_TO})
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    view = hooks_of(window).open_report(report_id)
    assert view is not None
    view.side_tabs.setCurrentWidget(view.part_a_panel)  # starts the computation
    assert view.feed.busy
    assert window.close_tab(window.tabs.indexOf(view))
    ops.wait_all()
    qtbot.waitUntil(lambda: not ops._running, timeout=20_000)
    assert not [m for m in messages.shown() if m.kind == "error"]
    close_app(window)


@pytest.mark.usefixtures("ui_app")
def test_preview_shows_any_text_literally(qtbot: QtBot, artifacts_dir: Path) -> None:
    """Markup, ampersands, non-Latin scripts and line breaks in a paragraph are shown as typed."""
    from dsvdesk.reporting.board import PreviewParagraph, Progress, QuestionPreview, ReportPreview
    from dsvdesk.ui.board.preview import NumberingPreview

    hostile = "<script>alert(1)</script> & <b>not bold</b> — 王小明, Łukasz, Σωκράτης, مرحبا\nsecond line"
    question = QuestionPreview(
        "q",
        "B2: Partnership",
        "B2.1",
        "What & how <i>?</i>",
        (PreviewParagraph("2.1", "Sub <heading>", hostile), PreviewParagraph("2.2", "", "x" * 20_000)),
        False,
        "",
    )
    preview = NumberingPreview()
    qtbot.addWidget(preview)
    preview.resize(420, 500)
    preview.show_preview(
        ReportPreview("by_section", (question,)),
        Progress(1, 1, ()),
        question_id="q",
        figures=None,
        figures_note="",
    )
    text = preview.plain_text()
    assert (
        "<script>alert(1)</script> & <b>not bold</b>" in text and "王小明" in text and "second line" in text
    )
    assert "Sub <heading>" in text and "What & how <i>?</i>" in text and "x" * 20_000 in text
    assert preview.numbers == ["2.1", "2.2"]
    preview.show()
    qtbot.waitExposed(preview)
    shot(preview, artifacts_dir, "board_16_preview_any_text")
