"""Run by test_hard_kill.py in a subprocess: the real main window and wizard, an officer typing on a
timer, and one line printed per answer the store has acknowledged (after its commit). The parent
SIGKILLs this process at some point and checks the database.

Usage: python -m tests.ui.autosave_child DB_PATH OFFICER_PASSWORD
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest

from dsvdesk.engine.loader import load_forms_dir
from dsvdesk.paths import forms_dir
from dsvdesk.store import Store
from dsvdesk.ui import messages, record_view
from dsvdesk.ui.app import ensure_application
from dsvdesk.ui.context import AppContext
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import Qt, QTimer
from dsvdesk.ui.state import UiState

NAME = "Małgorzata Wiśniewska-Kowalczyk, née Żółkiewska"
NARRATIVE = "The victim said the suspect pushed her against the door and took her phone. " * 3

_original_save = record_view.StoreSink.save


def acknowledging_save(self: record_view.StoreSink, answer_id: str, value: Any) -> None:
    _original_save(self, answer_id, value)  # returns only after the commit
    print("ACK", answer_id, json.dumps(value, ensure_ascii=False), flush=True)


def main() -> int:
    db_path, password = Path(sys.argv[1]), sys.argv[2]
    messages.set_log_only(True)
    record_view.StoreSink.save = acknowledging_save  # type: ignore[method-assign]
    app = ensure_application()
    store = Store.open(db_path)
    session = store.login("officer1", password)
    store.checkpoint_in_background()  # as the app's store: a kill may land in a checkpoint too
    forms = load_forms_dir(forms_dir())
    context = AppContext(store=store, session=session, db_path=db_path, forms=dict(forms), ui_state=UiState())
    window = MainWindow(context, install_screens=False)
    window.show()
    spec = next(iter(forms.values()))
    view = window.new_record(spec)
    assert view is not None
    print("RECORD", view.record_id, flush=True)
    name_line = view.wizard.block("victim_name").editor.line  # type: ignore[union-attr]
    narrative = view.wizard.block("narrative").editor.text  # type: ignore[union-attr]
    keys = [(name_line, ch) for ch in NAME] + [(narrative, ch) for ch in NARRATIVE]
    position = 0

    def type_next() -> None:
        nonlocal position
        if position >= len(keys):
            print("DONE", flush=True)
            return
        widget, ch = keys[position]
        position += 1
        widget.setFocus()
        QTest.sendKeyEvent(
            QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
        )

    timer = QTimer()
    timer.setInterval(15)  # a fast typist, so the debounce keeps being restarted between saves
    timer.timeout.connect(type_next)
    timer.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
