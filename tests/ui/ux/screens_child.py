"""Run by test_screens.py in a subprocess whose Qt has a station PC's screen (the offscreen platform's
``configfile``) and scale (``QT_SCALE_FACTOR``): the officer's 124D, every page, then the sergeant's
queue, review screen, approve dialog, dashboard and board tabs. For each, the geometry problems
(tests/ui/ux/geometry.py) are collected and a screenshot is saved; one JSON line is printed.

Under a real X server (test_screens_xvfb.py) the screenshots are of the whole screen (``QScreen.grabWindow``).

Usage: python -m tests.ui.ux.screens_child DB_PATH OUT_DIR NAME RECORD_ID
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtTest import QTest

from dsvdesk.ui import messages
from dsvdesk.ui.app import apply_look, ensure_application, start
from dsvdesk.ui.dialogs.base import FRAME_CHECK_MS
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, QWidget
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.state import UiState
from dsvdesk.ui.wizard.editors import YesNoEditor
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD
from tests.ui.ux.geometry import problems

# Set (by test_screens_xvfb.py) when Qt runs on a real X server: screenshots are of the whole screen.
GRAB_SCREEN = "DSVDESK_GRAB_SCREEN"
FRAME_WAITS = 250  # x 20 ms: how long the window manager may take to frame a window
MIN_SHOTS = 10  # officer and sergeant screens: at least this many pictures for a person to look at
SHOT_PAGES = {"victim", "dash_current", "dash_history", "risk_assessment", "officer_declaration"}


def run_child(env: dict[str, str], db_path: Path, out_dir: Path, name: str, record_id: str) -> dict[str, Any]:
    """Run this module in a subprocess with ``env`` (the platform, screen and scale a test sets up) and
    return its report, after the checks both screen tests make: it exited 0, found no geometry
    problem, took its screenshots, and Qt printed no warning. The test asserts what is its own (the
    screen's size, the pictures' size)."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "tests.ui.ux.screens_child", str(db_path), str(out_dir), name, record_id],
        cwd=Path(__file__).resolve().parents[3],
        env={k: v for k, v in env.items() if k != "DSVDESK_FORMS"},  # the real forms
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["problems"] == {}, json.dumps(report["problems"], indent=1)[:4000]
    assert len(report["shots"]) >= MIN_SHOTS
    warnings = [
        line for line in result.stderr.splitlines() if "propagateSizeHints" not in line and line.strip()
    ]
    assert not [w for w in warnings if "Warning" in w or "QWidget::" in w], warnings[:10]
    return report


def framed(window: QWidget) -> None:
    """On a real X server: wait until the window is mapped and the window manager has put its frame
    round it (the frame's top above the window's), so frameGeometry() is the real one, and the window
    has had its chance to fit itself to it."""
    QTest.qWaitForWindowExposed(window)
    for _ in range(FRAME_WAITS):
        if window.frameGeometry().top() < window.geometry().top():
            break
        QTest.qWait(20)
    QTest.qWait(2 * FRAME_CHECK_MS)  # a dialog looks for its frame every FRAME_CHECK_MS, then fits again


class Run:
    def __init__(self, out_dir: Path, name: str) -> None:
        self.out_dir = out_dir
        self.name = name
        self.found: dict[str, list[str]] = {}
        self.shots: list[str] = []

    def check(self, widget: QWidget, where: str, *, shot: bool) -> None:
        QApplication.processEvents()
        found = problems(widget)
        if found:
            self.found[where] = found
        if shot:
            path = self.out_dir / f"{self.name}_{where}.png"
            if os.environ.get(GRAB_SCREEN):  # a real X server: the whole screen, window manager frame and all
                QTest.qWaitForWindowExposed(widget.window())
                QApplication.processEvents()
                widget.screen().grabWindow(0).save(str(path))
            else:
                widget.grab().save(str(path))
            self.shots.append(path.name)

    def fits_screen(self, window: QWidget, where: str) -> None:
        if os.environ.get(GRAB_SCREEN):
            framed(window)
        screen = window.screen()
        area = screen.availableGeometry()
        frame = window.frameGeometry()
        if not area.contains(frame):
            self.found.setdefault(where, []).append(
                f"window {frame.getRect()} is larger than or outside the screen {area.getRect()}"
            )


def sign_in_as(username: str, password: str) -> Any:
    def sign_in(gate: Any, **_kw: Any) -> Any:
        return gate.login(username, password)

    return sign_in


def officer(run: Run, db: Path, state: UiState) -> None:
    window = start(db, sign_in_fn=sign_in_as("officer1", OFFICER_PASSWORD), ui_state=state)
    assert isinstance(window, MainWindow)
    window.show()
    run.fits_screen(window, "officer_window")
    run.check(window, "officer_home", shot=True)
    view = window.new_record(window.forms[0])
    assert isinstance(view, RecordView)
    for question_id in ("dash_q1", "dash_q17"):  # findings and a high-risk list in the panel
        editor = view.wizard.block(question_id).editor
        assert isinstance(editor, YesNoEditor)
        editor.radios["yes"].click()
    for page_id in view.wizard.visible_page_ids():
        view.wizard.go_to_page(page_id)
        run.check(window, f"officer_{page_id}", shot=page_id in SHOT_PAGES)
    window.close()
    window.context.store.close()


def supervisor(run: Run, db: Path, state: UiState, record_id: str) -> None:
    from dsvdesk.ui.review import ApproveDialog
    from dsvdesk.workflow import review_question

    window = start(db, sign_in_fn=sign_in_as("super1", SUPERVISOR_PASSWORD), ui_state=state)
    assert isinstance(window, MainWindow)
    window.show()
    run.fits_screen(window, "supervisor_window")
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        title = window.tabs.tabText(index).replace("&", "").lower().replace(" ", "_")
        run.check(window, f"supervisor_tab_{title}", shot=True)
    screen = window.qa_hooks.open_review(record_id)  # type: ignore[attr-defined]
    for page_id in screen.wizard.visible_page_ids():
        screen.wizard.go_to_page(page_id)
        run.check(window, f"review_{page_id}", shot=page_id in {"dash_history", "supervisor_review"})
    spec = screen.record.spec
    dialog = ApproveDialog(
        window,
        grade_question=review_question(spec, "grade"),
        officer_grade="High",
        officer_grade_value="high",
        grade=None,
        rationale="",
        check=screen.approval_problems,
        page_titles={p.id: p.title for p in spec.pages},
    )
    dialog.show()
    dialog.password.setText("x")
    dialog.approve_button.click()  # the QA questions are not answered: the problems are listed
    run.fits_screen(dialog, "approve_dialog")
    run.check(dialog, "approve_dialog", shot=True)
    dialog.reject()
    screen.flush()
    window.close()
    window.context.store.close()


def main() -> int:
    db, out_dir, name, record_id = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    out_dir.mkdir(parents=True, exist_ok=True)
    app = ensure_application()
    apply_look(app)
    messages.set_log_only(True)
    run = Run(out_dir, name)
    state = UiState(out_dir / f"{name}-state.ini")
    officer(run, db, state)
    supervisor(run, db, state, record_id)
    screen = app.primaryScreen()
    print(
        json.dumps(
            {
                "screen": screen.availableGeometry().getRect(),
                "scale": screen.devicePixelRatio(),
                "problems": run.found,
                "shots": run.shots,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
