"""The windowed executable's script (build_spec/dsvdesk.spec): the same as the `dsvdesk-gui` gui-script."""

from dsvdesk.cli import gui_main

raise SystemExit(gui_main())
