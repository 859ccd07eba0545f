"""Sign-in to the main window shown, in a fresh process: ``app_sign_in.py DB USERNAME PASSWORD [RUNS]``.

The real ``ui.app.start`` (the sign-in window's work replaced by a direct ``store.login``, as the memory
child does), timed from the moment the credentials are accepted to the main window's first paint.
RUNS sign-ins in a row (each with a fresh window); the first is the one a user waits for after the
station PC started. Prints ``RESULT ms=<a,b,...> list_queries=<n>`` where ``list_queries`` counts the
store's record-list calls (``list_records``) during the first sign-in.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject


class _Painted(QObject):
    seen = False

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.seen = True
        return False


def main() -> int:
    from dsvdesk.store.records import RecordOps
    from dsvdesk.ui.app import apply_look, end_session, ensure_application, start

    db, username, password = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    app = ensure_application()
    apply_look(app)
    calls = {"n": 0}
    original = RecordOps.list_records

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return original(self, *args, **kwargs)

    RecordOps.list_records = counted  # type: ignore[method-assign]
    samples: list[float] = []
    queries = 0
    for run in range(runs):
        marks: dict[str, float] = {}

        def login(store, marks=marks, **_kw):  # type: ignore[no-untyped-def]
            session = store.login(username, password)
            marks["start"] = time.perf_counter()
            return session

        calls["n"] = 0
        watcher = _Painted()
        window = start(Path(db), sign_in_fn=login)
        if window is None:
            print("FAILED the app did not start", flush=True)
            return 1
        window.installEventFilter(watcher)
        for _ in range(500):
            app.processEvents()
            if watcher.seen:
                break
        samples.append((time.perf_counter() - marks["start"]) * 1000)
        if run == 0:
            queries = calls["n"]
        window.close()
        end_session(window)
    print(f"RESULT ms={','.join(f'{s:.1f}' for s in samples)} list_queries={queries}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
