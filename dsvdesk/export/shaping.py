"""Shaped text that still extracts as typed: HarfBuzz shaping plus PDF `/ActualText` spans.

reportlab shapes a word with HarfBuzz (`shaping=1` on the paragraph style) and writes the resulting
glyphs; the font's ToUnicode map then names each glyph by one character of the font's cmap, so a Bengali
vowel sign drawn before its consonant extracts in drawing order, a conjunct loses its parts, and Arabic
joining forms extract as presentation forms. A PDF says what a run of glyphs stands for with a marked
content span `/Span <</ActualText (...)>> BDC ... EMC` (ISO 32000-1 §14.9.4), which pdftotext, Acrobat
and screen readers use instead of the glyphs.

`install()` wraps reportlab's word shaper once per process: it shapes without discretionary ligatures
(`dlig` would print the Noto Arabic "Muhammad" ligature with vowel marks nobody typed) and records on
each shaped piece the text it came from. `ShapingCanvas` (the base of every DSVDesk PDF canvas) writes
that text as the piece's ActualText. Left-to-right pieces carry their text whole; a right-to-left piece
is written one glyph cluster at a time in drawing order, so readers put it into reading order by position
exactly as they do for any right-to-left PDF text (a cluster of several characters, such as lam-alef,
carries them in drawing order too, because extractors reverse within it as well).
"""

from __future__ import annotations

import threading
from typing import Any

from reportlab.pdfbase import ttfonts
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.pdfgen import textobject

# kern and liga as reportlab's default, without dlig (see the module docstring)
FEATURES = {"kern": True, "liga": True}

_lock = threading.Lock()
_installed = threading.Event()


class _Tagged(ttfonts.ShapeData):  # type: ignore[misc] # reportlab is untyped
    """The first glyph of a shaped piece, carrying (glyph count, text) spans for /ActualText."""

    spans: tuple[tuple[int, str], ...] = ()


def _spans(text: str, data: list[Any], next_cluster: dict[int, int]) -> tuple[tuple[int, str], ...]:
    if not data:
        return ()
    if data[0].cluster <= data[-1].cluster:  # left to right: the piece's text in one span
        last = max(d.cluster for d in data)
        return ((len(data), text[data[0].cluster : next_cluster[last]]),)
    spans: list[tuple[int, str]] = []
    i = 0
    while i < len(data):
        j = i
        while j < len(data) and data[j].cluster == data[i].cluster:
            j += 1
        cluster = data[i].cluster
        spans.append((j - i, text[cluster : next_cluster[cluster]][::-1]))
        i = j
    return tuple(spans)


def _by_font(word: Any) -> list[Any]:
    """A frag word cut where its font changes (reportlab would shape it all with its first font, which
    fails on glyphs that font lacks: "Rahima/রহিমা" typed without a space)."""
    parts: list[Any] = []
    font = None
    for frag, text in word[1:]:
        name = getattr(frag, "fontName", font)
        if not parts or (name != font and not hasattr(frag, "cbDefn")):
            parts.append(word.__class__([0]))
            font = name
        parts[-1].append((frag, text))
        if not hasattr(frag, "cbDefn"):
            from reportlab.pdfbase.pdfmetrics import stringWidth

            parts[-1][0] += stringWidth(text, frag.fontName, frag.fontSize)
    return parts


def _shape_keeping_text(word: Any, features: Any = None, force: bool = False) -> Any:
    parts = _by_font(word)
    if len(parts) == 1:  # one font: the usual case
        return _shape_one(word, force)
    shaped = [_shape_one(part, force) for part in parts]
    if all(new is old for new, old in zip(shaped, parts, strict=True)):
        return word
    joined = ttfonts.makeShapedFragWord(word)([sum(part[0] for part in shaped)])
    for part in shaped:
        joined.extend(part[1:])
    return joined


def _shape_one(word: Any, force: bool) -> Any:
    new = _ORIGINAL_SHAPER(word, features=FEATURES, force=force)
    if new is word:
        return word
    text = "".join(s for f, s in word[1:] if not hasattr(f, "cbDefn"))
    clusters = sorted(
        {d.cluster for _f, s in new[1:] if isinstance(s, ttfonts.ShapedStr) for d in s.__shapeData__}
        | {len(text)}
    )
    next_cluster = {c: clusters[i + 1] for i, c in enumerate(clusters[:-1])}
    for _frag, piece in new[1:]:
        if not isinstance(piece, ttfonts.ShapedStr) or not piece.__shapeData__:
            continue
        data = piece.__shapeData__
        if any(d.cluster < 0 or d.cluster > len(text) for d in data):
            continue  # padding glyphs reportlab adds: nothing to say about them
        first = _Tagged(*data[0])
        first.spans = _spans(text, data, next_cluster)
        data[0] = first
    return new


_ORIGINAL_SHAPER = ttfonts.shapeFragWord


def install() -> None:
    """Make reportlab's paragraphs keep the text of every shaped word (idempotent, thread-safe)."""
    if _installed.is_set():
        return
    with _lock:
        if not _installed.is_set():
            from reportlab.platypus import paragraph

            paragraph.shapeFragWord = _shape_keeping_text
            _installed.set()


def _hex_text(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class ActualTextObject(textobject.PDFTextObject):  # type: ignore[misc] # reportlab is untyped
    """A text object that wraps each shaped piece in a `/Span <</ActualText ...>>` marked-content span."""

    def _formatText(self, text: Any) -> str:
        data = getattr(text, "__shapeData__", None)
        if not data or not any(isinstance(d, _Tagged) for d in data):
            return str(super()._formatText(text))
        parts: list[str] = []
        start = i = 0
        while i < len(text):
            tagged = data[i]
            if not isinstance(tagged, _Tagged):
                i += 1
                continue
            if i > start:
                parts.append(super()._formatText(text[start:i]))
            for glyphs, actual in tagged.spans:
                end = min(len(text), i + glyphs)
                if end > i:
                    drawn = super()._formatText(text[i:end])
                    parts.append(f"/Span <</ActualText {_hex_text(actual)}>> BDC {drawn} EMC")
                i = end
            start = i
        if start < len(text):
            parts.append(super()._formatText(text[start:]))
        return " ".join(parts)


class ShapingCanvas(rl_canvas.Canvas):  # type: ignore[misc] # reportlab is untyped
    """A canvas whose text objects write /ActualText for shaped text (used by every DSVDesk PDF)."""

    def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> ActualTextObject:
        return ActualTextObject(self, x, y, direction=direction)
