"""Cold start of DSVDesk as `make run` starts it (`dsvdesk --db DB --demo`), to its first window painted.

Run as a script in a fresh process: ``app_start.py DB``. Prints ``SHOWN <window class>`` when the first
top-level window (the login dialog on an initialised database) has painted, then exits at once
(paint_watch.py: the same instrument as the floor's). Modules are imported in the ``dsvdesk``
command's order: its own module, which imports no Qt, then the app's (which imports Qt part-way), and
only then the instrument. (Importing Qt first would put every DSVDesk module behind PySide's import
hook, which reads the source of each module imported after PySide, as the app never does.)
"""

from __future__ import annotations

import sys

from dsvdesk import cli
from dsvdesk.ui import app  # noqa: F401 - what ``cli.main`` imports first on a plain start (run_gui)

# isort: split
# (the instrument imports Qt: after DSVDesk's modules, as above)
from paint_watch import report_first_paint  # benchmarks/children/, beside this script

report_first_paint()
sys.exit(cli.main(["--db", sys.argv[1], "--demo"]))
