"""Issue 20, item 3: the window fits the station PC's screen and remembers its size, and every page of
the officer's 124D and the sergeant's screens works without sideways scrolling or clipped widgets at
1366x768 (100%, 125%, 150%) and 1920x1080 (200%). Each screen runs in a subprocess whose Qt really
has that screen and scale (offscreen ``configfile`` + ``QT_SCALE_FACTOR``); screenshots are kept in
test-artifacts/ui/screens/ for a person to look at."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.store import Store
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, QByteArray
from dsvdesk.ui.state import UiState
from dsvdesk.workflow import submit_record
from tests.ui.conftest import OFFICER_PASSWORD
from tests.ui.ux.conftest import start_as
from tests.ui.ux.screens_child import run_child

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "tests" / "data" / "examples" / "124d.json"
# (name, screen width, height, scale)
SCREENS = [
    ("1366x768_100", 1366, 768, "1"),
    ("1366x768_125", 1366, 768, "1.25"),
    ("1366x768_150", 1366, 768, "1.5"),
    ("1920x1080_200", 1920, 1080, "2"),
]


@pytest.fixture
def submitted_record(db_path: Path) -> str:
    spec = load_form(ROOT / "forms" / "124d.yaml")
    reviewer = {
        q.id for s in spec.sections if s.audience.value == "reviewer" for p in s.pages for q in p.questions
    }
    answers = {
        k: v
        for k, v in json.loads(EXAMPLE.read_text(encoding="utf-8")).items()
        if k.removesuffix("__comment") not in reviewer
    }
    with Store.open(db_path) as store:
        session = store.login("officer1", OFFICER_PASSWORD)
        ref = store.create_record(session, spec, answers)
        submit_record(store, session, ref.id, OFFICER_PASSWORD)
        return ref.id


@pytest.mark.parametrize("screen", SCREENS, ids=[s[0] for s in SCREENS])
def test_every_screen_fits_without_clipping(
    *,
    screen: tuple[str, int, int, str],
    db_path: Path,
    tmp_path: Path,
    submitted_record: str,
    artifacts_dir: Path,
) -> None:
    name, width, height, scale = screen
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {"name": "station", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96}
                ]
            }
        ),
        encoding="utf-8",
    )
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR=scale)
    report = run_child(env, db_path, artifacts_dir / "ui" / "screens", name, submitted_record)
    logical = (round(width / float(scale)), round(height / float(scale)))
    assert tuple(report["screen"][2:]) in {
        logical,
        (logical[0] - 1, logical[1]),
        (logical[0], logical[1] - 1),
    }


@pytest.mark.usefixtures("ui_app")
def test_the_window_fits_the_screen_and_a_remembered_size_is_kept_when_it_fits(
    qtbot: QtBot, db_path: Path, tmp_path: Path
) -> None:
    window = start_as(qtbot, db_path, tmp_path, "officer1", OFFICER_PASSWORD)
    area = window.screen().availableGeometry()
    assert window.width() <= area.width() and window.height() <= area.height()
    assert area.contains(window.geometry())
    window.resize(700, 500)
    qtbot.waitUntil(lambda: window.width() == 700)
    window.close()
    window.context.store.close()
    again = start_as(qtbot, db_path, tmp_path, "officer1", OFFICER_PASSWORD)
    assert (again.width(), again.height()) == (700, 500)
    # a size remembered from a bigger screen is shrunk to this one
    again.resize(3000, 2000)
    state = UiState(tmp_path / "state.ini")
    state.set_window_geometry(QByteArray(again.saveGeometry()))
    again.close()
    again.context.store.close()
    third = start_as(qtbot, db_path, tmp_path, "officer1", OFFICER_PASSWORD)
    assert third.width() <= area.width() and third.height() <= area.height()
    assert isinstance(third, MainWindow) and QApplication.instance() is not None
    third.close()
    third.context.store.close()
