"""The demo accounts a demo database lists for its login screen (``--demo``).

Kept apart from ``dsvdesk.demo`` (the data generator) and stdlib-only, so the login screen reads them
without importing the generator, the engine or the store at start-up.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

# The settings key under which a demo database lists its accounts for the login screen in demo mode.
DEMO_ACCOUNTS_SETTING = "demo_accounts"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A demo sign-in. The passwords are public on purpose: they are shown on the login screen in demo
    mode (``--demo``) and must never be used on a real station's database."""

    username: str
    password: str
    role: str  # officer | supervisor | admin
    full_name: str
    collar: str


def accounts_json(accounts: Sequence[DemoAccount]) -> str:
    """The setting's value: the accounts as JSON (what :func:`demo_accounts_in` reads back)."""
    return json.dumps(
        [
            {
                "username": a.username,
                "password": a.password,
                "role": a.role,
                "full_name": a.full_name,
                "collar": a.collar,
            }
            for a in accounts
        ],
        ensure_ascii=False,
    )


def demo_accounts_in(conn: sqlite3.Connection) -> list[DemoAccount]:
    """The demo accounts recorded in a database (empty for any database the demo did not make)."""
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (DEMO_ACCOUNTS_SETTING,)).fetchone()
    except Exception:
        return []
    if row is None:
        return []
    try:
        items = json.loads(row[0])
        return [
            DemoAccount(
                str(i["username"]),
                str(i["password"]),
                str(i["role"]),
                str(i.get("full_name", "")),
                str(i.get("collar", "")),
            )
            for i in items
        ]
    except (ValueError, TypeError, KeyError):
        return []
