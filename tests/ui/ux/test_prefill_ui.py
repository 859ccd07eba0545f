"""Issue 20, item 7 in the app: "New 124D" opens with the attending officer, the declaration (name,
collar, station) and the date and time already filled from the signed-in user and the clock, editable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from dsvdesk.ui.qt import QApplication
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.wizard.editors import DateTimeEditor, RepeatEditor
from tests.ui.conftest import OFFICER_PASSWORD, type_text
from tests.ui.ux.conftest import close_app, start_as


def test_a_new_124d_starts_with_what_is_known(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, tmp_path: Path
) -> None:
    before = dt.datetime.now().replace(second=0, microsecond=0)
    window = start_as(qtbot, db_path, tmp_path, "officer1", OFFICER_PASSWORD)
    spec = next(s for s in window.forms if s.id == "124d")
    view = window.new_record(spec)
    assert isinstance(view, RecordView)
    wizard = view.wizard
    assert wizard.block("officer_name").focus_target().text() == "Olga Officer"  # type: ignore[attr-defined]
    assert wizard.block("officer_collar").focus_target().text() == "PC101"  # type: ignore[attr-defined]
    assert wizard.block("officer_station").focus_target().text() == "Test Police Station"  # type: ignore[attr-defined]
    when = wizard.block("declaration_datetime").editor
    assert isinstance(when, DateTimeEditor)
    stamped = dt.datetime.fromisoformat(when.value())
    assert before <= stamped <= dt.datetime.now()
    attending = wizard.block("officers_attending").editor
    assert isinstance(attending, RepeatEditor)
    assert attending.value() == [{"name": "Olga Officer", "collar_number": "PC101"}]
    # editable like any answer
    name = wizard.block("officer_name").focus_target()
    name.setFocus()
    name.selectAll()  # type: ignore[attr-defined]
    type_text(name, "PC Olga Officer")
    assert wizard.answers()["officer_name"] == "PC Olga Officer"
    close_app(window)
