"""Records: create, open (every open is a consultation), autosave with optimistic concurrency,
paginated lists and full-text search. Lifecycle steps are in ``lifecycle.py``."""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.store import audit, sealing
from dsvdesk.store.errors import (
    InvalidInput,
    InvalidTransition,
    JustificationRequired,
    NotFound,
    PermissionDenied,
    SaveConflict,
    StorageBug,
)
from dsvdesk.store.models import (
    EDITABLE_STATUSES,
    HistoryEvent,
    Record,
    RecordRef,
    RecordRow,
    ReviewComment,
    Role,
    Session,
    Status,
    User,
)
from dsvdesk.store.name_order import NAME_SORTS
from dsvdesk.store.sealed import (
    PART_ANSWERS,
    RecordSeal,
    SealingStepOps,
    comment_part,
    pdf_part,
    sealed_text,
    split_columns,
    victim_age,
    write_tokens,
)
from dsvdesk.store.search import fold, person_key

if TYPE_CHECKING:
    from dsvdesk.engine.expressions import Expression
    from dsvdesk.engine.spec import FormSpec, Question
    from dsvdesk.engine.upgrade import UpgradeReport

# Columns of the records table that a form's `columns:` may fill; every name also goes to columns_json.
# The first seven are listed and searched (migration 0001); the rest are the values Part A of the Board
# report counts, kept as real columns so its period query reads a narrow index (migrations 0005, 0006).
TABLE_COLUMNS = (
    "victim_name",
    "suspect_name",
    "incident_date",
    "cad_ref",
    "cris_ref",
    "grade",
    "yes_count",
    "victim_dob",
    "victim_sex",
    "victim_ethnic_group",
    "victim_disability",
    "officer_grade",
    "children_count",
    "merlin_missing",
    "marac_referral_date",
    "marac_criteria",
    "hbv_flag",
    "arrested",
    "previous_incidents_12m",
    # The Board's case figures (issue 18, migration 0006).
    "forced_marriage_flag",
    "police_involved",
    "counter_allegation",
    "multiple_victims",
    "multiple_perpetrators",
)
NAME_COLUMNS = ("victim_name", "suspect_name")  # searched by name (keyed tokens, search_tokens)
# Real columns reporting may read beside TABLE_COLUMNS: the keyed repeat-victim key and the victim's
# age at the incident (issue 15: the name and date of birth they come from are sealed).
REPORTING_COLUMNS = (*TABLE_COLUMNS, "victim_key", "victim_age")
MAX_VALUE_CHARS = 2_000_000  # one answer's JSON; far above any statement, well below memory trouble
MAX_LIST_LIMIT = 1000
ADMIN_NO_CONTENT = (
    "Administrators manage accounts and settings and cannot read record content. "
    "Sign in with an officer or supervisor account."
)

SORTS: dict[str, str] = {
    "updated_at": "r.updated_at",
    "created_at": "r.created_at",
    "submitted_at": "r.submitted_at",
    "approved_at": "r.approved_at",
    "incident_date": "r.incident_date",
    "victim_name": "r.victim_name COLLATE NOCASE",
    "suspect_name": "r.suspect_name COLLATE NOCASE",
    "status": "r.status",
    "completeness": "r.completeness",
    "urn": "r.urn",
    "yes_count": "r.yes_count",
    "grade": "r.grade",
    "owner": "u.full_name COLLATE NOCASE",
}
# The list row's columns (models.record_row_from_columns); sealed values are opened after the read.
LIST_COLUMNS = (
    "r.id, r.form_id, r.status, r.revision, r.version, r.owner_id, u.username, u.full_name, "
    "r.editor_id, r.created_at, r.updated_at, r.submitted_at, r.approved_at, r.urn, r.completeness, "
    "r.return_rounds, r.victim_name, r.suspect_name, r.incident_date, r.cad_ref, r.cris_ref, r.grade, "
    "r.yes_count, r.flags, r.columns_json"
)
# ... and what opens the sealed ones (sealed.SealOps.open_list_rows). The sealed columns come from
# records_sealed_names (migration 0025), not the row: in the row they sit after the sealed answers, so
# reading them followed each row's overflow chain (a 200-row page: ~3 MB decrypted, 4x slower).
SEALED_COLUMNS_OF_ROW = (
    "(SELECT n.sealed_columns FROM records n INDEXED BY records_sealed_names WHERE n.seq = r.seq)"
)
SEALED_LIST_COLUMNS = f"{LIST_COLUMNS}, r.key_id, {SEALED_COLUMNS_OF_ROW}"
DATE_FILTER_COLUMNS = ("incident_date", "created_at", "updated_at", "submitted_at", "approved_at")

_RECORD_COLUMNS = (
    "seq, id, form_id, definition_hash, owner_id, editor_id, status, revision, version, supersedes, "
    "amend_reason, created_at, updated_at, submitted_at, approved_at, approved_by, ever_submitted, "
    "return_rounds, urn, completeness, answers_json, key_id, sealed_answers"
)


@dataclass(slots=True)
class RecordState:
    """A records row as the store reads it inside a transaction."""

    seq: int
    id: str
    form_id: str
    definition_hash: str
    owner_id: int
    editor_id: int
    status: Status
    revision: int
    version: int
    supersedes: int | None
    amend_reason: str | None
    created_at: str
    updated_at: str
    submitted_at: str | None
    approved_at: str | None
    approved_by: int | None
    ever_submitted: bool
    return_rounds: int
    urn: str | None
    completeness: int
    answers_cache: dict[str, Any] | None
    key_id: int | None = None
    sealed_answers: bytes | None = None
    # opens the sealed answers when they are first needed (set by the Store that loaded the row)
    opener: Callable[[RecordState], dict[str, Any]] | None = None

    @property
    def answers(self) -> dict[str, Any]:
        """The answers; sealed ones are opened on first use with the reading session's keys
        (``PermissionDenied`` when they do not open them)."""
        if self.answers_cache is None:
            if self.opener is None:
                raise StorageBug(f"record {self.id}: sealed answers read without a session")
            self.answers_cache = self.opener(self)
        return self.answers_cache

    @classmethod
    def from_row(cls, row: tuple[Any, ...], *, answers: dict[str, Any] | None = None) -> RecordState:
        key_id = row[21] if len(row) > 21 else None
        if answers is None and key_id is None:
            answers = json.loads(row[20])
        return cls(
            seq=int(row[0]),
            id=str(row[1]),
            form_id=str(row[2]),
            definition_hash=str(row[3]),
            owner_id=int(row[4]),
            editor_id=int(row[5]),
            status=Status(row[6]),
            revision=int(row[7]),
            version=int(row[8]),
            supersedes=row[9],
            amend_reason=row[10],
            created_at=row[11],
            updated_at=row[12],
            submitted_at=row[13],
            approved_at=row[14],
            approved_by=row[15],
            ever_submitted=bool(row[16]),
            return_rounds=int(row[17]),
            urn=row[18],
            completeness=int(row[19]),
            answers_cache=answers,
            key_id=None if key_id is None else int(key_id),
            sealed_answers=None if len(row) <= 22 or row[22] is None else bytes(row[22]),
        )

    def is_own(self, user: User) -> bool:
        return user.id in (self.owner_id, self.editor_id)


