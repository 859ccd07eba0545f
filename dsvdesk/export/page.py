"""The page every DSVDesk PDF shares, in numbers: A4 geometry, margins and the signature boxes.

The record PDF, the Board report's Part A and Part B and the signing code all read these, so the
marking, references, "Page x of y" and the signature fields sit in the same place on every document.
No reportlab here (importing it costs nothing at start-up); the drawing is `pdf_layout`'s page template.
"""

from __future__ import annotations

# Page geometry in points (A4).
PAGE_WIDTH, PAGE_HEIGHT = 595.2756, 841.8898
MARGIN_LEFT = MARGIN_RIGHT = 48
MARGIN_TOP = 64  # header band: marking, form title, record reference
MARGIN_BOTTOM = 54  # footer band: marking, record reference, "Page x of y"
FRAME_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
SIGNATURE_LABEL_HEIGHT = 16
SIGNATURE_BOX_HEIGHT = 104
SIGNATURE_GAP = 18
# Everything the last page keeps free above the bottom margin: heading, labels and boxes.
SIGNATURE_BAND_HEIGHT = SIGNATURE_BOX_HEIGHT + SIGNATURE_LABEL_HEIGHT + 40

SIGNATURE_FIELD_NAMES = ("OfficerSignature", "SupervisorSignature")
OFFICER_FIELD, SUPERVISOR_FIELD = SIGNATURE_FIELD_NAMES
SIGNATURE_LABELS = {OFFICER_FIELD: "Officer", SUPERVISOR_FIELD: "Supervisor"}


def _signature_boxes() -> dict[str, tuple[int, int, int, int]]:
    width = int((PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT - SIGNATURE_GAP) // 2)
    bottom = MARGIN_BOTTOM + 4
    top = bottom + SIGNATURE_BOX_HEIGHT
    left = MARGIN_LEFT
    return {
        OFFICER_FIELD: (left, bottom, left + width, top),
        SUPERVISOR_FIELD: (left + width + SIGNATURE_GAP, bottom, left + 2 * width + SIGNATURE_GAP, top),
    }


# Field name -> (lower-left x, lower-left y, upper-right x, upper-right y) on the last page.
SIGNATURE_BOXES = _signature_boxes()
