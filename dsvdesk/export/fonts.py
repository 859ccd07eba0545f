"""The embedded TrueType fonts of every PDF, and safe Paragraph markup for user text.

reportlab has no font fallback: a character missing from the paragraph's font prints as a box. DejaVu
covers Latin, Greek, Cyrillic and Arabic letters; runs of CJK characters are switched explicitly to
WenQuanYi Micro Hei. reportlab is imported inside the functions so importing this module is cheap.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from dsvdesk import paths

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ITALIC = "DejaVuSans-Oblique"
BOLD_ITALIC = "DejaVuSans-BoldOblique"
MONO = "DejaVuSansMono"
CJK = "WenQuanYiMicroHei"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
    BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
CJK_FILE = "WenQuanYiMicroHei-upem1000.ttf"
STAMP_FILE = "DejaVuSans-upem1000.ttf"  # see resources/fonts/README.md: pyHanko needs 1000 units/em

_lock = threading.Lock()
_registered: set[str] = set()


class FontMissing(RuntimeError):
    """A shipped font file is absent: the installation is damaged (a bug, not the user's input)."""


def font_path(file_name: str) -> Path:
    path = paths.fonts_dir() / file_name
    if not path.is_file():
        raise FontMissing(f"The font file {path} is missing; reinstall DSVDesk.")
    return path


def stamp_font_path(text: str = "") -> Path:
    """The font for a signature stamp: the CJK face when the text needs it, else DejaVu (upem 1000).

    pyHanko stamps take one font, so a name in Chinese gets the CJK face for the whole stamp (it also
    has Latin letters and digits); DejaVu is used otherwise for its wider European coverage.
    """
    return font_path(CJK_FILE if has_cjk(text) else STAMP_FILE)


def register_fonts(*, cjk: bool = False) -> None:
    """Register the DejaVu family with reportlab once per process (and the CJK face when asked)."""
    wanted = {*_FILES, "family"} | ({CJK} if cjk else set())
    if wanted <= _registered:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        for name, file_name in _FILES.items():
            if name not in _registered:
                pdfmetrics.registerFont(TTFont(name, str(font_path(file_name))))
                _registered.add(name)
        if "family" not in _registered:
            # <b>/<i> inside a Paragraph resolve through this mapping to the embedded faces.
            addMapping(REGULAR, 0, 0, REGULAR)
            addMapping(REGULAR, 1, 0, BOLD)
            addMapping(REGULAR, 0, 1, ITALIC)
            addMapping(REGULAR, 1, 1, BOLD_ITALIC)
            _registered.add("family")
        if cjk and CJK not in _registered:
            pdfmetrics.registerFont(TTFont(CJK, str(font_path(CJK_FILE))))
            addMapping(CJK, 0, 0, CJK)
            addMapping(CJK, 1, 0, CJK)  # no bold CJK face: bold runs print regular rather than as boxes
            addMapping(CJK, 0, 1, CJK)
            addMapping(CJK, 1, 1, CJK)
            _registered.add(CJK)


# Unicode blocks DejaVu does not cover and WenQuanYi does: CJK ideographs, kana, hangul, CJK punctuation
# and full-width forms.
_CJK_RANGES = (
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x30FF),  # CJK symbols and punctuation, hiragana, katakana
    (0x3100, 0x31FF),  # bopomofo, hangul compatibility jamo, kanbun ...
    (0x3200, 0x4DBF),  # enclosed CJK, CJK compatibility, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
)


_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _CJK_RANGES)
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
# Control characters (except tab and newline), lone surrogates and non-characters cannot be printed.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def printable(text: str) -> str:
    """Text with line endings normalised, tabs as spaces and unprintable characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _UNPRINTABLE.sub("", text)


def markup(text: str) -> str:
    """User text as safe reportlab Paragraph markup.

    `<`, `>` and `&` are escaped (answers can never inject markup), line breaks become `<br/>`, and runs
    of CJK characters are wrapped in the CJK font. Characters that cannot be printed at all (control
    characters) are dropped rather than breaking the document.
    """
    safe = escape(printable(text))
    safe = _CJK_RUN.sub(lambda m: f'<font name="{CJK}">{m.group(0)}</font>', safe)
    return safe.replace("\n", "<br/>")