@dataclass(frozen=True, slots=True)
class Derived:
    """What a save computes from the answers: searchable columns, completeness and review flags."""

    columns: dict[str, Any]
    completeness: int
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _FormFacts:
    """What the save path needs about a form, worked out once per compiled spec."""

    # answer key ("<id>" or "<id>__comment") -> (section audience, top-level question)
    targets: Mapping[str, tuple[str, Question]]
    # keys whose value feeds no column, flag, rule, condition, computed value or tag count: changing
    # one changes the derived columns only through its own answered-ness and validity (completeness %)
    inert: frozenset[str]
    # keys whose value feeds only columns (directly, or through a computed question that is a column
    # and read by nothing else, always shown, reading no clock or tag): key -> the columns to work out
    # again, each as (column, source question id, its expression or None for the answer itself)
    column_only: Mapping[str, tuple[tuple[str, str, Expression | None], ...]] = field(default_factory=dict)
    constants: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _SavedState:
    """The last answers and derived columns this Store wrote for a record. Valid only while the row
    still has the same (revision, version, updated_at, definition): any other writer bumps the version."""

    revision: int
    version: int
    updated_at: str
    definition_hash: str
    answers: dict[str, Any]
    derived: Derived
    search: frozenset[bytes] | None
    seal: RecordSeal | None = None
    # the search tokens already made for this record under ``seal``'s index key, by word prefix: a
    # keystroke in a name makes the token of its new prefix only
    token_memo: dict[str, bytes] = field(default_factory=dict)


_SAVED_STATES_KEPT = 64  # records an officer edits in one sitting; a few KB of answers each
_TOKEN_MEMO_KEPT = 2_000  # prefixes remembered per record (a few names and references, retyped)


def _expressions_in(root: object) -> Iterator[Expression]:
    """Every Expression reachable from a spec's dataclasses (questions, repeat fields, constraints,
    rules, summary, pages ...): found by walking, so a new kind of expression cannot be missed."""
    from dsvdesk.engine.expressions import Expression as ExpressionType

    seen: set[int] = set()
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or item is None or isinstance(item, str | int | float | bool | bytes):
            continue
        seen.add(id(item))
        if isinstance(item, ExpressionType):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, tuple | list | set | frozenset):
            stack.extend(item)
        elif is_dataclass(item):
            stack.extend(getattr(item, f.name) for f in fields(item) if f.name != "index")


def _form_facts(spec: FormSpec) -> _FormFacts:
    from dsvdesk.engine.index import index_of
    from dsvdesk.engine.spec import QuestionType

    index = index_of(spec)
    targets: dict[str, tuple[str, Question]] = {}
    for section, _page, question in spec.iter_questions():
        if question.id in targets:
            continue
        targets[question.id] = (str(section.audience.value), question)
        if question.comment:
            targets.setdefault(question.comment_id, (str(section.audience.value), question))
    referenced: set[str] = set()
    for expression in _expressions_in(spec):
        referenced.update(expression.all_references())
        for tag in expression.tags:
            referenced.update(index.tagged.get(tag, ()))
    for rule in spec.rules:
        if rule.each_tag:
            referenced.update(index.tagged.get(rule.each_tag, ()))
    sources = set(spec.columns.values())
    ids = [q.id for _s, _p, q in spec.iter_questions()]
    duplicated = {i for i in ids if ids.count(i) > 1}
    inert: set[str] = set()
    for key, (_audience, question) in targets.items():
        if key in referenced or key in sources or question.id in duplicated:
            continue
        if key == question.id and (
            question.tags or question.type in (QuestionType.REPEAT, QuestionType.COMPUTED, QuestionType.NOTE)
        ):
            continue
        inert.add(key)
    return _FormFacts(
        targets=targets,
        inert=frozenset(inert),
        column_only=_column_only(spec, targets, duplicated),
        constants=dict(spec.constants),
    )


def _always_shown(index: Any, question: Question) -> bool:
    page = index.page_of_question.get(question.id)
    return question.show_when is None and page is not None and page.show_when is None


def _column_only(
    spec: FormSpec, targets: Mapping[str, tuple[str, Question]], duplicated: set[str]
) -> dict[str, tuple[tuple[str, str, Expression | None], ...]]:
    """The answers that feed only columns (see ``_FormFacts.column_only``): a save of one works out
    those columns again instead of the whole form (the victim's surname feeds the victim's name)."""
    from dsvdesk.engine.index import index_of
    from dsvdesk.engine.spec import QuestionType

    index = index_of(spec)
    not_answerable = (QuestionType.COMPUTED, QuestionType.NOTE)
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    simple: dict[str, Expression] = {}  # computed column questions whose value nothing else reads
    for source in set(spec.columns.values()):
        question = by_id.get(source)
        expression = question.expression if question is not None else None
        if (
            question is None
            or question.type is not QuestionType.COMPUTED
            or expression is None
            or expression.tags
            or expression.functions & {"today", "now"}
            or not _always_shown(index, question)
        ):
            continue
        simple[source] = expression
    referenced: set[str] = set()
    for expression in _expressions_in(spec):
        if not any(expression is e for e in simple.values()):
            referenced.update(expression.all_references())
            for tag in expression.tags:
                referenced.update(index.tagged.get(tag, ()))
    for rule in spec.rules:
        if rule.each_tag:
            referenced.update(index.tagged.get(rule.each_tag, ()))
    simple = {
        source: e
        for source, e in simple.items()
        if source not in referenced
        and all(
            ref in spec.constants
            or (ref in by_id and by_id[ref].type not in not_answerable and _always_shown(index, by_id[ref]))
            for ref in e.all_references()
        )
    }
    found: dict[str, list[tuple[str, str, Expression | None]]] = {}
    for column, source in spec.columns.items():
        if source in simple:
            for ref in simple[source].all_references():
                found.setdefault(ref, []).append((column, source, simple[source]))
        else:
            found.setdefault(source, []).append((column, source, None))
    result: dict[str, tuple[tuple[str, str, Expression | None], ...]] = {}
    for key, columns in found.items():
        question = targets.get(key, ("", None))[1]
        if (
            question is None
            or key != question.id
            or key in referenced
            or key in duplicated
            or question.tags
            or question.type in (*not_answerable, QuestionType.REPEAT)
            or not _always_shown(index, question)
        ):
            continue
        result[key] = tuple(columns)
    return result


def column_value(value: Any) -> Any:
    """An answer or computed value as a store column holds it: yes/no for booleans, lists and tables
    joined with ", ", None for nothing."""
    if value is None or isinstance(value, bool):
        return None if value is None else ("yes" if value else "no")
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, list):
        parts = [column_value(v) for v in value]
        return ", ".join(str(p) for p in parts if p not in (None, "")) or None
    if isinstance(value, dict):
        return (
            ", ".join(str(v) for v in (column_value(x) for x in value.values()) if v not in (None, ""))
            or None
        )
    return str(value)


def victim_key(columns: Mapping[str, Any]) -> str | None:
    """The ``victim_key`` column a save writes beside the columns: ``search.person_key`` of the victim's
    name and date of birth (how Part A links the same victim's records; migration 0005)."""
    return person_key(columns.get("victim_name"), columns.get("victim_dob"))


def search_text(columns: Mapping[str, Any], urn: str | None) -> tuple[str, str]:
    """(names, refs) as the full-text index holds them: the name columns, then the reference columns
    (``*_ref``) and the URN, each folded (``search.fold``) so "lucja" finds "Łucja"."""
    names = " ".join(str(columns[n]) for n in NAME_COLUMNS if columns.get(n))
    refs = " ".join(
        [*(str(v) for k, v in columns.items() if k.endswith("_ref") and v), *([urn] if urn else [])]
    )
    return _fold(names), _fold(refs)


