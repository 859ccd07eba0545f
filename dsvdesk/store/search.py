"""Folding for the full-text index: what an officer types on an English keyboard finds the name as written.

SQLite's ``unicode61 remove_diacritics 2`` folds letters that decompose (é, ą, ñ) but not letters that are
distinct code points with no decomposition (Ł, Ø, ß, Æ ...). Both the indexed text and the query go through
``fold`` so that "lucja" finds "Łucja" and "orsted" finds "Ørsted".
"""

from __future__ import annotations

import unicodedata

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
