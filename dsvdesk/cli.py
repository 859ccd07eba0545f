"""The ``dsvdesk`` command: the GUI by default, sub-commands for headless work.

Sub-commands live in ``dsvdesk/commands/<area>.py``; each module exposes ``register(subparsers)`` and
is found automatically, so adding a command never means editing this file. Command modules import
their heavy dependencies (reportlab, pyHanko, Qt) inside the handler, so ``dsvdesk --version`` and
every headless command start without Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dsvdesk import __version__, log, paths
from dsvdesk.errors import ExitCode, UserFacingError, exit_code_for, exit_codes_epilog

Handler = Callable[[argparse.Namespace], int]


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    """The full parser; ``with_commands=False`` leaves the sub-commands out (opening the app needs none of
    them, and importing every command module would slow the window's start)."""
    parser = argparse.ArgumentParser(
        prog="dsvdesk",
        description="DSVDesk: 124D/DASH forms, supervisor QA and Board reports, offline. "
        "With no sub-command, opens the app.",
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"DSVDesk {__version__}")
    add_db_option(parser)
    parser.add_argument(
        "--demo", action="store_true", help="show demo passwords on the login screen (demo databases only)"
    )
    if not with_commands:
        return parser
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    import pkgutil  # here, not at the top: only the sub-commands need it, and the app's start does not

    import dsvdesk.commands as commands_pkg

    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"dsvdesk.commands.{info.name}")
        module.register(subparsers)
    return parser


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """``--db PATH`` on the main parser and on every sub-command (``DSVDESK_DB`` is the fallback)."""
    parser.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        help="database file (default: $DSVDESK_DB or the user data directory)",
    )


def db_path(args: argparse.Namespace) -> Path:
    value = getattr(args, "db", None)
    return Path(value) if value else paths.default_db_path()


def run_gui(args: argparse.Namespace) -> int:
    from dsvdesk.ui.app import run_app  # Qt is imported only when the window is wanted

    exit_code: int = run_app(db_path(args), demo=bool(getattr(args, "demo", False)))
    return exit_code


def opens_the_app(argv: Sequence[str]) -> bool:
    """True when the words name no sub-command: only the app's own options (``--db PATH``, ``--demo``)."""
    return _app_only_parser(argv) is not None


def _app_only_parser(argv: Sequence[str]) -> argparse.ArgumentParser | None:
    """The parser without sub-commands when the words only open the app, else None. Returned so
    ``main`` parses with it instead of building a second parser on the way to the window."""
    if "-h" in argv or "--help" in argv:
        return None  # the help lists the sub-commands
    app_only = build_parser(with_commands=False)
    _known, rest = app_only.parse_known_args(argv)
    return None if rest else app_only


def plain_app_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments of a plain start of the app, read without a parser: nothing but ``--demo`` and
    ``--db PATH`` (or ``--db=PATH``), each at most once, a path not starting with ``-``. What the parser
    would give for them (``--db`` only when given); None for anything else, which the parser reads.
    (Building the parser runs argparse's help texts through gettext, a few ms of every start.)"""
    found: dict[str, object] = {"demo": False}
    words = iter(argv)
    for word in words:
        if word == "--demo" and found["demo"] is False:
            found["demo"] = True
            continue
        if "db" in found or not word.startswith("--db"):
            return None
        if word == "--db":
            value = next(words, "")
        elif word.startswith("--db="):
            value = word.removeprefix("--db=")
        else:
            return None
        if not value or value.startswith("-"):
            return None
        found["db"] = Path(value)
    return argparse.Namespace(**found)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = plain_app_args(words)
    if args is None:
        parser = _app_only_parser(words) or build_parser(with_commands=True)
        args = parser.parse_args(words)
    handler: Handler = getattr(args, "handler", run_gui)
    # The app attaches the log file after sign-in (cold start); records before that are kept for it.
    log_path = log.setup_file_logging(defer=handler is run_gui)
    try:
        return handler(args)
    except UserFacingError as exc:
        print(f"dsvdesk: {exc.message}", file=sys.stderr)
        return exit_code_for(exc)
    except BrokenPipeError:
        # Output piped into e.g. `head` that stopped reading: not an error for the user.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except KeyboardInterrupt as exc:
        print("dsvdesk: interrupted; everything saved so far is kept.", file=sys.stderr)
        return exit_code_for(exc)
    except OSError as exc:
        # The machine's fault (disk full, folder not writable, file vanished), not a bug in DSVDesk.
        log.cli.warning("environment error in command %s: %s", getattr(args, "command", None) or "gui", exc)
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"dsvdesk: {exc.strerror or exc}{where}; nothing saved was changed.", file=sys.stderr)
        return exit_code_for(exc)
    except Exception as exc:
        log.cli.exception("unexpected error in command %s", getattr(args, "command", None) or "gui")
        log_path = log.setup_file_logging()  # written now, even if the app never got to sign-in
        where = f" Details were written to {log_path}." if log_path else ""
        print(f"dsvdesk: something unexpected went wrong; nothing saved was changed.{where}", file=sys.stderr)
        return exit_code_for(exc)


def gui_main() -> int:
    """``dsvdesk-gui`` (a gui-script: on Windows a windowed program, no console window behind the app).

    Without a console ``sys.stdout``/``sys.stderr`` are None; they go to the null device so nothing the
    app or argparse prints can fail (what matters is in the log file and the app's own messages)."""
    import os

    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # open for the process's life
    return main()


if __name__ == "__main__":
    sys.exit(main())