def _fold(text: str) -> str:
    # ASCII needs no decomposition: its fold is its lower case (most references, many names)
    return text.lower() if text.isascii() else fold(text)


def _json_dumps(value: Any, what: str) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"The answer to {what} cannot be saved: it is not text, a number, a list or a table."
        ) from None
    return text


# The derived columns a save writes, in ``_derived_params`` order: the plain ones, then the sealed ones.
_DERIVED_PLAIN = (
    *TABLE_COLUMNS,
    "victim_key",
    "victim_age",
    "completeness",
    "flags",
    "columns_json",
    "index_pending",
)
_DERIVED_SET = f"{', '.join(f'{n} = ?' for n in _DERIVED_PLAIN)}, sealed_columns = ?"
# The plain derived columns as the row holds them now (a save of a row this Store wrote last compares
# against them and writes only what changed: an UPDATE that names a column rewrites every index on it).
_READ_DERIVED_SQL = f"SELECT {', '.join(_DERIVED_PLAIN)} FROM records WHERE seq = ?"  # noqa: S608 - fixed names
# Constant SQL texts, so sqlite3's statement cache prepares each once per connection.
_WRITE_DERIVED_SQL = f"UPDATE records SET {_DERIVED_SET} WHERE seq = ?"  # noqa: S608 - fixed names
_SAVE_WITH_DERIVED_SQL = (
    f"UPDATE records SET answers_json = '{{}}', sealed_answers = ?, version = ?, updated_at = ?, {_DERIVED_SET} "  # noqa: S608
    "WHERE seq = ?"
)
_CLEAR_DERIVED_SQL = (
    f"UPDATE records SET {', '.join(f'{n} = ?' for n in TABLE_COLUMNS)}, completeness = ?, flags = ?, "  # noqa: S608
    "columns_json = ?, key_id = NULL, sealed_answers = NULL, sealed_columns = NULL WHERE seq = ?"
)
# The answers document is read only when the row is not exactly as this Store last wrote it.
_LOAD_FOR_SAVE_SQL = (
    f"SELECT {_RECORD_COLUMNS.replace(', answers_json, key_id, sealed_answers', '')}, "  # noqa: S608 - fixed names
    "CASE WHEN version = ?2 AND updated_at = ?3 AND revision = ?4 AND definition_hash = ?5 THEN NULL "
    "ELSE answers_json END, key_id, "
    "CASE WHEN version = ?2 AND updated_at = ?3 AND revision = ?4 AND definition_hash = ?5 THEN NULL "
    "ELSE sealed_answers END FROM records WHERE id = ?1"
)


# How a row holds its JSON documents: the answers (``answers_json``, values already normalised by
# ``_apply``) and the derived columns (``columns_json``). Bulk loads (``store.bulk``) use the same encoders.
ANSWERS_JSON = json.JSONEncoder(ensure_ascii=False)
COLUMNS_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def flags_text(flags: Iterable[str]) -> str:
    """The ``flags`` column: the flag names with a space either side (``LIKE '% name %'`` finds one)."""
    joined = " ".join(flags)
    return f" {joined} " if joined else ""


def finish_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """The last step of deriving columns: ``yes_count`` is a whole number or nothing."""
    yes = columns.get("yes_count")
    if yes is not None:
        try:
            columns["yes_count"] = int(yes)
        except (TypeError, ValueError):
            columns["yes_count"] = None
    return columns


def _plain_params(
    derived: Derived, seal: RecordSeal, *, approved: bool, search_pending: bool
) -> tuple[list[Any], dict[str, Any]]:
    """The plain derived columns as a sealed save writes them (``_DERIVED_PLAIN`` order) and the
    identifying values that go only inside ``sealed_columns``; the victim key is made under the
    station key when the writer holds it."""
    plain, sealed = split_columns(derived.columns, TABLE_COLUMNS)
    key = seal.victim_key(derived.columns)
    pending = search_pending or (approved and key is None and victim_key(derived.columns) is not None)
    values = [
        *(plain.get(name) for name in TABLE_COLUMNS),
        key,
        victim_age(derived.columns),
        derived.completeness,
        flags_text(derived.flags),
        COLUMNS_JSON.encode(plain),
        1 if pending else 0,
    ]
    return values, sealed


def _derived_params(derived: Derived, seal: RecordSeal, *, approved: bool, search_pending: bool) -> list[Any]:
    """Every derived column as a sealed save writes them (``_DERIVED_SET`` order)."""
    values, sealed = _plain_params(derived, seal, approved=approved, search_pending=search_pending)
    return [*values, seal.seal_columns(sealed)]


def _same_value(new: Any, stored: Any) -> bool:
    """Whether writing ``new`` over ``stored`` would leave the column as it is (same type, same value:
    1 over 1.0 would change the stored type)."""
    return type(new) is type(stored) and bool(new == stored)


@functools.lru_cache(maxsize=256)
def _save_changed_sql(names: tuple[str, ...]) -> str:
    """The UPDATE of a save that writes the answers and only the derived columns ``names``."""
    assigned = "".join(f", {n} = ?" for n in names)
    return f"UPDATE records SET sealed_answers = ?, version = ?, updated_at = ?{assigned} WHERE seq = ?"  # noqa: S608 - names from _DERIVED_PLAIN


