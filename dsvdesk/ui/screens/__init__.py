"""Screens other parts add to the main window (review queue, dashboard, board report).

Drop a module here with ``install(window: MainWindow) -> None``; the main window calls it once at
start-up, in module-name order. Check ``window.context.role`` inside ``install`` to add a tab only
for the users who need it, e.g.::

    def install(window):
        if window.context.is_supervisor:
            window.add_tab(ReviewQueue(window.context, window.open_record), "&Review queue")
"""
