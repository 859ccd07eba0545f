"""The PySide6 6.12 / Python 3.11 refcount bug in Signal.emit (see dsvdesk/ui/qt.py) cannot crash us."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EMIT_MANY = """
import dsvdesk.ui.qt as qt
class Source(qt.QObject):
    changed = qt.Signal(str, object)
    plain = qt.Signal()
source = Source()
received = []
source.changed.connect(lambda key, value: received.append(key))
for n in range(20000):
    source.changed.emit("q1", n)
    source.plain.emit()
assert len(received) == 20000
print("ok")
"""


def test_many_emits_in_a_fresh_interpreter_do_not_abort() -> None:
    # A fresh interpreter starts with only a few hundred references to True: without the shim this
    # aborts with "bool_dealloc" long before the loop ends.
    result = subprocess.run(
        [sys.executable, "-c", EMIT_MANY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
