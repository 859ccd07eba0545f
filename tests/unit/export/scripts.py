"""Names and narrative in the scripts London victims' names are written in (issue 21), for the PDF and UI tests.

Each entry is what an officer types; the tests compare it with what pdftotext extracts from the PDF and
with what the app draws. Names are invented.
"""

from __future__ import annotations

import re

NAMES: dict[str, str] = {
    "Bengali": "রহিমা খাতুন",
    "Gujarati": "પ્રિયંકા પટેલ",
    "Gurmukhi": "ਹਰਪ੍ਰੀਤ ਕੌਰ",
    "Tamil": "சுப்பிரமணியம் ராஜா",
    "Urdu": "عائشہ بی بی",
    "Arabic": "محمد علي سلام",
    "Somali": "Faadumo Cabdullaahi Xasan",
    "Polish": "Łucja Żółkiewska-Wąs",
    "Romanian": "Ștefania Țurcanu",
    "Turkish": "Ayşe Gül Yıldırım Ağaoğlu",
    "Chinese": "王秀英",
    "Vietnamese": "Nguyễn Thị Hường",
}

# One sentence of narrative per script, as an officer might quote the victim's own words.
NARRATIVE: dict[str, str] = {
    "Bengali": "সে আমাকে মেরেছে।",
    "Gujarati": "તેણે મને ધમકી આપી.",
    "Gurmukhi": "ਉਸਨੇ ਮੈਨੂੰ ਡਰਾਇਆ।",
    "Tamil": "அவன் என்னை அடித்தான்.",
    "Urdu": "اس نے مجھے دھمکی دی ہے",
    "Arabic": "لقد هددني",
    "Polish": "Groził mi, że zabierze dzieci.",
    "Romanian": "M-a amenințat că pleacă cu copiii.",
    "Turkish": "Beni tehdit etti, çok korkuyorum.",
    "Chinese": "他威胁我。",
    "Vietnamese": "Anh ấy đã đe dọa tôi.",
}

_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def squeeze(text: str) -> str:
    """Characters in order without white space or bidi controls (pdftotext adds RLE/PDF marks and moves
    spaces at the edge of a right-to-left run; what was typed must otherwise come back unchanged)."""
    return "".join(_BIDI_CONTROLS.sub("", text).split())
