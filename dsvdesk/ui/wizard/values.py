"""Plain conversions between what an officer types and the answer values the engine stores. Qt-free.

Anything that cannot be understood is kept as the text typed (never dropped): the engine's
``validate_value`` then explains the problem beside the question, and nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.]?(\d{2})\s*$")


def parse_date(text: str) -> str | None:
    """'25/11/2026', '25.11.2026', '2026-11-25' → '2026-11-25'; blank → None; anything else → the text."""
    stripped = text.strip()
    if not stripped:
        return None
    match = _DMY.match(stripped)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO.match(stripped)
        if not match:
            return stripped
        year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return stripped


def display_date(value: Any) -> str:
    """'2026-11-25' → '25/11/2026' (how UK officers write dates); other values shown as they are."""
    if value is None:
        return ""
    text = str(value)
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return f"{day:02d}/{month:02d}/{year:04d}"
    return text


def parse_time(text: str) -> str | None:
    """'9:30', '0930', '09.30' → '09:30'; blank → None; anything else → the text."""
    stripped = text.strip()
    if not stripped:
        return None
    match = _TIME.match(stripped)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return f"{hour:02d}:{minute:02d}"
    return stripped


def parse_integer(text: str) -> int | str | None:
    if not text.strip():
        return None
    stripped = text.strip().replace(",", "")  # "1,200" as people write it
    try:
        return int(stripped)
    except ValueError:
        return text.strip()


def parse_decimal(text: str) -> float | int | str | None:
    if not text.strip():
        return None
    stripped = text.strip().replace(",", "")
    try:
        number = float(stripped)
    except ValueError:
        return text.strip()
    if not math.isfinite(number):  # NaN / infinity are not amounts
        return text.strip()
    return number


def display_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def format_value(value: Any, labels: dict[str, str] | None = None) -> str:
    """A computed or summary value as a short readable text."""
    if value is None or value in ("", []):
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return display_number(round(value, 2))
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, labels) for v in value) or "—"
    if isinstance(value, dt.date):
        return (
            display_date(value.isoformat())
            if not isinstance(value, dt.datetime)
            else value.strftime("%d/%m/%Y %H:%M")
        )
    text = str(value)
    if labels and text in labels:
        return labels[text]
    if _ISO.match(text):
        return display_date(text)
    return text
