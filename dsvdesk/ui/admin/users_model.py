"""The accounts table: username, full name, collar, role, and whether the account is locked now.

A station has tens of accounts, not thousands, so the whole list (``Store.list_users``, which reads no
record content) is held; the model is rebuilt after every change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dsvdesk.store.models import User
from dsvdesk.ui.admin.dialogs import ROLE_LABELS
from dsvdesk.ui.qt import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

USER_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the User behind a row

COLUMNS = ("Username", "Full name", "Collar", "Role", "Locked")


def locked_until(user: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the account's lock ends, if it is locked now (a past time left by the last lock is not a lock)."""
    if not user.locked_until:
        return None
    try:
        until = dt.datetime.fromisoformat(user.locked_until)
    except ValueError:
        return None
    if until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    moment = now or dt.datetime.now(dt.UTC)
    return until if until > moment else None


def locked_text(user: User, now: dt.datetime | None = None) -> str:
    until = locked_until(user, now)
    if until is None:
        return "No"
    return f"Locked until {until.astimezone().strftime('%H:%M')}"


class UsersModel(QAbstractTableModel):
    def __init__(self, users: Sequence[User] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._users: list[User] = list(users)

    def set_users(self, users: Sequence[User]) -> None:
        self.beginResetModel()
        self._users = list(users)
        self.endResetModel()

    def users(self) -> list[User]:
        return list(self._users)

    def user_at(self, row: int) -> User | None:
        return self._users[row] if 0 <= row < len(self._users) else None

    def row_of(self, username: str) -> int:
        return next((i for i, u in enumerate(self._users) if u.username == username), -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._users)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        user = self.user_at(index.row()) if index.isValid() else None
        if user is None:
            return None
        if role == USER_ROLE:
            return user
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(user, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 4 and locked_until(user) is not None:
            return "Too many wrong passwords. Select the account and choose Unlock."
        return None

    @staticmethod
    def _text(user: User, column: int) -> str:
        if column == 0:
            return user.username
        if column == 1:
            return user.full_name
        if column == 2:
            return user.collar or "—"
        if column == 3:
            return ROLE_LABELS.get(user.role, str(user.role))
        if column == 4:
            return locked_text(user)
        return ""
