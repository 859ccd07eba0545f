"""`dsvdesk-gui` (the windowed program): with no console, sys.stdout and sys.stderr are None on Windows;
whatever the app or argparse prints must then not fail."""

from __future__ import annotations

import sys

import pytest

from dsvdesk import cli


def test_gui_entry_survives_having_no_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    monkeypatch.setattr(sys, "argv", ["dsvdesk-gui", "--version"])
    with pytest.raises(SystemExit) as exc:
        cli.gui_main()  # --version prints and exits: into the null device, not into None
    assert exc.value.code == 0
    assert sys.stdout is not None and sys.stderr is not None


def test_gui_entry_opens_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[bool] = []
    monkeypatch.setattr(sys, "argv", ["dsvdesk-gui", "--db", "station.sqlite3"])
    monkeypatch.setattr(cli, "run_gui", lambda _args: opened.append(True) or 0)
    monkeypatch.setattr(cli.log, "setup_file_logging", lambda **_kw: None)  # no process-wide logging set-up
    assert cli.gui_main() == 0 and opened == [True]
