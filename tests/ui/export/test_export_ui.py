"""Export… and Verify a signed PDF… driven as a user would: open a submitted record, choose Export…, read
the preview, type the recipient and the reason, choose the folder, press Export; then check the file,
the audit log, and the signatures from the File menu."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.justification import JustificationDialog
from dsvdesk.ui.dialogs.submit import SubmitDialog
from dsvdesk.ui.export import STAMP_NOTE, ExportDialog, ExportHooks, ExportRequest
from dsvdesk.ui.export import dialog as dialog_module
from dsvdesk.ui.export import hooks as hooks_module
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, Qt, QWidget
from dsvdesk.ui.record_view import RecordView
from tests.helpers.encrypted import raw_connect
from tests.ui.conftest import ADMIN_PASSWORD, OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.export.conftest import seed_record
from tests.ui.qa.conftest import close_app, open_app

pytestmark = pytest.mark.ui

Driver = Callable[[ExportDialog], None]


def hooks_of(window: MainWindow) -> ExportHooks:
    hooks = window.export_hooks  # type: ignore[attr-defined]
    assert isinstance(hooks, ExportHooks)
    return hooks


def disclosures(db_path: Path, record_id: str) -> list[tuple[str, str, str]]:
    with raw_connect(db_path) as conn:
        return conn.execute(
            "SELECT username, recipient, justification FROM audit_events WHERE event = 'disclosure' AND record_id = ?"
            " ORDER BY id",
            (record_id,),
        ).fetchall()


def preview_painted(dialog: ExportDialog) -> bool:
    """QtPdf renders pages on its own thread: the first page is drawn once dark pixels (text) appear."""
    image = dialog.preview.view.viewport().grab().toImage()
    step = 7
    dark = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            if image.pixelColor(x, y).lightness() < 128:
                dark += 1
                if dark > 20:
                    return True
    return False


def fill(qtbot: QtBot, dialog: ExportDialog, *, recipient: str, justification: str, folder: Path) -> None:
    """Type into the dialog as a user does: recipient, reason, then the folder (replacing the suggestion)."""
    dialog.recipient.setFocus()
    line = dialog.recipient.lineEdit()
    assert line is not None
    type_text(line, recipient)
    dialog.justification.setFocus()
    type_text(dialog.justification, justification)
    dialog.folder.setFocus()
    dialog.folder.selectAll()
    type_text(dialog.folder, str(folder))


def drive_dialog(monkeypatch: pytest.MonkeyPatch, qtbot: QtBot, driver: Driver) -> list[ExportDialog]:
    """Replace ask() by one that builds the real dialog, lets ``driver`` use it, and returns its answer."""
    seen: list[ExportDialog] = []

    def ask(cls: type[ExportDialog], parent: QWidget | None, **kwargs: Any) -> ExportRequest | None:
        dialog = cls(parent, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        seen.append(dialog)
        driver(dialog)
        return dialog.request() if dialog.result() == ExportDialog.DialogCode.Accepted else None

    monkeypatch.setattr(ExportDialog, "ask", classmethod(ask))
    return seen


# ------------------------------------------------------------------------------------------ the main path
def test_officer_exports_a_submitted_record_from_its_tab(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    record_id = seed_record(db_path)
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    view = window.open_record(record_id)
    assert isinstance(view, RecordView)
    hooks = hooks_of(window)
    button = hooks.export_button(view)
    assert button is not None and button.isVisible() and button.text() == "E&xport…"

    def use(dialog: ExportDialog) -> None:
        assert dialog.preview.page_count() >= 1
        assert dialog.preview.page_count_label.text() == f"Preview — {dialog.preview.page_count()} page" + (
            "s" if dialog.preview.page_count() > 1 else ""
        )
        assert dialog.preview.note.text() == STAMP_NOTE
        assert dialog.file_name == f"{record_id}_qa_r1.pdf" and dialog.file_name in dialog.file_label.text()
        assert not dialog.export_button.isEnabled() and not dialog.export_button.isDefault()
        assert "the recipient, why it is disclosed" in dialog.hint.text()
        assert "It is not approved yet" in dialog.signed_label.text()
        fill(
            qtbot,
            dialog,
            recipient="CPS Direct",
            justification="Charging file for the hearing",
            folder=out_dir / "missing",
        )
        assert not dialog.export_button.isEnabled() and "does not exist" in dialog.hint.text()
        type_text(dialog.folder, "\b" * len("/missing"))
        assert dialog.folder.text() == str(out_dir)
        assert dialog.export_button.isEnabled() and dialog.hint.text() == "Ready to export."
        # Enter in a field never exports by accident
        dialog.folder.setFocus()
        qtbot.keyClick(dialog.folder, Qt.Key.Key_Return)
        assert dialog.isVisible() and dialog.result() != ExportDialog.DialogCode.Accepted
        qtbot.waitUntil(lambda: preview_painted(dialog), timeout=10_000)
        shot(dialog, artifacts_dir, "export_dialog_filled")
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == ExportDialog.DialogCode.Accepted

    seen = drive_dialog(monkeypatch, qtbot, use)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert seen
    qtbot.waitUntil(lambda: hooks.last_result is not None, timeout=30_000)
    result = hooks.last_result
    assert result is not None
    pdf = out_dir / f"{record_id}_qa_r1.pdf"
    assert result.pdf_path == pdf and pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in out_dir.iterdir()) == [pdf.name]  # no trust anchor beside it
    assert disclosures(db_path, record_id) == [("officer1", "CPS Direct", "Charging file for the hearing")]
    shown = [m for m in messages.shown() if m.title == "Exported"]
    assert len(shown) == 1 and str(pdf) in shown[0].text
    assert window.statusBar().currentMessage() == f"Exported {pdf.name}"
    shot(window, artifacts_dir, "export_record_tab")
    # the folder is remembered for the next export
    assert hooks.last_folder() == str(out_dir)
    close_app(window)


def test_file_menu_export_asks_before_replacing_and_keeps_the_old_file_when_told(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record_id = seed_record(db_path)
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    hooks = hooks_of(window)
    assert hooks.export_action is not None
    # nothing open yet: the menu says what to do
    hooks.export_action.trigger()
    assert messages.shown()[-1].title == "Export" and "Open the record first" in messages.shown()[-1].text
    window.open_record(record_id)
    existing = out_dir / f"{record_id}_qa_r1.pdf"
    existing.write_bytes(b"%PDF-1.7 an earlier copy")

    def use(dialog: ExportDialog) -> None:
        dialog.recipient.setFocus()
        qtbot.keyClick(dialog.recipient, Qt.Key.Key_Down)  # the arrow keys step through the common recipients
        qtbot.keyClick(dialog.recipient, Qt.Key.Key_Down)
        assert dialog.recipient_text() == "Court"
        dialog.justification.setFocus()
        type_text(dialog.justification, "Bail hearing")
        dialog.folder.setFocus()
        dialog.folder.selectAll()
        type_text(dialog.folder, str(out_dir))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

    drive_dialog(monkeypatch, qtbot, use)
    messages.set_log_only(True, confirm_reply=False)  # "Keep the old file"
    hooks.export_action.trigger()
    qtbot.waitUntil(
        lambda: not hooks.busy and any(m.kind == "confirm" for m in messages.shown()), timeout=30_000
    )
    asked = [m for m in messages.shown() if m.kind == "confirm"]
    assert asked[0].title == "File already there" and existing.name in asked[0].text
    assert existing.read_bytes() == b"%PDF-1.7 an earlier copy"
    assert hooks.last_result is None and disclosures(db_path, record_id) == []

    messages.set_log_only(True, confirm_reply=True)  # "Replace it"
    hooks.export_action.trigger()
    qtbot.waitUntil(lambda: hooks.last_result is not None, timeout=30_000)
    assert existing.read_bytes() != b"%PDF-1.7 an earlier copy" and existing.read_bytes().startswith(b"%PDF-")
    assert disclosures(db_path, record_id) == [("officer1", "Court", "Bail hearing")]
    close_app(window)


def test_supervisor_exports_an_approved_record_of_another_officer(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    record_id = seed_record(db_path, approve=True)
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    monkeypatch.setattr(
        JustificationDialog, "ask", classmethod(lambda cls, *a, **k: "Preparing the MARAC pack")
    )
    view = window.open_record(record_id)
    assert isinstance(view, RecordView)
    hooks = hooks_of(window)
    button = hooks.export_button(view)
    assert button is not None and button.isVisible()
    monkeypatch.setattr(dialog_module, "pick_folder", lambda parent, start: str(out_dir))

    def use(dialog: ExportDialog) -> None:
        assert "URN TPS-" in dialog.findChild(QWidget, "dialogHeading").text()  # type: ignore[union-attr]
        assert "the supervisor's, made at approval (URN TPS-" in dialog.signed_label.text()
        # "Other…" empties the box so the real recipient is typed, never logged as "Other"
        dialog.recipient.setCurrentIndex(dialog.recipient.findText("Other…"))
        dialog.recipient.activated.emit(dialog.recipient.currentIndex())
        assert dialog.recipient_text() == ""
        line = dialog.recipient.lineEdit()
        assert line is not None
        type_text(line, "Children's Social Care – Ceredigion")
        dialog.justification.setFocus()
        type_text(dialog.justification, "Strategy meeting under s.47")
        qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
        assert dialog.folder.text() == str(out_dir)
        qtbot.waitUntil(lambda: preview_painted(dialog), timeout=10_000)
        shot(dialog, artifacts_dir, "export_dialog_supervisor")
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

    drive_dialog(monkeypatch, qtbot, use)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hooks.last_result is not None, timeout=30_000)
    result = hooks.last_result
    assert result is not None and result.urn and result.urn.startswith("TPS-")
    assert result.pdf_path.name == f"{result.urn}_qa_r1.pdf" and result.pdf_path.exists()
    assert disclosures(db_path, record_id) == [
        ("super1", "Children's Social Care – Ceredigion", "Strategy meeting under s.47")
    ]

    # File ▸ Verify a signed PDF… on what was just exported: one line per signature, both good
    monkeypatch.setattr(hooks_module, "pick_pdf", lambda parent, start: str(result.pdf_path))
    hooks.verify_action.trigger()
    qtbot.waitUntil(lambda: hooks.last_verification is not None, timeout=30_000)
    report = messages.shown()[-1]
    assert report.title == "Signatures checked: trusted" and report.kind == "info"
    assert f"{result.pdf_path.name}: All 2 signature(s) are intact and trusted." in report.text
    assert "Checked against this station's own CA." in report.text
    assert "station CA not certified by a force" in report.text
    lines = report.text.splitlines()[2:4]
    assert lines[0].startswith("1. Olga Officer (collar PC101) (attached signed submission) — ")
    assert lines[0].endswith(": GOOD")
    assert lines[1].startswith("2. Sam Sergeant (collar PS201) — Quality assured — ") and lines[1].endswith(
        ": GOOD"
    )
    close_app(window)


# ------------------------------------------------------------------------------------------ refusals
def test_a_draft_offers_no_export_and_the_menu_says_why(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record_id = seed_record(db_path, submit=False)
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    view = window.open_record(record_id)
    assert isinstance(view, RecordView)
    hooks = hooks_of(window)
    button = hooks.export_button(view)
    assert button is not None and not button.isVisible()
    opened: list[Any] = []
    monkeypatch.setattr(ExportDialog, "ask", classmethod(lambda cls, *a, **k: opened.append(k)))
    assert hooks.export_action is not None
    hooks.export_action.trigger()
    assert not opened
    assert messages.shown()[-1].title == "Nothing to export yet"
    # once the officer submits it (and signs), Export… appears on the same tab
    monkeypatch.setattr(SubmitDialog, "ask", classmethod(lambda cls, parent, **kw: OFFICER_PASSWORD))
    qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.wizard.read_only, timeout=30_000)
    assert button.isVisible()
    close_app(window)


def test_a_failed_export_is_shown_calmly_and_can_be_retried(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record_id = seed_record(db_path)
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    view = window.open_record(record_id)
    assert isinstance(view, RecordView)
    hooks = hooks_of(window)
    gone = out_dir / "usb-stick"
    gone.mkdir()
    request = ExportRequest(recipient="CPS", justification="Charging file", folder=gone)
    monkeypatch.setattr(ExportDialog, "ask", classmethod(lambda cls, *a, **k: request))
    gone.rmdir()  # the stick was pulled out after the folder was chosen
    qtbot.mouseClick(hooks.export_button(view), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: not hooks.busy and any(m.kind == "error" for m in messages.shown()), timeout=30_000
    )
    error = [m for m in messages.shown() if m.kind == "error"][-1]
    assert "does not exist" in error.text and "Traceback" not in error.text
    assert hooks.last_result is None and disclosures(db_path, record_id) == []
    gone.mkdir()
    qtbot.mouseClick(hooks.export_button(view), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hooks.last_result is not None, timeout=30_000)
    assert (gone / f"{record_id}_qa_r1.pdf").exists()
    close_app(window)


def test_verify_reports_an_altered_file_and_a_file_that_is_not_a_pdf(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record_id = seed_record(db_path)
    window = open_app(qtbot, db_path, monkeypatch, "admin", ADMIN_PASSWORD)
    hooks = hooks_of(window)
    assert hooks.export_action is None  # administrators never read record content
    texts = [a.text() for a in window.menus["file"].actions()]
    assert "&Verify a signed PDF or board pack…" in texts and "E&xport signed record…" not in texts
    assert texts.index("&Verify a signed PDF or board pack…") < texts.index("&Close form")

    from dsvdesk.store import Store

    with Store.open(db_path) as store:
        data = store.signed_pdf(store.login("officer1", OFFICER_PASSWORD), record_id, 1)
    assert data is not None
    tampered = bytearray(data)
    position = tampered.index(b"stream", tampered.index(b"/Type /Page")) + 40
    tampered[position] ^= 0x01
    bad = out_dir / "altered.pdf"
    bad.write_bytes(bytes(tampered))
    monkeypatch.setattr(hooks_module, "pick_pdf", lambda parent, start: str(bad))
    hooks.verify_action.trigger()
    qtbot.waitUntil(lambda: hooks.last_verification is not None, timeout=30_000)
    report = messages.shown()[-1]
    assert report.kind == "warning" and "has been altered since it was signed" in report.text
    assert "1. Olga Officer (collar PC101)" in report.text and "ALTERED" in report.text
    assert report.title == "Signatures FAILED: do not rely on this file"

    # the same intact file checked on a PC that trusts nothing: intact, but anyone could have made it
    from dsvdesk.store.trust import TrustAnchors

    good = out_dir / "good.pdf"
    good.write_bytes(data)
    monkeypatch.setattr(
        window.context.store, "trust_anchors", lambda: TrustAnchors(roots=(), description="nothing")
    )
    monkeypatch.setattr(hooks_module, "pick_pdf", lambda parent, start: str(good))
    hooks.last_verification = None
    hooks.verify_action.trigger()
    qtbot.waitUntil(lambda: hooks.last_verification is not None, timeout=30_000)
    report = messages.shown()[-1]
    assert report.kind == "warning" and report.title == "Signatures intact but NOT trusted"
    assert "Anyone could have made a document like this" in report.text

    notes = out_dir / "notes.pdf"
    notes.write_text("just text", encoding="utf-8")
    monkeypatch.setattr(hooks_module, "pick_pdf", lambda parent, start: str(notes))
    hooks.verify_action.trigger()
    qtbot.waitUntil(lambda: messages.shown()[-1].kind == "error", timeout=30_000)
    assert "is not a PDF file" in messages.shown()[-1].text
    # cancelling the file chooser does nothing
    monkeypatch.setattr(hooks_module, "pick_pdf", lambda parent, start: "")
    count = len(messages.shown())
    hooks.verify_action.trigger()
    assert len(messages.shown()) == count
    close_app(window)
