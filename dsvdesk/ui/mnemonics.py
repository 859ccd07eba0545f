"""Alt+letters for menu items (Qt-free text work; ``MainWindow`` applies it to its menus).

An item whose text the code gave a mnemonic ("&Quit") keeps it. Items made from data (one "New …" per
form the station holds) get one here: the first letter of a word not taken in their menu, else any
letter of the text not taken, so every item of a menu has its own Alt+letter."""

from __future__ import annotations

from collections.abc import Iterable


def mnemonic(text: str) -> str | None:
    """The Alt+letter of a text, lower case ('&&' is a literal ampersand), or None."""
    cleaned = text.replace("&&", "")
    index = cleaned.find("&")
    if 0 <= index < len(cleaned) - 1 and cleaned[index + 1].isalnum():
        return cleaned[index + 1].lower()
    return None


def with_mnemonic(text: str, taken: Iterable[str]) -> str:
    """``text`` (without a mnemonic, '&' written as '&&') with a letter not in ``taken`` marked;
    ``text`` unchanged when every letter of it is taken."""
    used = {letter.lower() for letter in taken}
    words = [i for i, ch in enumerate(text) if ch.isalnum() and (i == 0 or not text[i - 1].isalnum())]
    others = [i for i, ch in enumerate(text) if ch.isalnum() and i not in words]
    for i in words + others:
        if text[i].lower() not in used and (i == 0 or text[i - 1] != "&"):
            return f"{text[:i]}&{text[i:]}"
    return text
