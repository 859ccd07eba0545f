"""The embedded TrueType fonts of every PDF, chosen per script run, and safe Paragraph markup for user text.

reportlab has no font fallback: a character missing from the paragraph's font prints as a box. So user
text is cut into script runs and each run is put in a face that has its letters (resources/fonts/README.md):

- DejaVu Sans — Latin (Polish, Romanian, Turkish, Vietnamese, Somali ...), Greek, Cyrillic; the base face;
- Noto Sans Bengali / Gujarati / Gurmukhi / Tamil / Arabic (Arabic also carries the Urdu letters such as
  ہ and ے) — each in regular and bold;
- WenQuanYi Micro Hei — Chinese, Japanese and Korean.

Complex scripts (the Indic scripts and Arabic) must be shaped to be legible: `paragraph()` turns on
reportlab's HarfBuzz shaping (`shaping=1`, uharfbuzz comes with pyHanko[opentype]) for any paragraph that
holds one, and `dsvdesk.export.shaping` keeps what was typed extractable. A run switches fonts only at a
word boundary where it can: punctuation and digits inside a word stay in the word's script face, because
reportlab shapes a whole word with the face of its first character. Words of a right-to-left run are
joined with no-break spaces, so HarfBuzz lays the run out right to left as one unit (reportlab's own bidi
support needs a package DSVDesk does not ship). reportlab is imported inside the functions so importing
this module is cheap.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from dsvdesk import paths

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

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
# Noto Sans merged with the Bengali, Gurmukhi, Gujarati, Tamil and Arabic faces (1000 units/em): a stamp
# takes one font, so a signer's name in one of those scripts needs Latin and the script in one face.
STAMP_SCRIPTS_FILE = "NotoSansStamp-Regular.ttf"


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one object per script
class ScriptFace:
    """A script DejaVu lacks: its Unicode ranges and the Noto faces (regular, bold) that carry it."""

    key: str
    regular: str  # reportlab font name = file stem
    bold: str
    ranges: tuple[tuple[int, int], ...]
    rtl: bool = False
    qt_family: str = ""  # the family name Qt registers for the files

    @property
    def files(self) -> tuple[str, str]:
        return f"{self.regular}.ttf", f"{self.bold}.ttf"


SCRIPTS: tuple[ScriptFace, ...] = (
    ScriptFace(
        "bengali",
        "NotoSansBengali-Regular",
        "NotoSansBengali-Bold",
        ((0x0980, 0x09FF),),
        False,
        "Noto Sans Bengali",
    ),
    ScriptFace(
        "gurmukhi",
        "NotoSansGurmukhi-Regular",
        "NotoSansGurmukhi-Bold",
        ((0x0A00, 0x0A7F),),
        False,
        "Noto Sans Gurmukhi",
    ),
    ScriptFace(
        "gujarati",
        "NotoSansGujarati-Regular",
        "NotoSansGujarati-Bold",
        ((0x0A80, 0x0AFF),),
        False,
        "Noto Sans Gujarati",
    ),
    ScriptFace(
        "tamil", "NotoSansTamil-Regular", "NotoSansTamil-Bold", ((0x0B80, 0x0BFF),), False, "Noto Sans Tamil"
    ),
    ScriptFace(
        "arabic",
        "NotoSansArabic-Regular",
        "NotoSansArabic-Bold",
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
        True,
        "Noto Sans Arabic",
    ),
)

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
# Characters that belong to whatever script surrounds them: joiners and the Indic danda.
_JOINERS = frozenset("\u200c\u200d\u0964\u0965\u25cc")
# At most this many right-to-left words are joined into one unbreakable unit (see the module docstring).
RTL_JOIN_MAX_CHARS = 48
NBSP = "\u00a0"

_lock = threading.Lock()
_registered: set[str] = set()


class FontMissing(RuntimeError):
    """A shipped font file is absent: the installation is damaged (a bug, not the user's input)."""


def font_path(file_name: str) -> Path:
    path = paths.fonts_dir() / file_name
    if not path.is_file():
        raise FontMissing(f"The font file {path} is missing; reinstall DSVDesk.")
    return path


def shipped_font_files() -> list[str]:
    """Every font file the PDFs and the app use (tests check they are all present)."""
    return [
        *_FILES.values(),
        CJK_FILE,
        STAMP_FILE,
        STAMP_SCRIPTS_FILE,
        *(f for s in SCRIPTS for f in s.files),
    ]


def stamp_font_path(text: str = "") -> Path:
    """The font for a signature stamp, which pyHanko draws in one font (and shapes with HarfBuzz).

    A name in an Indic script or Arabic gets the merged Noto face (Latin, digits and those scripts in
    one font; its larger subset makes signing slower, so only then); a name in Chinese the CJK face
    (it also has Latin letters and digits); anything else DejaVu, for its wide European coverage.
    """
    if needs_shaping(text):
        return font_path(STAMP_SCRIPTS_FILE)
    return font_path(CJK_FILE if has_cjk(text) else STAMP_FILE)


def _register(name: str, file_name: str) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if name not in _registered:
        pdfmetrics.registerFont(TTFont(name, str(font_path(file_name))))
        _registered.add(name)


def register_fonts(*, cjk: bool = False) -> None:
    """Register the DejaVu family with reportlab once per process (and the CJK face when asked).

    Script faces are registered by `markup` the first time a run needs them.
    """
    wanted = {*_FILES, "family"} | ({CJK} if cjk else set())
    if wanted <= _registered:
        return
    from reportlab.lib.fonts import addMapping

    with _lock:
        for name, file_name in _FILES.items():
            _register(name, file_name)
        if "family" not in _registered:
            # <b>/<i> inside a Paragraph resolve through this mapping to the embedded faces.
            addMapping(REGULAR, 0, 0, REGULAR)
            addMapping(REGULAR, 1, 0, BOLD)
            addMapping(REGULAR, 0, 1, ITALIC)
            addMapping(REGULAR, 1, 1, BOLD_ITALIC)
            _registered.add("family")
        if cjk and CJK not in _registered:
            _register(CJK, CJK_FILE)
            addMapping(CJK, 0, 0, CJK)
            addMapping(CJK, 1, 0, CJK)  # no bold CJK face: bold runs print regular rather than as boxes
            addMapping(CJK, 0, 1, CJK)
            addMapping(CJK, 1, 1, CJK)


def _register_script(face: ScriptFace) -> None:
    if face.bold in _registered:
        return
    from reportlab.lib.fonts import addMapping

    with _lock:
        _register(face.regular, face.files[0])
        _register(face.bold, face.files[1])
        addMapping(face.regular, 0, 0, face.regular)
        addMapping(face.regular, 1, 0, face.bold)
        addMapping(face.regular, 0, 1, face.regular)  # no italic face: italic runs print upright
        addMapping(face.regular, 1, 1, face.bold)


_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _CJK_RANGES)
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_COMPLEX_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for s in SCRIPTS for lo, hi in s.ranges)
_COMPLEX = re.compile(f"[{_COMPLEX_CLASS}]")
_OTHER_FACE = re.compile(f"[{_COMPLEX_CLASS}{_CJK_CLASS}]")  # a character DejaVu does not print
# Control characters (except tab and newline), lone surrogates and non-characters cannot be printed.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_TOKENS = re.compile(r"\s+|\S+")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def needs_shaping(text: str) -> bool:
    """True when the text holds a script that prints legibly only when shaped (Indic, Arabic)."""
    return _COMPLEX.search(text) is not None


