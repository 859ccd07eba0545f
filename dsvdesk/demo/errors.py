"""What can go wrong making demo data."""

from __future__ import annotations

from dsvdesk.errors import UserFacingError


class DemoDataError(RuntimeError):
    """The generator could not make a record that passes the form's checks (a bug in the generator or
    a form it cannot satisfy): the message names the rules left failing."""


class DemoSetupError(UserFacingError):
    """Demo data cannot be added to this database as asked (no officer accounts, unknown owner ...)."""

    title = "Demo data"
