"""HQ's PostgreSQL connection and its own numbered migrations (``dsvdesk/hq/migrations/NNNN_name.sql``).

psycopg 3 is imported here only: nothing on a station PC needs it. A connection URL is anything libpq
takes (``postgresql://user@host/db``, or ``postgresql:///db?host=/run/postgresql`` for a local socket).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import EnvironmentProblem, NotFound

if TYPE_CHECKING:
    import psycopg

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) of every migration, in order."""
    found = []
    for entry in resources.files("dsvdesk.hq").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


CURRENT_VERSION = max((n for n, _name, _sql in migrations()), default=0)


@contextmanager
def connect(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to HQ's database; a server that cannot be reached is an environment problem, said in
    one sentence (the URL's password, if any, is never printed)."""
    import psycopg

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)  # transactions: conn.transaction()
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise EnvironmentProblem(f"HQ's PostgreSQL database cannot be reached ({reason}).") from None
    except psycopg.ProgrammingError as exc:
        raise EnvironmentProblem(f"The PostgreSQL URL is not usable ({exc}).") from None
    try:
        yield conn
    finally:
        conn.close()


def schema_version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT to_regclass('hq_schema')").fetchone()
    if row is None or row[0] is None:
        return 0
    version = conn.execute("SELECT max(version) FROM hq_schema").fetchone()
    return int(version[0] or 0) if version else 0


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Apply the migrations not applied yet, each in its own transaction; returns the version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(4477)")  # two `hq init`s at once wait for each other
        conn.execute(
            "CREATE TABLE IF NOT EXISTS hq_schema (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = schema_version(conn)
        if current > CURRENT_VERSION:
            raise EnvironmentProblem(
                f"HQ's database was set up by a newer DSVDesk (schema {current}; this one knows {CURRENT_VERSION}). "
                "Update DSVDesk."
            )
        for number, name, sql in migrations():
            if number <= current:
                continue
            conn.execute(sql.encode("utf-8"))
            conn.execute("INSERT INTO hq_schema (version, name) VALUES (%s, %s)", (number, name))
    return schema_version(conn)


def require_schema(conn: psycopg.Connection[Any]) -> None:
    version = schema_version(conn)
    if version == 0:
        raise NotFound("HQ's database is not set up yet: run `dsvdesk hq init --pg URL` first.")
    if version < CURRENT_VERSION:
        migrate(conn)
    elif version > CURRENT_VERSION:
        raise EnvironmentProblem(
            f"HQ's database was set up by a newer DSVDesk (schema {version}). Update DSVDesk."
        )
