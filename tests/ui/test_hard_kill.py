"""Autosave survives a hard kill: the app types in a subprocess, gets SIGKILLed, the database keeps
every answer the store had acknowledged (and nothing but what was typed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dsvdesk.store import Store
from tests.ui.autosave_child import NAME, NARRATIVE
from tests.ui.conftest import OFFICER_PASSWORD
from tests.ui.forms import ALL_TYPES_FORM

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("acks_before_kill", [3, 9])
def test_acknowledged_saves_survive_sigkill(tmp_path: Path, db_path: Path, acks_before_kill: int) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "uitest.yaml").write_text(ALL_TYPES_FORM, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DSVDESK_FORMS=str(forms))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.ui.autosave_child", str(db_path), OFFICER_PASSWORD],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    acked: dict[str, object] = {}
    record_id = ""
    deadline = time.monotonic() + 60
    try:
        assert child.stdout is not None
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "RECORD":
                record_id = rest
            elif kind == "ACK":
                answer_id, _, value = rest.partition(" ")
                acked[answer_id] = json.loads(value)
                acks_before_kill -= 1
                if acks_before_kill <= 0:
                    break
            elif kind == "DONE":
                break
    finally:
        child.send_signal(signal.SIGKILL)
        _out, err = child.communicate(timeout=30)
    assert record_id, f"the app did not start: {err}"
    assert acked, f"nothing was saved before the kill: {err}"

    with Store.open(db_path) as store:
        session = store.login("officer1", OFFICER_PASSWORD)
        saved = dict(store.open_record(session, record_id).answers)
    for answer_id, value in acked.items():
        stored = saved.get(answer_id)
        full = NAME if answer_id == "victim_name" else NARRATIVE
        assert isinstance(stored, str) and isinstance(value, str)
        # What was acknowledged is there - or something typed after it, never less, never other text.
        assert stored.startswith(value), (answer_id, value, stored)
        assert full.startswith(stored)
