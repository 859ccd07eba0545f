"""A supervisor writes a Board report in the app and exports the signed pack, as they would: by keyboard
and mouse through the real widgets. Numbering updates live in the chosen style, a Part A figure is
inserted at the cursor and shown with its value, and the exported pack passes verify_pack."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.export.board_pack import (
    PART_B,
    verify_pack,
)
from dsvdesk.reporting.board import paragraphs_question
from dsvdesk.reporting.pack import (
    BOARD_RECIPIENT,
    PACK_JUSTIFICATION,
)
from dsvdesk.ui import messages
from dsvdesk.ui.board import BoardReportView, FigurePickerDialog, PackExportDialog, PackRequest
from dsvdesk.ui.board.report_view import FIGURE_BUTTON
from dsvdesk.ui.qt import QApplication, QPlainTextEdit, QPoint, QRadioButton, Qt, QToolButton, QWidget
from dsvdesk.ui.wizard.editors import RepeatEditor, YesNoEditor
from tests.helpers.encrypted import raw_connect
from tests.ui.board.conftest import (
    APPROVED_IN_PERIOD,
    close_app,
    current_report,
    hooks_of,
    open_app,
    wait_saved,
)
from tests.ui.conftest import SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.qa.conftest import pdf_pages, pdf_text


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def go_to_page(qtbot: QtBot, view: BoardReportView, page_id: str) -> None:
    """Click the page in the wizard's page list, as a user would."""
    page_list = view.wizard.page_list
    row = next(
        i for i in range(page_list.count()) if page_list.item(i).data(Qt.ItemDataRole.UserRole + 1) == page_id
    )
    page_list.scrollToItem(page_list.item(row))
    rect = page_list.visualItemRect(page_list.item(row))
    qtbot.mouseClick(page_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.wizard.current_page_id == page_id


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def give_focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


def type_into(qtbot: QtBot, view: BoardReportView, question_id: str, text: str) -> None:
    target = view.wizard.block(question_id).editor.focus_target()  # type: ignore[union-attr]
    give_focus(qtbot, target)
    type_text(target, text)


def add_paragraph(qtbot: QtBot, editor: RepeatEditor, heading: str, text: str) -> None:
    """Add a paragraph with the keyboard: Space on "Add paragraph", type the sub-heading, Tab, the text."""
    give_focus(qtbot, editor.add_button)
    qtbot.keyClick(editor.add_button, Qt.Key.Key_Space)
    # A new item's inputs are shown on the next turn of the event loop (as for a user's next key).
    new_item = editor.item_box(len(editor.value() or []) - 1)
    qtbot.waitUntil(lambda: new_item.editors["text"].focus_target().isVisible())
    if heading:
        type_text(focused(), heading)
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    paragraph = focused()
    assert isinstance(paragraph, QPlainTextEdit)
    type_text(paragraph, text)


def paragraphs_editor(view: BoardReportView, page_id: str) -> RepeatEditor:
    page = next(p for p in view.record.spec.pages if p.id == page_id)
    question = paragraphs_question(page)
    assert question is not None
    editor = view.wizard.block(question.id).editor
    assert isinstance(editor, RepeatEditor)
    return editor


def mark_nothing_to_report(qtbot: QtBot, view: BoardReportView, page_id: str, reason: str) -> None:
    go_to_page(qtbot, view, page_id)
    nothing = view.wizard.block(f"{page_id}_nothing_to_report").editor
    assert isinstance(nothing, YesNoEditor)
    click_radio(qtbot, nothing.radios["yes"])
    reason_block = view.wizard.block(f"{page_id}_nothing_reason")
    qtbot.waitUntil(reason_block.isVisible)
    type_into(qtbot, view, f"{page_id}_nothing_reason", reason)


def fill_header(qtbot: QtBot, view: BoardReportView) -> None:
    type_into(qtbot, view, "borough", "Islington")
    type_into(qtbot, view, "report_number", "3")
    type_into(qtbot, view, "meeting_date", "14/04/2026")
    type_into(qtbot, view, "period_from", "01/01/2026")
    type_into(qtbot, view, "period_to", "31/03/2026")
    authors = view.wizard.block("authors").editor
    assert isinstance(authors, RepeatEditor)
    give_focus(qtbot, authors.add_button)
    qtbot.keyClick(authors.add_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: authors.item_box(0).editors["unit"].focus_target().isVisible())
    type_text(focused(), "DI")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    type_text(focused(), "Jane Smith")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    type_text(focused(), "CSU")


def choose_numbering(qtbot: QtBot, view: BoardReportView, style: str) -> None:
    go_to_page(qtbot, view, "report_header")
    editor = view.wizard.block("numbering_style").editor
    click_radio(qtbot, editor.radios[style])  # type: ignore[union-attr]


@pytest.mark.usefixtures("ui_app", "board_forms", "with_records")
def test_supervisor_writes_and_exports_a_board_report(
    qtbot: QtBot, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    hooks = hooks_of(window)
    assert hooks.tab is not None
    window.tabs.setCurrentWidget(hooks.tab)
    assert hooks.tab.model.total == 0 and hooks.tab.empty_label.isVisible()
    shot(window, artifacts_dir, "board_01_reports_tab_empty")

    # New board report: it opens in the report wizard.
    qtbot.mouseClick(hooks.tab.new_buttons["dsvb_report"], Qt.MouseButton.LeftButton)
    view = current_report(window)
    assert not view.submit_button.isVisible()  # reports are exported, not submitted for review
    fill_header(qtbot, view)
    choose_numbering(qtbot, view, "by_section")
    wait_saved(qtbot, view)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Board report 3 — Islington"
    shot(window, artifacts_dir, "board_02_header")

    # B2.1: three paragraphs added by keyboard; the preview numbers them as the PDF will.
    go_to_page(qtbot, view, "b2_q1")
    editor = paragraphs_editor(view, "b2_q1")
    add_paragraph(qtbot, editor, "Risk assessment", "All officers completed the DASH refresher.")
    add_paragraph(qtbot, editor, "", "Weekly MARAC with the IDVA service.")
    add_paragraph(qtbot, editor, "Training", "Third paragraph, moved up later.")
    qtbot.waitUntil(lambda: view.preview.numbers == ["2.1", "2.2", "2.3"])
    assert "How does the BOCU" in view.preview.plain_text() or view.preview.plain_text().startswith("B2")
    shot(window, artifacts_dir, "board_03_paragraphs_by_section")

    # Reorder: the third paragraph moves up (Space on its "Move up"); numbers stay, texts swap.
    item = editor.item_box(2)
    give_focus(qtbot, item.up_button)
    qtbot.keyClick(item.up_button, Qt.Key.Key_Space)
    texts = [p.get("text") for p in editor.value()]
    assert texts == [
        "All officers completed the DASH refresher.",
        "Third paragraph, moved up later.",
        "Weekly MARAC with the IDVA service.",
    ]
    qtbot.waitUntil(
        lambda: (
            view.preview.plain_text().index("Third paragraph")
            < view.preview.plain_text().index("Weekly MARAC")
        )
    )
    assert view.preview.numbers == ["2.1", "2.2", "2.3"]

    # Insert a Part A figure into the first paragraph, at the cursor (end of its text).
    offered: dict[str, str] = {}

    def pick(cls: type, parent: QWidget, choices: list, *, period_label: str, message: str) -> str:
        offered.update({c.key: c.value for c in choices})
        offered["__period__"] = period_label
        return "records"

    monkeypatch.setattr(FigurePickerDialog, "ask", classmethod(pick))
    first = editor.item_box(0)
    text_box = first.editors["text"].focus_target()
    assert isinstance(text_box, QPlainTextEdit)
    give_focus(qtbot, text_box)
    text_box.moveCursor(text_box.textCursor().MoveOperation.End)
    type_text(text_box, " Approved 124D records: ")
    button = first.findChild(QToolButton, FIGURE_BUTTON)
    assert button is not None and button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "{{partA.records}}" in text_box.toPlainText(), timeout=20_000)
    assert offered["records"] == str(APPROVED_IN_PERIOD)
    assert "01/01/2026" in offered["__period__"] or "2026" in offered["__period__"]
    assert text_box.toPlainText().endswith("Approved 124D records: {{partA.records}}")
    qtbot.waitUntil(
        lambda: f"Approved 124D records: {APPROVED_IN_PERIOD}" in view.preview.plain_text(), timeout=10_000
    )
    shot(window, artifacts_dir, "board_04_figure_inserted")

    # B1: nothing to report, with a reason (the form's rule accepts either).
    mark_nothing_to_report(qtbot, view, "b1_q1", "Introduction given orally at the Board.")
    qtbot.waitUntil(lambda: "Nothing to report" in view.preview.plain_text())

    # The numbering style changed on the header page: B2.1's paragraphs are renumbered per question.
    choose_numbering(qtbot, view, "by_question")
    go_to_page(qtbot, view, "b2_q1")
    qtbot.waitUntil(lambda: view.preview.numbers == ["2.1.1", "2.1.2", "2.1.3"])
    shot(window, artifacts_dir, "board_05_paragraphs_by_question")

    # The rest: one paragraph on B2.2, every other question nothing to report.
    go_to_page(qtbot, view, "b2_q2")
    add_paragraph(qtbot, paragraphs_editor(view, "b2_q2"), "", "Partnership meetings monthly.")
    qtbot.waitUntil(lambda: view.preview.numbers == ["2.2.1"])
    for page in view.record.spec.pages:
        if paragraphs_question(page) is not None and page.id not in {"b1_q1", "b2_q1", "b2_q2"}:
            mark_nothing_to_report(qtbot, view, page.id, f"Not covered this period ({page.title[:4]}).")
    wait_saved(qtbot, view)
    assert not view.wizard.evaluation.errors, [f.message for f in view.wizard.evaluation.errors]

    # Part A preview for the period.
    view.side_tabs.setCurrentWidget(view.part_a_panel)
    qtbot.waitUntil(lambda: view.feed.ready, timeout=20_000)
    assert view.part_a_panel.message.text().startswith(
        f"{APPROVED_IN_PERIOD} approved record(s) of 4 started"
    )
    values = {f.key: f.value for f in view.part_a_panel.model.figures}
    assert values["records"] == "3" and values["started"] == "4" and values["completion_rate"] == "75%"
    shot(window, artifacts_dir, "board_06_part_a_preview")

    # Export: the dialog answers as the supervisor would; the pack is written, then verified.
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(
        PackExportDialog,
        "ask",
        classmethod(lambda cls, parent, **kw: PackRequest(out, SUPERVISOR_PASSWORD, kw["justification"])),
    )
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.last_outcome is not None, timeout=60_000)
    outcome = view.last_outcome
    assert outcome is not None
    assert outcome.verification.ok, outcome.verification.lines()
    assert outcome.result.zip_path.is_file() and outcome.result.folder.parent == out
    assert not verify_pack(outcome.result.zip_path).ok  # with no roots of its own, a pack is never trusted
    dialog = view.result_dialog
    assert dialog is not None and dialog.isVisible() and dialog.ok
    shown = dialog.result_text.toPlainText().splitlines()
    assert shown[-1].endswith("ALL FILES VERIFIED") and len(shown) == 5
    qtbot.waitExposed(dialog)
    shot(dialog, artifacts_dir, "board_07_pack_result")
    dialog.close()

    # The pack's Part B: numbering by question, the figure resolved, the reason printed.
    text = pdf_text(outcome.result.folder / PART_B)
    assert "2.1.1" in text and "2.1.3" in text and "2.2.1" in text
    assert f"Approved 124D records: {APPROVED_IN_PERIOD}" in text
    assert text.index("Third paragraph") < text.index("Weekly MARAC")
    assert "Introduction given orally at the Board." in text
    pdf_pages(outcome.result.folder / PART_B, artifacts_dir / "ui" / "board_pack_part_b")

    # Logged as a disclosure to the Board; the list shows the report.
    with raw_connect(db_path) as conn:
        rows = conn.execute(
            "SELECT recipient, justification FROM audit_events WHERE event = 'disclosure' AND record_id = ?",
            (view.record_id,),
        ).fetchall()
    assert rows == [(BOARD_RECIPIENT, PACK_JUSTIFICATION)]
    window.tabs.setCurrentWidget(hooks.tab)
    qtbot.waitUntil(lambda: hooks.tab.model.total == 1)
    assert hooks.tab.model.data(hooks.tab.model.index(0, 1)) == "Islington"
    shot(window, artifacts_dir, "board_08_reports_tab")
    assert not [m for m in messages.shown() if m.kind == "error"]
    close_app(window)
