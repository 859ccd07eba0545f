"""What a record PDF says about the record besides its answers: metadata, history and comments.

Plain dataclasses (no reportlab), shared by `pdf` (the public entry), `pdf_layout` (the drawing) and
`workflow` (which builds them from the store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """The supervisor's approval as the approved document prints it (issue 21)."""

    supervisor: str  # "Ann Jones (4411)"
    approved_at: datetime
    officer_signed_file: str = ""  # the attachment name of the officer's signed PDF
    officer_signed_sha256: str = ""


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """What the title block, header and footer say about the record (not its answers)."""

    form_title: str
    form_version: str
    record_id: str  # UUID
    status: str  # draft | submitted | returned | approved ...
    revision: int
    document_date: datetime  # the PDF's creation date; fixed so the same record gives the same bytes
    urn: str | None = None
    supersedes_revision: int | None = None
    station: str = ""
    officer: str = ""  # "PC 1234 Jane Smith"
    include_reviewer_sections: bool = False  # supervisor sections appear only once they are filled
    marking: str | None = None  # overrides the form's protective marking (e.g. a force setting)
    review: ReviewOutcome | None = None  # set on the approved document only
    keywords: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One step of the record's lifecycle for the history block."""

    action: str  # created | submitted | returned | approved | amended ...
    actor: str  # display name, e.g. "PS 4411 Ann Jones"
    at: datetime
    note: str = ""  # e.g. the reason a record was returned


@dataclass(frozen=True, slots=True)
class RecordComment:
    """A reviewer's or author's comment, attached to a question or (question_id None) the whole record."""

    author: str
    at: datetime
    text: str
    question_id: str | None = None


DEFAULT_MARKING = "OFFICIAL-SENSITIVE"


def effective_marking(meta: RecordMeta, form_marking: str | None) -> str:
    """The protective marking printed and recorded: the station's setting, else the form's."""
    return meta.marking or form_marking or DEFAULT_MARKING


def document_title(meta: RecordMeta) -> str:
    """The PDF's Title: the URN once allocated, else the record id (what `pdfinfo` and viewers show)."""
    return meta.urn or meta.record_id


def document_subject(meta: RecordMeta, marking: str) -> str:
    return f"{meta.form_title} ({meta.status.capitalize()}) · {marking}"


def document_keywords(meta: RecordMeta, marking: str) -> tuple[str, ...]:
    words = [marking, meta.form_title, f"Status: {meta.status.capitalize()}", f"Record {meta.record_id}"]
    if meta.urn:
        words.append(f"URN {meta.urn}")
    return (*words, *meta.keywords)
