"""`dsvdesk-gui` (the windowed program): with no console, sys.stdout and sys.stderr are None on Windows;
whatever the app or argparse prints must then not fail."""

from __future__ import annotations

import sys
from pathlib import Path

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


@pytest.mark.parametrize(
    "words",
    [
        [],
        ["--demo"],
        ["--db", "station.sqlite3"],
        ["--db=station.sqlite3"],
        ["--db", "my station.sqlite3", "--demo"],
        ["--demo", "--db=a=b.sqlite3"],
    ],
)
def test_a_plain_start_is_read_as_the_parser_reads_it(words: list[str]) -> None:
    """The app's own words are read without building the parser (cold start), to the same arguments."""
    assert cli.plain_app_args(words) == cli.build_parser(with_commands=False).parse_args(words)


@pytest.mark.parametrize(
    "words",
    [
        ["--db"],
        ["--db="],
        ["--db", "--demo"],
        ["--db", "-x.sqlite3"],
        ["--demo", "--demo"],
        ["--db", "a", "--db", "b"],
        ["--dem"],
        ["--dbx"],
        ["--help"],
        ["--version"],
        ["--", "x"],
        ["demo", "--records", "10"],
    ],
)
def test_anything_else_is_left_to_the_parser(words: list[str]) -> None:
    assert cli.plain_app_args(words) is None


def test_a_plain_start_opens_the_app_with_its_database(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    monkeypatch.setattr(cli, "run_gui", lambda args: opened.append((args.db, args.demo)) or 0)
    monkeypatch.setattr(cli.log, "setup_file_logging", lambda **_kw: None)  # no process-wide logging set-up
    assert cli.main(["--db", "station.sqlite3", "--demo"]) == 0
    assert opened == [(Path("station.sqlite3"), True)]
