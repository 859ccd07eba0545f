"""Station settings kept in the database (one JSON value per key), with typed access and checks."""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

from dsvdesk.store.errors import InvalidInput

DEFAULT_URN_FORMAT = "{station}-{yyyy}-{seq:05d}"
URN_FIELDS = frozenset({"station", "yyyy", "yy", "seq"})


@dataclass(frozen=True, slots=True)
class Settings:
    station_name: str = ""
    station_code: str = ""  # short code for references ({station} in urn_format); "" = made from the name
    marking: str = "OFFICIAL-SENSITIVE"  # protective marking on every screen and page
    idle_lock_minutes: int = 10
    lockout_threshold: int = 5  # failed sign-ins before the account locks
    lockout_minutes: int = 15
    urn_format: str = DEFAULT_URN_FORMAT


SETTING_NAMES = tuple(f.name for f in fields(Settings))
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")


def default_station_code(station_name: str) -> str:
    """A reference-friendly code: the initials of a several-word name ("Trial Police Station" -> "TPS"),
    or the one word itself, upper-case, letters and digits only."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", station_name) if w]
    if not words:
        return "DSV"
    code = "".join(w[0] for w in words) if len(words) > 1 else words[0]
    return code.upper()[:16]


def station_code(settings: Settings) -> str:
    return settings.station_code or default_station_code(settings.station_name)


def format_urn(settings: Settings, year: int, seq: int) -> str:
    """The reference of the ``seq``-th approval of ``year`` (``urn_counters`` counts them per year)."""
    return settings.urn_format.format(
        station=station_code(settings), yyyy=f"{year:04d}", yy=f"{year % 100:02d}", seq=seq
    )


def check_urn_format(fmt: str) -> str | None:
    """A message if ``fmt`` cannot make unique references, else None."""
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(fmt) if name is not None}
    except ValueError as exc:
        return f"The reference format {fmt!r} is not valid ({exc}). Example: {DEFAULT_URN_FORMAT}"
    unknown = names - URN_FIELDS
    if unknown:
        return (
            f"The reference format {fmt!r} uses {', '.join(sorted(unknown))}, which DSVDesk does not know. "
            f"Use only {{station}}, {{yyyy}}, {{yy}} and {{seq}}, for example {DEFAULT_URN_FORMAT}."
        )
    if "seq" not in names:
        return f"The reference format {fmt!r} must contain {{seq}} so that every reference is unique."
    if "yyyy" not in names and "yy" not in names:
        return (
            f"The reference format {fmt!r} must contain {{yyyy}} or {{yy}}: the number restarts each year, "
            "so the year keeps references unique."
        )
    try:
        fmt.format(station="X", yyyy="2026", yy="26", seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        return f"The reference format {fmt!r} is not valid ({exc}). Example: {DEFAULT_URN_FORMAT}"
    return None


def _check(name: str, value: Any) -> Any:
    default = getattr(Settings(), name)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                raise InvalidInput(f"The setting {name} needs a whole number, not {value!r}.") from None
        low = 0 if name == "idle_lock_minutes" else 1
        if not low <= value <= 100_000:
            raise InvalidInput(f"The setting {name} must be between {low} and 100000 (got {value}).")
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"The setting {name} needs text, not {value!r}.")
    value = value.strip()
    if name == "urn_format":
        problem = check_urn_format(value)
        if problem:
            raise InvalidInput(problem)
    elif name in ("marking", "station_name") and not value:
        raise InvalidInput(f"The setting {name} cannot be empty.")
    elif name == "station_code" and value and not _CODE.match(value):
        raise InvalidInput(
            f"The station code {value!r} cannot be used in references: use 1 to 16 letters, digits, '-' or '_' "
            "(for example TPS or KX), or leave it empty to make one from the station name."
        )
    if len(value) > 200:
        raise InvalidInput(f"The setting {name} is too long (at most 200 characters).")
    return value


def load(conn: sqlite3.Connection) -> Settings:
    stored = dict(conn.execute("SELECT key, value FROM settings").fetchall())
    values: dict[str, Any] = {}
    for name in SETTING_NAMES:
        if name in stored:
            values[name] = json.loads(stored[name])
    return replace(Settings(), **values)


def validate(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(SETTING_NAMES)
    if unknown:
        raise InvalidInput(
            f"Unknown setting {', '.join(sorted(unknown))}. Known settings: {', '.join(SETTING_NAMES)}."
        )
    return {name: _check(name, value) for name, value in changes.items()}


def write(conn: sqlite3.Connection, changes: dict[str, Any]) -> None:
    """Write already-validated values (call inside a transaction)."""
    conn.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(name, json.dumps(value)) for name, value in changes.items()],
    )


def write_raw(conn: sqlite3.Connection, key: str, text: str) -> None:
    """Write a value outside the typed settings (``text`` is its JSON), e.g. the demo accounts a demo
    database lists on its login screen (call inside a transaction)."""
    if key in SETTING_NAMES:
        raise InvalidInput(f"{key} is a station setting; change it with the station settings.")
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, text),
    )
