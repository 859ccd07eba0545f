"""The demo station and its accounts (demo passwords, shown on the login screen in demo mode)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dsvdesk.demo.answers import Staff
from dsvdesk.demo_accounts import DemoAccount

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session

# ------------------------------------------------------------------------------------- demo station


DEMO_STATION = "Holloway Demo Station"
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "demo-admin-pass", "admin", "Ruth Adeyemi", ""),
    DemoAccount("pc1234", "demo-officer-1", "officer", "Amira Haddad", "1234NI"),
    DemoAccount("pc5678", "demo-officer-2", "officer", "Tomasz Wiśniewski", "5678NI"),
    DemoAccount("ps4411", "demo-supervisor", "supervisor", "Gareth Llywelyn", "4411NI"),
)


def _rank(account: DemoAccount) -> str:
    return {"officer": "PC", "supervisor": "PS"}.get(account.role, "")


def staff_for(account: DemoAccount, station: str = DEMO_STATION) -> Staff:
    return Staff(
        officer_name=f"{_rank(account)} {account.full_name}".strip(),
        officer_collar=account.collar,
        station=station,
    )


def create_demo_station(
    store: Store, *, station: str = DEMO_STATION, accounts: Sequence[DemoAccount] = DEMO_ACCOUNTS
) -> dict[str, Session]:
    """Set up a fresh database as the demo station: its admin (who creates the station CA), the other
    accounts with their signing certificates, and the ``demo_accounts`` setting. Returns a signed-in
    session per username."""
    admin = next(a for a in accounts if a.role == "admin")
    store.init_station(station, admin.username, admin.full_name, admin.password)
    admin_session = store.login(admin.username, admin.password)
    for account in accounts:
        if account is not admin:
            store.add_user(
                admin_session,
                account.username,
                account.role,
                account.full_name,
                account.collar,
                account.password,
                admin.password,
            )
    store.record_demo_accounts(accounts)
    return {a.username: store.login(a.username, a.password) for a in accounts}


def record_demo_accounts(db_path: Path, accounts: Sequence[DemoAccount]) -> None:
    """Mark the database as a demo database listing ``accounts`` for its login screen in demo mode."""
    from dsvdesk.store import Store

    with Store.open(db_path) as store:
        store.record_demo_accounts(accounts)
