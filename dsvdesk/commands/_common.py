"""Helpers shared by the headless commands: open the store from ``--db``, read passwords, sign in,
read answer files, find form definitions. Qt-free; imports of the store happen on first use."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import BadInput, EnvironmentProblem, NotFound, UsageError

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store import Session, Store

PASSWORD_ENV = "DSVDESK_PASSWORD"  # noqa: S105 - the variable's name, not a password
NEW_PASSWORD_ENV = "DSVDESK_NEW_PASSWORD"  # noqa: S105 - the variable's name, not a password
RECOVERY_KEY_ENV = "DSVDESK_RECOVERY_KEY"
MAX_ANSWERS_FILE_BYTES = 64 * 1024 * 1024


def add_user_option(parser: argparse.ArgumentParser, who: str = "who is acting (signs in)") -> None:
    parser.add_argument("--user", required=True, metavar="USERNAME", help=who)


def add_common(parser: argparse.ArgumentParser) -> None:
    from dsvdesk.cli import add_db_option

    add_db_option(parser)


@contextmanager
def open_store(args: argparse.Namespace, *, create: bool = False) -> Iterator[Store]:
    """The Store at ``--db`` / ``$DSVDESK_DB`` / the default path, closed afterwards."""
    from dsvdesk.cli import db_path
    from dsvdesk.store import Store, convert

    store = Store.open(db_path(args), create=create)
    notice = convert.take_notice(store.path)
    if notice:  # a DSVDesk 0.1 database was just encrypted: its recovery key is shown this once
        print(notice, file=sys.stderr)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_existing_store(args: argparse.Namespace) -> Iterator[Store]:
    """`open_store` for commands that only use a station's data (export, partA, pack): a missing
    database is named before anything is opened."""
    from dsvdesk.cli import db_path

    path = db_path(args)
    if not path.exists():
        raise NotFound(f"There is no DSVDesk database at {path}. Give --db, or run `dsvdesk init` first.")
    with open_store(args) as store:
        yield store


def _interactive() -> bool:
    return sys.stdin.isatty()


def read_password(username: str) -> str:
    """``$DSVDESK_PASSWORD`` for scripts, else a hidden prompt."""
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not _interactive():
        raise UsageError(
            f"A password is needed for {username}: set ${PASSWORD_ENV} or run the command in a terminal."
        )
    return getpass.getpass(f"Password for {username}: ")


def read_recovery_key() -> str:
    """``$DSVDESK_RECOVERY_KEY`` for scripts, else a hidden prompt."""
    text = os.environ.get(RECOVERY_KEY_ENV)
    if text is not None:
        return text
    if not _interactive():
        raise UsageError(
            f"The station recovery key is needed: set ${RECOVERY_KEY_ENV} or run the command in a terminal."
        )
    return getpass.getpass("Station recovery key: ")


def read_new_password(username: str, *, env: str = NEW_PASSWORD_ENV) -> str:
    """A new password: from ``env`` for scripts, else typed twice at a hidden prompt."""
    password = os.environ.get(env)
    if password is not None:
        return password
    if not _interactive():
        raise UsageError(
            f"A new password is needed for {username}: set ${env} or run the command in a terminal."
        )
    first = getpass.getpass(f"New password for {username}: ")
    second = getpass.getpass(f"New password for {username} again: ")
    if first != second:
        raise BadInput("The two passwords are different; nothing was changed. Try again.")
    return first


def sign_in(store: Store, username: str) -> tuple[Session, str]:
    """Sign in as ``username``; returns the session and the password (signing needs it again)."""
    if not store.is_initialised():
        raise NotFound(
            f"The database {store.path} is not set up yet. Run `dsvdesk init --station NAME --admin USERNAME` first."
        )
    password = read_password(username)
    session = store.login(username, password)
    if session.notice:  # someone else set this user's password since they last signed in (issue 15)
        print(session.notice, file=sys.stderr)
    return session, password


def read_answers_file(path: Path) -> dict[str, Any]:
    """A JSON object of answers {question_id: value}; clear messages for anything else."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ANSWERS_FILE_BYTES:
            raise BadInput(f"The answers file {path} is too large ({size:,} bytes).")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"There is no answers file at {path}.") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder; give the path of a .json file.") from None
    except UnicodeDecodeError:
        raise BadInput(f"The answers file {path} is not UTF-8 text; save it as UTF-8 JSON.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"The answers file {path} cannot be read: {exc.strerror or exc}.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno}). "
            'The file should look like {"victim_name": "Jane Doe", "dash_q1": "yes"}.'
        ) from None
    except RecursionError:
        raise BadInput(f"{path} is nested too deeply to be answers.") from None
    if not isinstance(data, dict):
        raise BadInput(
            f"{path} must hold one JSON object of answers keyed by question id, "
            'for example {"victim_name": "Jane Doe"}.'
        )
    return data


def load_form_specs() -> dict[str, FormSpec]:
    """The shipped (or $DSVDESK_FORMS) definitions; problems shown as file:line -> fix."""
    from dsvdesk import paths
    from dsvdesk.engine.errors import FormDefinitionErrors
    from dsvdesk.engine.loader import load_forms_dir

    try:
        return load_forms_dir(paths.forms_dir())
    except FormDefinitionErrors as exc:
        raise BadInput(f"The form definitions cannot be used.\n{exc}") from None


def form_spec(form_id: str) -> FormSpec:
    specs = load_form_specs()
    if form_id not in specs:
        known = ", ".join(sorted(specs)) or "none"
        raise NotFound(f"There is no form {form_id!r}. Forms available: {known}.")
    return specs[form_id]


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
