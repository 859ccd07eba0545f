"""The local store: one SQLite file holding users, records, signed PDFs, settings and the audit log.

Use it through :class:`Store`::

    store = Store.open(path, create=True)
    session = store.login("pc1234", password)
    ref = store.create_record(session, spec)
    version = store.save_answer(session, ref.id, "victim_name", "Ann", ref.version)

Every call takes the ``Session`` and checks the role in the core, whatever the UI shows.
Qt-free; stdlib sqlite3 only.

The names below are looked up on first use (PEP 562), so importing one part of the store (``db`` to
open the file, ``gate`` for the sign-in window) does not import the rest: the app's cold start pays
for the record operations only after the sign-in window is on screen.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsvdesk.store.errors import (
        AccountLocked,
        AuthenticationFailed,
        FindingsBlock,
        InvalidInput,
        InvalidTransition,
        JustificationRequired,
        NotFound,
        PermissionDenied,
        SaveConflict,
        StorageBug,
        StorageUnavailable,
        WrongPassword,
    )
    from dsvdesk.store.models import (
        AuditVerification,
        HistoryEvent,
        Record,
        RecordRef,
        RecordRow,
        ReviewComment,
        Role,
        Session,
        SigningIdentity,
        Status,
        User,
    )
    from dsvdesk.store.settings import Settings
    from dsvdesk.store.store import Store, restore

_HOMES: dict[str, str] = {
    "AccountLocked": "dsvdesk.store.errors",
    "AuthenticationFailed": "dsvdesk.store.errors",
    "FindingsBlock": "dsvdesk.store.errors",
    "InvalidInput": "dsvdesk.store.errors",
    "InvalidTransition": "dsvdesk.store.errors",
    "JustificationRequired": "dsvdesk.store.errors",
    "NotFound": "dsvdesk.store.errors",
    "PermissionDenied": "dsvdesk.store.errors",
    "SaveConflict": "dsvdesk.store.errors",
    "StorageBug": "dsvdesk.store.errors",
    "StorageUnavailable": "dsvdesk.store.errors",
    "WrongPassword": "dsvdesk.store.errors",
    "AuditVerification": "dsvdesk.store.models",
    "HistoryEvent": "dsvdesk.store.models",
    "Record": "dsvdesk.store.models",
    "RecordRef": "dsvdesk.store.models",
    "RecordRow": "dsvdesk.store.models",
    "ReviewComment": "dsvdesk.store.models",
    "Role": "dsvdesk.store.models",
    "Session": "dsvdesk.store.models",
    "SigningIdentity": "dsvdesk.store.models",
    "Status": "dsvdesk.store.models",
    "User": "dsvdesk.store.models",
    "Settings": "dsvdesk.store.settings",
    "Store": "dsvdesk.store.store",
    "restore": "dsvdesk.store.store",
}
__all__ = [  # the names __getattr__ gives
    "AccountLocked",
    "AuditVerification",
    "AuthenticationFailed",
    "FindingsBlock",
    "HistoryEvent",
    "InvalidInput",
    "InvalidTransition",
    "JustificationRequired",
    "NotFound",
    "PermissionDenied",
    "Record",
    "RecordRef",
    "RecordRow",
    "ReviewComment",
    "Role",
    "SaveConflict",
    "Session",
    "Settings",
    "SigningIdentity",
    "Status",
    "StorageBug",
    "StorageUnavailable",
    "Store",
    "User",
    "WrongPassword",
    "restore",
]


def __getattr__(name: str) -> Any:
    """``dsvdesk.store.Store`` and the other names, imported from their module on first use."""
    home = _HOMES.get(name)
    if home is None:  # not ours: lets ``from dsvdesk.store import db`` import the submodule
        raise AttributeError(f"module 'dsvdesk.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
