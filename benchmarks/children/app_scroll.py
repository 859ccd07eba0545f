"""Peak memory of the app with a big database, the officer's list scrolled from first row to last.

Run as a script in a fresh process: ``app_scroll.py DB USERNAME PASSWORD``. Starts the real app (fonts,
style, main window) signed in as USERNAME, lets it make the session's name order in the background (as it
does after every sign-in), finds the largest record list, pages it to the end one screenful at a time
(each painted), and prints ``RESULT rows=<n> peak_rss_mb=<x>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QModelIndex
from PySide6.QtWidgets import QTableView


def peak_rss_mb() -> float:
    """The process's high-water mark of resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    from dsvdesk.ui.app import apply_look, ensure_application, start

    db, username, password = sys.argv[1], sys.argv[2], sys.argv[3]
    app = ensure_application()
    apply_look(app)
    window = start(Path(db), sign_in_fn=lambda store, **_kw: store.login(username, password))
    if window is None:
        print("FAILED the app did not start", flush=True)
        return 1
    app.processEvents()
    # The app makes the session's name order off the UI thread right after sign-in (issue 22): let it
    # (its memory counts), as the events a user's first seconds would run.
    warm = getattr(window.context, "name_orders", None)
    if warm is not None and not warm.is_ready:
        waiting = QEventLoop()
        warm.ready.connect(waiting.quit)
        waiting.exec()
    tables = [t for t in window.findChildren(QTableView) if t.model() is not None]
    if not tables:
        print("FAILED no record list in the main window", flush=True)
        return 1
    table = max(tables, key=lambda t: getattr(t.model(), "total", t.model().rowCount()))
    model = table.model()
    root = QModelIndex()
    # Page through every row as a user paging down would (issue 22: the old loop waited for
    # canFetchMore(), which this lazy model never says, so it jumped to the end once). One screenful per
    # step, each painted: every page of the list is read from the store and most are dropped again.
    bar = table.verticalScrollBar()
    app.processEvents()
    step = max(1, bar.pageStep())
    screens = 0
    value = bar.minimum()
    while value < bar.maximum():
        value = min(bar.maximum(), value + step)
        bar.setValue(value)
        table.viewport().repaint()
        screens += 1
    app.processEvents()
    last = table.rowAt(table.viewport().height() - 1)
    if last < 0:  # the viewport is taller than the rows under it
        last = model.rowCount(root) - 1
    if last != model.rowCount(root) - 1:
        print(f"FAILED the list stopped at row {last + 1} of {model.rowCount(root)}", flush=True)
        return 1
    print(f"RESULT rows={model.rowCount(root)} screens={screens} peak_rss_mb={peak_rss_mb():.1f}", flush=True)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
