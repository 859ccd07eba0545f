"""The compiled form: frozen, typed objects made once by the loader from a YAML definition.

The UI, the store and the PDF code only ever see these objects, never the YAML. Everything a force
may want to change (questions, wording, conditions, thresholds) is data in forms/*.yaml.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsvdesk.engine.expressions import Expression
    from dsvdesk.engine.index import FormIndex


class QuestionType(StrEnum):
    TEXT = "text"  # short text, one line
    LONGTEXT = "longtext"  # multi-line narrative
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"  # ISO "YYYY-MM-DD"
    TIME = "time"  # "HH:MM"
    DATETIME = "datetime"  # ISO "YYYY-MM-DDTHH:MM"
    YESNO = "yesno"  # "yes" | "no"
    YESNO_DK = "yesno_dk"  # "yes" | "no" | "dont_know" | "not_asked" ("not_asked" never counts as yes)
    CHOICE = "choice"  # one value from choices
    MULTICHOICE = "multichoice"  # list of values from choices
    REFERENCE = "reference"  # text matching `pattern`, with an `example` (CAD, CRIS, Merlin ...)
    REPEAT = "repeat"  # list of dicts keyed by the ids of `fields`
    GRID = "grid"  # dict row value -> list of column values ticked
    COMPUTED = "computed"  # read-only, value of `expression`
    NOTE = "note"  # display-only text (guidance); never answered


# Values of the yes/no/don't-know family, in display order.
YES, NO, DONT_KNOW, NOT_ASKED = "yes", "no", "dont_know", "not_asked"
YESNO_VALUES = (YES, NO)
YESNO_DK_VALUES = (YES, NO, DONT_KNOW, NOT_ASKED)

ANSWERED_TYPES = frozenset(QuestionType) - {QuestionType.COMPUTED, QuestionType.NOTE}


class Severity(StrEnum):
    ERROR = "error"  # blocks submission
    WARNING = "warning"  # shown, does not block


class Audience(StrEnum):
    """Who fills a section: the record's author (officer) or its reviewer (supervisor)."""

    AUTHOR = "author"
    REVIEWER = "reviewer"


@dataclass(frozen=True, slots=True)
class SourceLocation:
    file: str
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    help: str = ""


@dataclass(frozen=True, slots=True)
class Constraint:
    """One check on a non-empty answer. `kind` is one of:
    pattern (regex `pattern`), range (`minimum`/`maximum`, numbers or ISO dates), length
    (`minimum`/`maximum` characters or list items), not_future (date/time not after now),
    expression (`expression` must be true; `value` names the answer inside it)."""

    kind: str
    message: str
    pattern: str | None = None
    minimum: float | str | None = None
    maximum: float | str | None = None
    expression: Expression | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    """A free tag: bare (`high_risk`, value "") or keyed (`specss: separation`)."""

    name: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QuestionType
    label: str
    help: str = ""
    number: str = ""  # as printed on the paper form, e.g. "12" or "B2.1"
    required: bool = False
    required_when: Expression | None = None
    show_when: Expression | None = None
    constraints: tuple[Constraint, ...] = ()
    tags: tuple[Tag, ...] = ()
    choices: tuple[Choice, ...] = ()  # choice, multichoice
    pattern: str | None = None  # reference
    example: str = ""  # reference: shown as hint text in the field and in messages
    fields: tuple[Question, ...] = ()  # repeat: the item's questions
    min_items: int = 0  # repeat
    max_items: int | None = None  # repeat
    item_label: str = ""  # repeat: "Child", "Witness" ...
    rows: tuple[Choice, ...] = ()  # grid
    columns: tuple[Choice, ...] = ()  # grid
    expression: Expression | None = None  # computed
    comment: bool = False  # an attached free-text comment, stored under "<id>__comment"
    comment_label: str = "Comment"
    read_only: bool = False
    # ids of questions of an earlier version whose answers now belong here (a question asked twice was
    # merged into this one): upgrading a record moves such an answer here (engine/upgrade.py)
    formerly: tuple[str, ...] = ()
    location: SourceLocation | None = None

    def has_tag(self, name: str) -> bool:
        return any(t.name == name for t in self.tags)

    def tag_value(self, name: str) -> str | None:
        for t in self.tags:
            if t.name == name:
                return t.value
        return None

    @property
    def comment_id(self) -> str:
        return f"{self.id}__comment"

    def choice_label(self, value: Any) -> str:
        for c in (*self.choices, *self.rows, *self.columns):
            if c.value == value:
                return c.label
        return str(value)