def script_of(char: str) -> ScriptFace | None:
    code = ord(char)
    for face in SCRIPTS:
        if any(lo <= code <= hi for lo, hi in face.ranges):
            return face
    return None


def printable(text: str) -> str:
    """Text with line endings normalised, tabs as spaces and unprintable characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _UNPRINTABLE.sub("", text)


# A run's key: "" for the base face (DejaVu, the paragraph's own font), CJK, or a ScriptFace.
_Key = str | ScriptFace


@functools.lru_cache(maxsize=8192)
def _own_key(char: str) -> _Key | None:
    """The face a character needs by itself; None for characters that follow their neighbours."""
    face = script_of(char)
    if face is not None:
        return face
    if is_cjk(char):
        return CJK
    if char in _JOINERS or unicodedata.category(char)[0] not in "LM":
        return None  # punctuation, digits, symbols, joiners
    return ""


def _covers(key: _Key, char: str) -> bool:
    if not isinstance(key, ScriptFace):
        return True  # DejaVu and WenQuanYi both have ASCII punctuation and digits
    from reportlab.pdfbase import pdfmetrics

    _register_script(key)
    return ord(char) in pdfmetrics.getFont(key.regular).face.charToGlyph


def _word_runs(word: str) -> list[tuple[_Key, str]]:
    own = [_own_key(c) for c in word]
    keys: list[_Key] = []
    for i, key in enumerate(own):
        if key is not None:
            keys.append(key)
            continue
        before = keys[-1] if keys else None
        after = next((k for k in own[i + 1 :] if k is not None), None)
        keys.append(next((k for k in (before, after) if k is not None and _covers(k, word[i])), ""))
    runs: list[tuple[_Key, str]] = []
    for char, key in zip(word, keys, strict=True):
        if runs and runs[-1][0] == key:
            runs[-1] = (key, runs[-1][1] + char)
        else:
            runs.append((key, char))
    return runs


def _runs(text: str) -> list[tuple[_Key, str]]:
    """The text as (face key, text) runs; spaces inside a run of one non-base face stay in it."""
    runs: list[tuple[_Key, str]] = []
    pending_space = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            pending_space += token
            continue
        word = _word_runs(token)
        if pending_space:
            first_key = word[0][0]
            joinable = runs and runs[-1][0] == first_key and first_key != "" and "\n" not in pending_space
            if joinable:
                space = pending_space
                if (
                    isinstance(first_key, ScriptFace)
                    and first_key.rtl
                    and len(runs[-1][1]) < RTL_JOIN_MAX_CHARS
                ):
                    space = NBSP  # one right-to-left unit: HarfBuzz orders its words
                runs[-1] = (first_key, runs[-1][1] + space)
            elif runs and runs[-1][0] == "":
                runs[-1] = ("", runs[-1][1] + pending_space)
            else:
                runs.append(("", pending_space))
            pending_space = ""
        for key, part in word:
            if runs and runs[-1][0] == key:
                runs[-1] = (key, runs[-1][1] + part)
            else:
                runs.append((key, part))
    if pending_space:
        runs.append(("", pending_space))
    return runs


def markup(text: str, *, bold: bool = False) -> str:
    """User text as safe reportlab Paragraph markup, each script run in a face that has its letters.

    `<`, `>` and `&` are escaped (answers can never inject markup), line breaks become `<br/>`, and runs
    of Bengali, Gujarati, Gurmukhi, Tamil, Arabic/Urdu and CJK characters are wrapped in their fonts
    (`bold` picks the bold script faces for a bold paragraph). Characters that cannot be printed at all
    (control characters) are dropped rather than breaking the document.
    """
    text = printable(text)
    if _OTHER_FACE.search(text) is None:  # the usual case: everything is in the paragraph's own face
        return escape(text).replace("\n", "<br/>")
    out: list[str] = []
    for key, part in _runs(text):
        safe = escape(part)
        if key == "":
            out.append(safe)
        elif key == CJK:
            register_fonts(cjk=True)
            out.append(f'<font name="{CJK}">{safe}</font>')
        elif isinstance(key, ScriptFace):
            _register_script(key)
            out.append(f'<font name="{key.bold if bold else key.regular}">{safe}</font>')
    return "".join(out).replace("\n", "<br/>")


_BOLD_FACES = frozenset({BOLD, BOLD_ITALIC})
_shaped_styles: dict[int, tuple[Any, Any]] = {}


def _shaped(style: ParagraphStyle) -> ParagraphStyle:
    """The same style with HarfBuzz shaping on (cached: one clone per style object)."""
    from reportlab.lib.styles import ParagraphStyle

    cached = _shaped_styles.get(id(style))
    if cached is not None and cached[0] is style:
        return cached[1]
    clone = ParagraphStyle(f"{style.name}-shaped", parent=style, shaping=1)
    _shaped_styles[id(style)] = (style, clone)
    return clone


def paragraph(text: str, style: ParagraphStyle, **kwargs: Any) -> Paragraph:
    """A Paragraph of user text: per-script faces, and shaping when a complex script is present.

    Line breaks in the text are kept; `kwargs` go to `Paragraph` (e.g. `bulletText`)."""
    from reportlab.platypus import Paragraph

    from dsvdesk.export import shaping

    if needs_shaping(text):
        shaping.install()
        style = _shaped(style)
    return Paragraph(markup(text, bold=style.fontName in _BOLD_FACES), style, **kwargs)
