"""Folding for the full-text index: what an officer types on an English keyboard finds the name as written.

SQLite's ``unicode61 remove_diacritics 2`` folds letters that decompose (é, ą, ñ) but not letters that are
distinct code points with no decomposition (Ł, Ø, ß, Æ ...). Both the indexed text and the query go through
``fold`` so that "lucja" finds "Łucja" and "orsted" finds "Ørsted".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from typing import Any

_NON_DECOMPOSING = str.maketrans(
    {
        "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h",
        "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th",
        "ı": "i", "Ŀ": "L", "ŀ": "l", "Ŧ": "T", "ŧ": "t",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Lower-case, strip diacritics and spell out letters that Unicode does not decompose."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_NON_DECOMPOSING))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def name_key(name: str) -> str:
    """A person's name as record linking compares it: case, accents, punctuation and word order ignored
    ('SMITH, Zoë' and 'zoe smith' give 'smith zoe')."""
    return _name_key(name)


@functools.lru_cache(maxsize=65536)  # the same names and spellings recur across a station's records
def _name_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(sorted(re.findall(r"\w+", stripped)))


def person_key(name: Any, dob: Any) -> str | None:
    """Who a record is about, for linking records of the same person (Part A's repeat victims): the
    `name_key` and the ISO date of birth, or None without a name or a real date of birth (a date, or
    text starting with one). The store keeps it as the ``victim_key`` column (migration 0005), so
    linking is an indexed comparison."""
    if not isinstance(name, str):
        return None
    if isinstance(dob, date):
        day: date | None = dob
    elif isinstance(dob, str) and len(dob) >= 10:
        day = iso_day(dob[:10])
    else:
        return None
    key = _name_key(name)
    return f"{key}|{day.isoformat()}" if key and day is not None else None


@functools.lru_cache(maxsize=65536)  # a year has 365 incident dates; birth dates recur per victim
def iso_day(text: str) -> date | None:
    """The date an ISO ``YYYY-MM-DD`` text names, or None."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