@dataclass(frozen=True, slots=True)
class Page:
    """One wizard step."""

    id: str
    title: str
    questions: tuple[Question, ...]
    help: str = ""
    show_when: Expression | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    pages: tuple[Page, ...]
    audience: Audience = Audience.AUTHOR
    number: str = ""
    location: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A cross-question check. `when` describes the *problem*: the finding is raised when it is true.

    With `each_tag`, the rule is evaluated once per visible question carrying that tag, with the names
    `value` (its answer) and `comment` (its comment) bound, and the finding points at that question.
    """

    id: str
    when: Expression
    severity: Severity
    message: str
    targets: tuple[str, ...] = ()  # question ids the finding points at (first = where "jump to" goes)
    each_tag: str | None = None
    tags: tuple[Tag, ...] = ()  # e.g. `flag: children_without_merlin` for review-queue flags
    location: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class SummaryItem:
    """A line of the form's summary box (PDF page 1, wizard side panel): label + expression."""

    label: str
    expression: Expression
    location: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class FormSpec:
    id: str
    version: str
    title: str
    sections: tuple[Section, ...]
    rules: tuple[Rule, ...] = ()
    summary: tuple[SummaryItem, ...] = ()
    constants: Mapping[str, Any] = field(default_factory=dict)  # thresholds used by expressions
    # store column name -> question id; fills the searchable columns of a record
    # (victim_name, suspect_name, incident_date, cad_ref, cris_ref, grade, yes_count ...)
    columns: Mapping[str, str] = field(default_factory=dict)
    marking: str = "OFFICIAL-SENSITIVE"
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)  # renderer hints, e.g. numbering styles
    source_path: str = ""
    source_text: str = ""  # the YAML text exactly as loaded (stored once per hash by the store)
    content_hash: str = ""  # sha256 hex of source_text
    # Look-ups and evaluation order, made once by the loader (or lazily by engine.index.index_of).
    index: FormIndex | None = field(default=None, compare=False, repr=False)

    # --- navigation helpers (pure; no evaluation) ---------------------------------------------
    @property
    def pages(self) -> tuple[Page, ...]:
        return tuple(p for s in self.sections for p in s.pages)

    def iter_questions(self) -> Iterator[tuple[Section, Page, Question]]:
        """Top-level questions in reading order (repeat fields are reached through `Question.fields`)."""
        for section in self.sections:
            for page in section.pages:
                for q in page.questions:
                    yield section, page, q

    def question(self, question_id: str) -> Question:
        if self.index is not None:
            return self.index.questions[question_id]
        for _s, _p, q in self.iter_questions():
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def page_of(self, question_id: str) -> Page:
        if self.index is not None:
            return self.index.page_of_question[question_id]
        for _s, p, q in self.iter_questions():
            if q.id == question_id:
                return p
        raise KeyError(question_id)

    def section_of_page(self, page_id: str) -> Section:
        if self.index is not None:
            return self.index.section_of_page[page_id]
        for s in self.sections:
            if any(p.id == page_id for p in s.pages):
                return s
        raise KeyError(page_id)

    def questions_tagged(self, name: str) -> tuple[Question, ...]:
        return tuple(q for _s, _p, q in self.iter_questions() if q.has_tag(name))