class RecordOps(SealingStepOps):
    _specs: dict[str, FormSpec]
    # Made on first use (the Store's __init__ does not know about them).
    _facts_by_spec: dict[int, tuple[FormSpec, _FormFacts]]
    _saved_states: OrderedDict[str, _SavedState]

    def _facts(self, spec: FormSpec) -> _FormFacts:
        cache: dict[int, tuple[FormSpec, _FormFacts]] = self.__dict__.setdefault("_facts_by_spec", {})
        entry = cache.get(id(spec))
        if entry is None or entry[0] is not spec:  # the spec is kept in the entry, so its id is not reused
            entry = (spec, _form_facts(spec))
            cache[id(spec)] = entry
        return entry[1]

    def _saved(self) -> OrderedDict[str, _SavedState]:
        saved: OrderedDict[str, _SavedState] = self.__dict__.setdefault("_saved_states", OrderedDict())
        return saved

    def _remember(self, record_id: str, state: _SavedState) -> None:
        saved = self._saved()
        saved[record_id] = state
        saved.move_to_end(record_id)
        while len(saved) > _SAVED_STATES_KEPT:
            saved.popitem(last=False)

    # ----------------------------------------------------------------------------------- definitions
    def _store_definition(self, conn: sqlite3.Connection, spec: FormSpec) -> str:
        text = spec.source_text
        if not text:
            raise StorageBug(f"form {spec.id!r} has no source text; specs must come from the loader")
        content_hash = spec.content_hash or hashlib.sha256(text.encode("utf-8")).hexdigest()
        conn.execute(
            "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (content_hash) DO NOTHING",
            (content_hash, spec.id, spec.version, spec.source_path or f"{spec.id}.yaml", text, self._stamp()),
        )
        self._specs.setdefault(content_hash, spec)
        return content_hash

    def spec_for_hash(self, content_hash: str) -> FormSpec:
        """The compiled definition a record was started with (compiled once per hash, then cached)."""
        cached = self._specs.get(content_hash)
        if cached is not None:
            return cached
        with self._read() as conn:
            row = conn.execute(
                "SELECT source_text, source_name FROM definitions WHERE content_hash = ?", (content_hash,)
            ).fetchone()
        if row is None:
            raise StorageBug(f"definition {content_hash[:12]} is referenced but not stored")
        from dsvdesk.engine.loader import compile_cached

        spec = compile_cached(str(row[0]), str(row[1]))
        self._specs[content_hash] = spec
        return spec

    def derive(self, spec: FormSpec, answers: Mapping[str, Any]) -> Derived:
        """The columns, completeness and flags a save writes for these answers (the full evaluation).
        Bulk writers (the demo data) call it so their rows match what a save would write."""
        from dsvdesk.engine.completeness import evaluate

        evaluation = evaluate(spec, answers, audiences=("author",))
        values = evaluation.values
        columns: dict[str, Any] = {}
        for column, source_id in spec.columns.items():
            raw = answers.get(source_id) if source_id in answers else values.get(source_id)
            columns[column] = column_value(raw)
        finish_columns(columns)
        flags = tuple(dict.fromkeys(f for f in evaluation.flags if f and not any(c.isspace() for c in f)))
        return Derived(columns=columns, completeness=max(0, min(100, int(evaluation.percent))), flags=flags)

    # ----------------------------------------------------------------------------------- answers
    def _question_audience(self, spec: FormSpec, key: str) -> str:
        """The section audience of an answer key (a question id or its '<id>__comment')."""
        target = self._facts(spec).targets.get(key)
        if target is not None:
            audience, question = target
            from dsvdesk.engine.spec import QuestionType

            if question.id == key and question.type in (QuestionType.COMPUTED, QuestionType.NOTE):
                raise InvalidInput(
                    f"{question.id!r} ({question.label}) is worked out by DSVDesk or is guidance text; it cannot be answered."
                )
            if question.read_only:
                raise InvalidInput(f"{question.id!r} ({question.label}) is read-only.")
            return audience
        raise InvalidInput(
            f"The form {spec.id!r} has no question {key!r}. Check the question id (the form's questions are "
            f"listed by `dsvdesk forms show {spec.id}`)."
        )

    def _apply(self, spec: FormSpec, answers: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, str]:
        """Apply changes in place; returns {key: audience}. None (or "") clears an answer."""
        audiences: dict[str, str] = {}
        for key, value in changes.items():
            if not isinstance(key, str):
                raise InvalidInput(f"Question ids are text; {key!r} is not.")
            audiences[key] = self._question_audience(spec, key)
            if value is None or value == "":
                answers.pop(key, None)
                continue
            text = _json_dumps(value, repr(key))
            if len(text) > MAX_VALUE_CHARS:
                raise InvalidInput(
                    f"The answer to {key!r} is too long to save ({len(text):,} characters; at most {MAX_VALUE_CHARS:,})."
                )
            answers[key] = json.loads(text)
        return audiences

    # ----------------------------------------------------------------------------------- create / open
    def create_record(
        self, session: Session, spec: FormSpec, answers: Mapping[str, Any] | None = None
    ) -> RecordRef:
        """Start a draft owned by the signed-in officer or supervisor."""
        user = self._require(session, Role.OFFICER, Role.SUPERVISOR, action="create records")
        working: dict[str, Any] = {}
        audiences = self._apply(spec, working, dict(answers or {}))
        for key, audience in audiences.items():
            if audience != "author":
                raise PermissionDenied(
                    f"{key!r} is in the supervisor's review section; it is filled in at review."
                )
        derived = self.derive(spec, working)
        record_id = str(uuid.uuid4())
        now = self._stamp()
        self._require_keys(session)
        with self._tx() as conn:
            content_hash = self._store_definition(conn, spec)
            key_id = self._new_record_key(conn, session, record_id, user.id)
            seal = self._record_seal(
                conn, session, record_id=record_id, revision=1, key_id=key_id, owner_id=user.id
            )
            cursor = conn.execute(
                "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, revision, version, "
                "created_at, updated_at, answers_json, key_id, sealed_answers) "
                "VALUES (?, ?, ?, ?, ?, 'draft', 1, 1, ?, ?, '{}', ?, ?)",
                (
                    record_id,
                    spec.id,
                    content_hash,
                    user.id,
                    user.id,
                    now,
                    now,
                    key_id,
                    seal.seal_answers(ANSWERS_JSON.encode(working)),
                ),
            )
            assert cursor.lastrowid is not None
            seq = int(cursor.lastrowid)
            search = self._write_derived(conn, seq, derived, urn=None, seal=seal, approved=False)
            self._audit(
                session, audit.COLLECTION, record_id=record_id, revision=1, detail={"form_id": spec.id}
            )
            for key, value in sorted(working.items()):
                self._audit(
                    session,
                    audit.ALTERATION,
                    record_id=record_id,
                    revision=1,
                    question_id=key,
                    value_sha256=self._value_hash(value),
                )
        self._remember(record_id, _SavedState(1, 1, now, content_hash, working, derived, search, seal))
        log.storage.info("record %s created (form %s) by user id %d", record_id, spec.id, user.id)
        return RecordRef(id=record_id, revision=1, version=1, status=Status.DRAFT)

    def _load(self, conn: sqlite3.Connection, record_id: str, session: Session | None = None) -> RecordState:
        """The record's row; its sealed answers open on first use with ``session``'s keys."""
        sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ?"  # noqa: S608 - fixed column list
        row = conn.execute(sql, (str(record_id),)).fetchone()
        if row is None:
            raise NotFound(
                f"There is no record {record_id} on this PC (it may have been deleted as a draft)."
            )
        return self._with_opener(RecordState.from_row(row), session)

    def _with_opener(self, state: RecordState, session: Session | None) -> RecordState:
        def open_answers(target: RecordState) -> dict[str, Any]:
            if target.key_id is None or target.sealed_answers is None:
                raise StorageBug(f"record {target.id}: no answers stored")
            data = self._open_part(
                self._conn,
                session,
                key_id=target.key_id,
                record_id=target.id,
                revision=target.revision,
                part=PART_ANSWERS,
                blob=target.sealed_answers,
            )
            value = json.loads(data)
            return value if isinstance(value, dict) else {}

        state.opener = open_answers
        return state

    def _seal_of(self, conn: sqlite3.Connection, session: Session | None, state: RecordState) -> RecordSeal:
        if state.key_id is None:
            raise PermissionDenied(
                "This record was saved before records were sealed and is sealed at the next sign-in; "
                "sign out and in again."
            )
        return self._record_seal(
            conn,
            session,
            record_id=state.id,
            revision=state.revision,
            key_id=state.key_id,
            owner_id=state.owner_id,
        )

    def _check_consult(self, user: User, state: RecordState, justification: str | None) -> str | None:
        """Who may read a record: its owner/editor; a supervisor, with a reason, for anyone else's."""
        if user.role is Role.ADMIN:
            raise PermissionDenied(ADMIN_NO_CONTENT)
        if state.is_own(user):
            return justification.strip() if justification and justification.strip() else None
        if user.role is not Role.SUPERVISOR:
            raise PermissionDenied("Officers can open only their own records.")
        if not justification or not justification.strip():
            raise JustificationRequired(
                "This record belongs to another officer. Say why you are opening it (for example "
                "'Supervisor review'); the reason is kept in the audit log."
            )
        return justification.strip()[:2000]

    def open_record(
        self,
        session: Session,
        record_id: str,
        *,
        revision: int | None = None,
        justification: str | None = None,
    ) -> Record:
        """The record with its answers, definition and review comments; logged as a consultation."""
        user = self._current_user(session)
        with self._read() as conn:
            state = self._load(conn, record_id, session)
        reason = self._check_consult(user, state, justification)
        wanted = state.revision if revision is None else int(revision)
        if wanted == state.revision:
            record = self._record_from_state(state, state, session)
        else:
            record = self._archived_record(state, wanted, session)
        with self._tx():
            self._audit(
                session, audit.CONSULTATION, record_id=state.id, revision=wanted, justification=reason
            )
        return record

    def _record_from_state(
        self, state: RecordState, latest: RecordState, session: Session | None = None
    ) -> Record:
        owner = self._user_by_id_row(state.owner_id)
        comments = self._comments(state.id, state.revision, session)
        last_round = max((c.round for c in comments), default=0)
        latest_comments = {c.question_id: c.comment for c in comments if c.round == last_round}
        return Record(
            id=state.id,
            form_id=state.form_id,
            definition_hash=state.definition_hash,
            spec=self.spec_for_hash(state.definition_hash),
            answers=state.answers,
            status=state.status,
            revision=state.revision,
            latest_revision=latest.revision,
            version=latest.version,
            owner_id=state.owner_id,
            owner_username=owner[0],
            owner_name=owner[1],
            editor_id=state.editor_id,
            created_at=state.created_at,
            updated_at=state.updated_at,
            submitted_at=state.submitted_at,
            approved_at=state.approved_at,
            approved_by=state.approved_by,
            urn=state.urn,
            completeness=state.completeness,
            return_rounds=state.return_rounds,
            supersedes=state.supersedes,
            amend_reason=state.amend_reason,
            ever_submitted=state.ever_submitted,
            review_comments=latest_comments if state.status is not Status.APPROVED else {},
            comment_history=comments,
        )

    def _archived_record(self, latest: RecordState, revision: int, session: Session | None = None) -> Record:
        with self._read() as conn:
            row = conn.execute(
                "SELECT definition_hash, status, editor_id, supersedes, amend_reason, created_at, updated_at, "
                "submitted_at, approved_at, approved_by, return_rounds, urn, completeness, answers_json, key_id, "
                "sealed_answers FROM record_revisions WHERE record_id = ? AND revision = ?",
                (latest.id, revision),
            ).fetchone()
        if row is None:
            raise NotFound(
                f"Record {latest.id} has no revision {revision} (its revisions are 1 to {latest.revision})."
            )
        state = RecordState(
            seq=latest.seq,
            id=latest.id,
            form_id=latest.form_id,
            definition_hash=row[0],
            owner_id=latest.owner_id,
            editor_id=int(row[2]),
            status=Status(row[1]),
            revision=revision,
            version=latest.version,
            supersedes=row[3],
            amend_reason=row[4],
            created_at=row[5],
            updated_at=row[6],
            submitted_at=row[7],
            approved_at=row[8],
            approved_by=row[9],
            ever_submitted=True,
            return_rounds=int(row[10]),
            urn=row[11],
            completeness=int(row[12]),
            answers_cache=json.loads(row[13]) if row[14] is None else None,
            key_id=None if row[14] is None else int(row[14]),
            sealed_answers=None if row[15] is None else bytes(row[15]),
        )
        return self._record_from_state(self._with_opener(state, session), latest, session)

    def _user_by_id_row(self, user_id: int) -> tuple[str, str]:
        with self._read() as conn:
            row = conn.execute("SELECT username, full_name FROM users WHERE id = ?", (user_id,)).fetchone()
        return (str(row[0]), str(row[1])) if row else ("", "")

    def _comments(
        self, record_id: str, revision: int, session: Session | None = None
    ) -> tuple[ReviewComment, ...]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT c.question_id, c.comment, c.round, c.revision, c.author_id, COALESCE(u.full_name, ''), "
                "c.created_at, c.key_id, c.sealed_comment FROM review_comments c "
                "LEFT JOIN users u ON u.id = c.author_id "
                "WHERE c.record_id = ? AND c.revision = ? ORDER BY c.round, c.id",
                (record_id, revision),
            ).fetchall()
            texts = [
                r[1]
                if r[7] is None
                else self._open_part(
                    conn,
                    session,
                    key_id=int(r[7]),
                    record_id=record_id,
                    revision=revision,
                    part=comment_part(int(r[2]), str(r[0])),
                    blob=bytes(r[8]),
                ).decode("utf-8")
                for r in rows
            ]
        return tuple(
            ReviewComment(
                question_id=r[0],
                comment=text,
                round=int(r[2]),
                revision=int(r[3]),
                author_id=int(r[4]),
                author_name=r[5],
                created_at=r[6],
            )
            for r, text in zip(rows, texts, strict=True)
        )

    # ----------------------------------------------------------------------------------- saving
    def save_answer(
        self, session: Session, record_id: str, question_id: str, value: Any, expected_version: int
    ) -> int:
        """The autosave path: one transaction (answer, columns, audit), returning the new version after
        the commit is durable. A stale ``expected_version`` raises SaveConflict; nothing is overwritten."""
        return self.save_answers(session, record_id, {question_id: value}, expected_version)

    def save_answers(
        self, session: Session, record_id: str, answers: Mapping[str, Any], expected_version: int
    ) -> int:
        """Several answers in one transaction (see ``save_answer``).

        Kept lean because it runs on every pause in typing: the answers and derived columns this Store
        last wrote for the record are reused while the row still carries that version (so another
        writer's change is never overwritten by a stale copy), the evaluation is skipped when only
        answers that feed nothing else changed and their answered-ness and validity stayed the same,
        the search row is rewritten only when names or references changed, and the row is written
        by one UPDATE."""
        user = self._current_user(session)
        if user.role is Role.ADMIN:
            raise PermissionDenied(ADMIN_NO_CONTENT)
        if not answers:
            raise InvalidInput("There is nothing to save: no answers were given.")
        record_id = str(record_id)
        # Taken out now and put back only after a successful commit: a failed save reads the row afresh next time.
        saved = self._saved().pop(record_id, None)
        with self._tx() as conn:
            state, reused = self._load_for_save(conn, record_id, saved, session)
            if not state.is_own(user) and user.role is not Role.SUPERVISOR:
                raise PermissionDenied("Officers can change only their own records.")
            self._check_version(state, expected_version)
            if reused is not None and reused.seal is not None:
                seal, memo = reused.seal, reused.token_memo
            else:
                seal, memo = self._seal_of(conn, session, state), {}
            spec = self.spec_for_hash(state.definition_hash)
            working = dict(state.answers)
            audiences = self._apply(spec, working, answers)
            self._check_can_write(user, state, audiences)
            quick = (
                self._derived_quickly(spec, audiences, reused.answers, working, reused.derived)
                if reused is not None
                else None
            )
            derived = quick if quick is not None else self.derive(spec, working)
            new_version = state.version + 1
            now = self._stamp()
            sealed_answers = seal.seal_answers(ANSWERS_JSON.encode(working))
            if reused is not None and derived == reused.derived:
                conn.execute(
                    "UPDATE records SET sealed_answers = ?, version = ?, updated_at = ? WHERE seq = ?",
                    (sealed_answers, new_version, now, state.seq),
                )
                search = reused.search
            else:
                search = self._write_derived(
                    conn,
                    state.seq,
                    derived,
                    urn=state.urn,
                    seal=seal,
                    approved=state.status is Status.APPROVED,
                    answers=(sealed_answers, new_version, now),
                    previous=reused.search if reused is not None else None,
                    before=reused.derived if reused is not None else None,
                    memo=memo,
                )
            for key in sorted(audiences):
                value = working.get(key)
                self._audit(
                    session,
                    audit.ALTERATION,
                    record_id=state.id,
                    revision=state.revision,
                    question_id=key,
                    value_sha256=self._value_hash(value),
                    detail={"cleared": True} if value is None else None,
                )
        self._remember(
            record_id,
            _SavedState(
                state.revision, new_version, now, state.definition_hash, working, derived, search, seal, memo
            ),
        )
        return new_version

    def _load_for_save(
        self, conn: sqlite3.Connection, record_id: str, saved: _SavedState | None, session: Session
    ) -> tuple[RecordState, _SavedState | None]:
        """The row for a save; its answers come from ``saved`` when the row is exactly as this Store
        last wrote it (SQLite then does not even read the answers document out)."""
        key = (
            (saved.version, saved.updated_at, saved.revision, saved.definition_hash)
            if saved
            else (-1, "", -1, "")
        )
        row = conn.execute(_LOAD_FOR_SAVE_SQL, (record_id, *key)).fetchone()
        if row is None:
            raise NotFound(
                f"There is no record {record_id} on this PC (it may have been deleted as a draft)."
            )
        if row[-3] is None and row[-1] is None and saved is not None:
            return RecordState.from_row(row, answers=saved.answers), saved
        return self._with_opener(RecordState.from_row(row), session), None

    def _derived_quickly(
        self,
        spec: FormSpec,
        audiences: Mapping[str, str],
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        derived: Derived,
    ) -> Derived | None:
        """The derived values after a change, worked out without evaluating the whole form when the
        changed answers can only change columns they feed directly (``_FormFacts.column_only``, e.g.
        the victim's surname → the victim's name) or nothing at all (``inert``), and each question
        stayed answered (or unanswered) and valid, which is all completeness counts of it. None: the
        full evaluation is needed."""
        from dsvdesk.engine.answers import validate_value
        from dsvdesk.engine.expressions import MappingEnvironment, answered

        facts = self._facts(spec)
        columns: list[tuple[str, str, Expression | None]] = []
        for key in audiences:
            if key in facts.column_only:
                columns.extend(facts.column_only[key])
            elif key not in facts.inert:
                return None
            question = facts.targets[key][1]
            if key != question.id:
                continue  # a comment: completeness does not count comments
            old, new = before.get(key), after.get(key)
            if answered(old) != answered(new):
                return None
            if answered(new) and (
                validate_value(question, old) is not None or validate_value(question, new) is not None
            ):
                return None
        if not columns:
            return derived
        values = dict(derived.columns)
        env = MappingEnvironment({**facts.constants, **after}) if any(c[2] for c in columns) else None
        for column, source, expression in columns:
            if expression is None or env is None or source in after:  # as ``derive`` picks the value
                values[column] = column_value(after.get(source))
            else:
                values[column] = column_value(expression.evaluate(env))
        return replace(derived, columns=finish_columns(values))

    @staticmethod
    def _check_version(state: RecordState, expected_version: int) -> None:
        if int(expected_version) != state.version:
            raise SaveConflict(
                "This record was changed somewhere else (another window or another copy of DSVDesk) since you "
                "opened it, so your change was not saved over it. Reopen the record to see the latest version, "
                "then make your change again.",
                current_version=state.version,
            )

    @staticmethod
    def _check_can_write(user: User, state: RecordState, audiences: Mapping[str, str]) -> None:
        reviewer_keys = sorted(k for k, a in audiences.items() if a == "reviewer")
        author_keys = sorted(k for k, a in audiences.items() if a != "reviewer")
        if state.status is Status.APPROVED:
            raise InvalidTransition(
                "This record is approved and cannot change. To correct it, choose Amend and give a reason: "
                "a new revision is made and the approved one is kept."
            )
        if state.status in EDITABLE_STATUSES:
            if user.id != state.editor_id:
                raise PermissionDenied(
                    "Only the officer writing this record can change it while it is a draft."
                )
            if reviewer_keys:
                raise PermissionDenied(
                    f"{', '.join(reviewer_keys)} belong{'s' if len(reviewer_keys) == 1 else ''} to the supervisor's "
                    "review section and can be filled in only at review."
                )
            return
        # submitted: immutable for its author; only a reviewing supervisor fills the review section
        if user.role is not Role.SUPERVISOR or state.is_own(user):
            raise InvalidTransition(
                "This record has been submitted for review and cannot be changed now. If it needs a change, "
                "ask the supervisor to return it to you."
            )
        if author_keys:
            raise InvalidTransition(
                f"{', '.join(author_keys)} {'is' if len(author_keys) == 1 else 'are'} the officer's answers; a "
                "reviewer cannot change them. Return the record with a comment instead."
            )

    def _write_derived(
        self,
        conn: sqlite3.Connection,
        seq: int,
        derived: Derived,
        *,
        urn: str | None,
        seal: RecordSeal,
        approved: bool,
        answers: tuple[bytes, int, str] | None = None,
        previous: frozenset[bytes] | None = None,
        before: Derived | None = None,
        memo: dict[str, bytes] | None = None,
    ) -> frozenset[bytes] | None:
        """Write the derived columns (sealed where they identify someone) and the blind-index row (only
        when it changed from ``previous``); with ``answers`` (sealed answers, version, updated_at) in
        the same UPDATE. ``before``: what this Store last wrote for the row, which still holds it (the
        caller checked its version): then only the columns whose values change are written, so SQLite
        rewrites only the indexes on those (the row ends up exactly as a full write leaves it).
        ``memo``: the record's tokens by prefix (``_SavedState.token_memo``). Returns the tokens
        written (None: pending, the writer holds no index key)."""
        if memo is not None and len(memo) > _TOKEN_MEMO_KEPT:
            memo.clear()
        search = seal.search(derived.columns, urn, memo)
        if answers is None:
            params = _derived_params(derived, seal, approved=approved, search_pending=search is None)
            conn.execute(_WRITE_DERIVED_SQL, [*params, seq])
        elif before is None:
            params = _derived_params(derived, seal, approved=approved, search_pending=search is None)
            conn.execute(_SAVE_WITH_DERIVED_SQL, [*answers, *params, seq])
        else:
            self._save_changed(
                conn,
                seq,
                derived=derived,
                before=before,
                seal=seal,
                approved=approved,
                answers=answers,
                search_pending=search is None,
            )
        if search is not None and search != previous:
            write_tokens(conn, seq, search, previous)
        return search

    @staticmethod
    def _save_changed(
        conn: sqlite3.Connection,
        seq: int,
        *,
        derived: Derived,
        before: Derived,
        seal: RecordSeal,
        approved: bool,
        answers: tuple[bytes, int, str],
        search_pending: bool,
    ) -> None:
        """The answers and the derived columns that differ from the row's: plain ones compared with
        what the row holds now (another writer may have set the victim key or a flag without a new
        version), the sealed ones with what this Store sealed last (only versioned writes seal them)."""
        values, sealed = _plain_params(derived, seal, approved=approved, search_pending=search_pending)
        stored = conn.execute(_READ_DERIVED_SQL, (seq,)).fetchone()
        names: list[str] = []
        params: list[Any] = [*answers]
        for name, value, old in zip(_DERIVED_PLAIN, values, stored, strict=True):
            if not _same_value(value, old):
                names.append(name)
                params.append(value)
        if sealed_text(sealed) != sealed_text(split_columns(before.columns, TABLE_COLUMNS)[1]):
            names.append("sealed_columns")
            params.append(seal.seal_columns(sealed))
        conn.execute(_save_changed_sql(tuple(names)), [*params, seq])

    @staticmethod
    def _write_clear_derived(conn: sqlite3.Connection, seq: int, derived: Derived) -> None:
        """A record merged from a transfer bundle: its derived columns as they were stored before sealed
        records, for ``_seal_unsealed`` to seal in the same transaction (it needs the row in the clear)."""
        conn.execute(
            _CLEAR_DERIVED_SQL,
            [
                *(derived.columns.get(name) for name in TABLE_COLUMNS),
                derived.completeness,
                flags_text(derived.flags),
                COLUMNS_JSON.encode(derived.columns),
                seq,
            ],
        )

    def _write_search(self, conn: sqlite3.Connection, seq: int, session: Session | None) -> None:
        """Re-index one record from its stored columns and URN (after the URN changes, at approval),
        and make its victim key when the session holds the station key."""
        row = conn.execute(
            "SELECT id, revision, key_id, owner_id, columns_json, sealed_columns, urn, status FROM records WHERE seq = ?",
            (seq,),
        ).fetchone()
        if row[2] is None:
            return  # not sealed yet: sealed (and indexed) at the next sign-in
        record_id, revision, key_id = str(row[0]), int(row[1]), int(row[2])
        seal = self._record_seal(
            conn, session, record_id=record_id, revision=revision, key_id=key_id, owner_id=int(row[3])
        )
        sealed = (
            self._sealed_columns_of(
                conn, session, key_id=key_id, record_id=record_id, revision=revision, blob=row[5]
            )
            or {}
        )
        columns = {**json.loads(row[4] or "{}"), **sealed}
        search = seal.search(columns, row[6])
        if search is not None:
            write_tokens(conn, seq, search)
        key = seal.victim_key(columns)
        pending = search is None or (
            row[7] == Status.APPROVED.value and key is None and victim_key(columns) is not None
        )
        conn.execute(
            "UPDATE records SET victim_key = ?, index_pending = ? WHERE seq = ?",
            (key, 1 if pending else 0, seq),
        )

    # ----------------------------------------------------------------------------------- upgrade
    def upgrade_record(
        self, session: Session, record_id: str, spec: FormSpec, expected_version: int
    ) -> tuple[RecordRef, UpgradeReport]:
        """Move a draft (or a returned record) to another version of its form (issue 18): answers mapped by
        question id (`engine.upgrade.plan_upgrade`), the record pinned to the new definition, in one
        transaction with one audit event that names the versions and the dropped answer ids (never a
        value). Submitted and approved records are never touched; only the officer writing the record
        may move it; a stale `expected_version` raises SaveConflict."""
        from dsvdesk.engine.upgrade import UpgradeNotPossible, plan_upgrade

        user = self._current_user(session)
        if user.role is Role.ADMIN:
            raise PermissionDenied(ADMIN_NO_CONTENT)
        record_id = str(record_id)
        self._saved().pop(record_id, None)
        with self._tx() as conn:
            state = self._load(conn, record_id, session)
            if state.status not in EDITABLE_STATUSES:
                raise InvalidTransition(
                    f"This record is {state.status}: only drafts and returned records move to a new version "
                    "of their form. It keeps the version it was submitted on."
                )
            if user.id != state.editor_id:
                raise PermissionDenied("Only the officer writing this record can move it to a new version.")
            self._check_version(state, expected_version)
            old_spec = self.spec_for_hash(state.definition_hash)
            try:
                report = plan_upgrade(old_spec, spec, state.answers, now=self._clock())
            except UpgradeNotPossible as exc:
                raise InvalidInput(str(exc)) from None
            content_hash = self._store_definition(conn, spec)
            working = dict(report.answers)
            derived = self.derive(spec, working)
            new_version = state.version + 1
            now = self._stamp()
            conn.execute("UPDATE records SET definition_hash = ? WHERE seq = ?", (content_hash, state.seq))
            seal = self._seal_of(conn, session, state)
            self._write_derived(
                conn,
                state.seq,
                derived,
                urn=state.urn,
                seal=seal,
                approved=False,
                answers=(seal.seal_answers(json.dumps(working, ensure_ascii=False)), new_version, now),
            )
            self._audit(
                session,
                audit.ALTERATION,
                record_id=state.id,
                revision=state.revision,
                detail={"form_upgrade": report.summary()},
            )
        log.storage.info(
            "record %s moved from form %s %s to %s (%d kept, %d dropped)",
            record_id,
            spec.id,
            report.old_version,
            report.new_version,
            len(report.kept),
            len(report.dropped),
        )
        return RecordRef(
            id=state.id, revision=state.revision, version=new_version, status=state.status
        ), report

    # ----------------------------------------------------------------------------------- lists
    def record_filter(
        self,
        user: User,
        *,
        status: str | Status | Iterable[str | Status] | None,
        owner: int | str | None,
        search: str | None,
        flag: str | None,
        date_column: str,
        date_from: str | None,
        date_to: str | None,
    ) -> tuple[str, list[Any]]:
        """The WHERE clause (over ``records r``) and parameters of ``list_records``' filters for ``user``
        (officers see only their own records; admins no content → ``PermissionDenied``); public so
        other listings (the review queue) filter exactly as the record list does."""
        if user.role is Role.ADMIN:
            raise PermissionDenied(ADMIN_NO_CONTENT)
        where: list[str] = []
        params: list[Any] = []
        if user.role is Role.OFFICER:
            where.append("r.owner_id = ?")
            params.append(user.id)
        if owner is not None:
            owner_id = owner if isinstance(owner, int) else self._owner_id(str(owner))
            if user.role is Role.OFFICER and owner_id != user.id:
                raise PermissionDenied("Officers can list only their own records.")
            where.append("r.owner_id = ?")
            params.append(owner_id)
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            try:
                values = [Status(str(s)).value for s in wanted]
            except ValueError:
                raise InvalidInput(
                    f"Unknown status {status!r}: use draft, submitted, returned or approved."
                ) from None
            where.append(f"r.status IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        if flag:
            where.append("r.flags LIKE ?")
            params.append(f"% {flag.strip()} %")
        if date_from or date_to:
            if date_column not in DATE_FILTER_COLUMNS:
                raise InvalidInput(
                    f"Cannot filter by {date_column!r}; use one of {', '.join(DATE_FILTER_COLUMNS)}."
                )
            if date_from:
                where.append(f"r.{date_column} >= ?")
                params.append(date_from)
            if date_to:
                # inclusive end day: times on that day sort after the bare date
                where.append(f"r.{date_column} < ?")
                params.append(f"{date_to}\uffff")
        if search and search.strip():
            # the index holds keyed tokens: the query words become tokens under every index key the
            # user holds (their own; a supervisor's: every officer's), so nobody matches what they
            # may not read
            blind = self._search_clause(user.id, user.role, search)
            if blind is not None:
                where.append(blind[0])
                params.extend(blind[1])
            elif sealing.words(search):
                where.append("0")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return clause, params

    def _owner_id(self, username: str) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise NotFound(f"There is no user called {username!r}.")
        return int(row[0])

    def list_records(
        self,
        session: Session,
        *,
        status: str | Status | Iterable[str | Status] | None = None,
        owner: int | str | None = None,
        search: str | None = None,
        flag: str | None = None,
        date_column: str = "incident_date",
        date_from: str | None = None,
        date_to: str | None = None,
        sort: str = "updated_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> list[RecordRow]:
        """One page of rows (officers: their own; supervisors: the station's). Sorting and filtering
        happen in SQL on indexed columns, so the first page costs the same at 100 or 100,000 records."""
        user = self._current_user(session)
        if sort not in SORTS:
            raise InvalidInput(f"Cannot sort by {sort!r}; use one of {', '.join(SORTS)}.")
        if not 0 <= int(offset) or not 1 <= int(limit) <= MAX_LIST_LIMIT:
            raise InvalidInput(f"A page starts at 0 or later and holds 1 to {MAX_LIST_LIMIT} records.")
        clause, params = self.record_filter(
            user,
            status=status,
            owner=owner,
            search=search,
            flag=flag,
            date_column=date_column,
            date_from=date_from,
            date_to=date_to,
        )
        direction = "DESC" if descending else "ASC"
        if sort in NAME_SORTS:  # names are sealed: ordered in memory (name_order), the page read by seq
            seqs = self._seqs_by_name(session, sort, clause, params, descending)[
                int(offset) : int(offset) + int(limit)
            ]
            if not seqs:
                return []
            sql = (
                f"SELECT {SEALED_LIST_COLUMNS}, r.seq FROM records r JOIN users u ON u.id = r.owner_id "  # noqa: S608
                f"WHERE r.seq IN ({', '.join('?' for _ in seqs)})"
            )
            params, paging = list(seqs), []
        else:
            order = f"{SORTS[sort]} {direction}, r.seq {direction}"
            # built from fixed parts; values are bound parameters. The page's rows are chosen first from
            # an index (records_owner_* of migration 0008 for My forms), then only those rows are read: a
            # middle or last page no longer reads every row before it with its documents (issue 22).
            owner_join = " JOIN users u ON u.id = r.owner_id" if sort == "owner" else ""
            sql = (
                f"SELECT {SEALED_LIST_COLUMNS} FROM (SELECT r.seq FROM records r{owner_join}{clause} "  # noqa: S608
                f"ORDER BY {order} LIMIT ? OFFSET ?) AS page JOIN records r ON r.seq = page.seq "
                f"JOIN users u ON u.id = r.owner_id ORDER BY {order}"
            )
            paging = [int(limit), int(offset)]
        with self._read() as conn:
            rows = conn.execute(sql, [*params, *paging]).fetchall()
            if sort in NAME_SORTS:
                place = {seq: i for i, seq in enumerate(seqs)}
                rows.sort(key=lambda row: place[row[-1]])
                rows = [row[:-1] for row in rows]
            return self.open_list_rows(session, rows)

    def prepare_name_order(
        self,
        session: Session,
        sort: str = "victim_name",
        *,
        status: str | Status | Iterable[str | Status] | None = None,
        owner: int | str | None = None,
        first_rows: int = 0,
    ) -> int:
        """Open now, in bulk, the sealed name ``sort`` of every record these filters give (as
        ``list_records`` has them) that the session's name order does not hold yet, and the list values
        of the first ``first_rows`` records in that order each way (a page), so that the first sort by
        that name opens nothing. The app calls it on a worker's own Store right after sign-in (issue
        22); the order is held in memory only, for the session. Returns how many names were opened."""
        if sort not in NAME_SORTS:
            raise InvalidInput(f"{sort!r} is not a name column; use one of {', '.join(NAME_SORTS)}.")
        user = self._current_user(session)
        clause, params = self.record_filter(
            user,
            status=status,
            owner=owner,
            search=None,
            flag=None,
            date_column="incident_date",
            date_from=None,
            date_to=None,
        )
        return self._prepare_names(session, sort, clause, params, first_rows=max(0, int(first_rows)))

    def seqs_by_sealed_name(
        self, session: Session, sort: str, clause: str, params: list[Any], *, descending: bool = False
    ) -> list[int]:
        """Every record seq a filter (``record_filter``'s clause over ``records r``) gives, ordered by
        the sealed name column ``sort`` as the session opens it (no name first, then the name case and
        accent folded, then seq): how a listing sorts by a name now that names are sealed (issue 15).
        The order is held in memory for the session (``prepare_name_order`` makes it ahead)."""
        if sort not in NAME_SORTS:
            raise InvalidInput(f"{sort!r} is not a name column; use one of {', '.join(NAME_SORTS)}.")
        return self._seqs_by_name(session, sort, clause, params, descending)

    def count_records(
        self,
        session: Session,
        *,
        status: str | Status | Iterable[str | Status] | None = None,
        owner: int | str | None = None,
        search: str | None = None,
        flag: str | None = None,
        date_column: str = "incident_date",
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> int:
        user = self._current_user(session)
        clause, params = self.record_filter(
            user,
            status=status,
            owner=owner,
            search=search,
            flag=flag,
            date_column=date_column,
            date_from=date_from,
            date_to=date_to,
        )
        sql = f"SELECT count(*) FROM records r{clause}"  # noqa: S608 - clause built from fixed parts
        with self._read() as conn:
            return int(conn.execute(sql, params).fetchone()[0])

    # ----------------------------------------------------------------------------------- history, PDFs
    def record_history(self, session: Session, record_id: str) -> list[HistoryEvent]:
        """Lifecycle steps (created, submitted, returned, approved, amended) with who and when."""
        user = self._current_user(session)
        with self._read() as conn:
            state = self._load(conn, record_id)
            if user.role is Role.ADMIN:
                raise PermissionDenied(ADMIN_NO_CONTENT)
            if not state.is_own(user) and user.role is not Role.SUPERVISOR:
                raise PermissionDenied("Officers can see only their own records.")
            rows = conn.execute(
                "SELECT a.event, a.revision, a.at, a.user_id, COALESCE(u.username, a.username, ''), "  # noqa: S608
                "COALESCE(u.full_name, ''), COALESCE(u.role, ''), a.detail FROM audit_events a "
                "LEFT JOIN users u ON u.id = a.user_id WHERE a.record_id = ? AND a.event IN "
                f"({', '.join('?' for _ in audit.LIFECYCLE_EVENTS)}) ORDER BY a.id",
                (state.id, *audit.LIFECYCLE_EVENTS),
            ).fetchall()
        names = {audit.COLLECTION: "created"}
        return [
            HistoryEvent(
                action=names.get(r[0], r[0]),
                revision=r[1],
                at=r[2],
                user_id=r[3],
                username=r[4],
                full_name=r[5],
                role=r[6],
                detail=json.loads(r[7] or "{}"),
            )
            for r in rows
        ]

    def signed_pdf(
        self, session: Session, record_id: str, revision: int, *, justification: str | None = None
    ) -> bytes | None:
        """The newest signed PDF of a revision: the countersigned one once approved, else the officer's."""
        user = self._current_user(session)
        with self._read() as conn:
            state = self._load(conn, record_id)
        if user.role is Role.ADMIN:
            raise PermissionDenied(ADMIN_NO_CONTENT)
        if not state.is_own(user) and user.role is not Role.SUPERVISOR:
            raise PermissionDenied("Officers can see only their own records.")
        with self._read() as conn:
            row = conn.execute(
                "SELECT pdf, key_id, kind FROM signed_pdfs WHERE record_id = ? AND revision = ? "
                "ORDER BY CASE kind WHEN 'approved' THEN 1 ELSE 0 END DESC, id DESC LIMIT 1",
                (state.id, int(revision)),
            ).fetchone()
            if row is None:
                return None
            pdf = (
                bytes(row[0])
                if row[1] is None
                else self._open_part(
                    conn,
                    session,
                    key_id=int(row[1]),
                    record_id=state.id,
                    revision=int(revision),
                    part=pdf_part(str(row[2])),
                    blob=row[0],
                )
            )
        with self._tx():
            self._audit(
                session,
                audit.CONSULTATION,
                record_id=state.id,
                revision=int(revision),
                justification=justification,
                detail={"what": "signed_pdf"},
            )
        return pdf
