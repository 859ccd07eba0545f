"""Records: create, open (every open is a consultation), autosave with optimistic concurrency,
paginated lists and full-text search. Lifecycle steps are in ``lifecycle.py``."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.store import audit
from dsvdesk.store.base import StoreBase
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
    record_row_from_columns,
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
NAME_COLUMNS = ("victim_name", "suspect_name")  # indexed as names in records_fts
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
DATE_FILTER_COLUMNS = ("incident_date", "created_at", "updated_at", "submitted_at", "approved_at")

_RECORD_COLUMNS = (
    "seq, id, form_id, definition_hash, owner_id, editor_id, status, revision, version, supersedes, "
    "amend_reason, created_at, updated_at, submitted_at, approved_at, approved_by, ever_submitted, "
    "return_rounds, urn, completeness, answers_json"
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
    answers: dict[str, Any]

    @classmethod
    def from_row(cls, row: tuple[Any, ...], *, answers: dict[str, Any] | None = None) -> RecordState:
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
            answers=json.loads(row[20]) if answers is None else answers,
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
    search: tuple[str, str]


_SAVED_STATES_KEPT = 64  # records an officer edits in one sitting; a few KB of answers each


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
    return _FormFacts(targets=targets, inert=frozenset(inert))


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


def _fts_query(text: str) -> str:
    """A safe FTS5 query: every word must match as a prefix; operators in the input mean nothing."""
    words = re.findall(r"\w+", fold(text))
    return " ".join(f'"{w}"*' for w in words)


def _json_dumps(value: Any, what: str) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"The answer to {what} cannot be saved: it is not text, a number, a list or a table."
        ) from None
    return text


_DERIVED_SET = f"{', '.join(f'{n} = ?' for n in TABLE_COLUMNS)}, victim_key = ?, completeness = ?, flags = ?, columns_json = ?"
# Constant SQL texts, so sqlite3's statement cache prepares each once per connection.
_WRITE_DERIVED_SQL = f"UPDATE records SET {_DERIVED_SET} WHERE seq = ?"  # noqa: S608 - fixed names
_SAVE_WITH_DERIVED_SQL = (
    f"UPDATE records SET answers_json = ?, version = ?, updated_at = ?, {_DERIVED_SET} WHERE seq = ?"  # noqa: S608
)
# The answers document is read only when the row is not exactly as this Store last wrote it.
_LOAD_FOR_SAVE_SQL = (
    f"SELECT {_RECORD_COLUMNS.replace(', answers_json', '')}, "  # noqa: S608 - fixed names
    "CASE WHEN version = ?2 AND updated_at = ?3 AND revision = ?4 AND definition_hash = ?5 THEN NULL "
    "ELSE answers_json END FROM records WHERE id = ?1"
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


def _derived_params(derived: Derived) -> list[Any]:
    return [
        *(derived.columns.get(name) for name in TABLE_COLUMNS),
        victim_key(derived.columns),
        derived.completeness,
        flags_text(derived.flags),
        COLUMNS_JSON.encode(derived.columns),
    ]


class RecordOps(StoreBase):
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
        with self._tx() as conn:
            content_hash = self._store_definition(conn, spec)
            cursor = conn.execute(
                "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, revision, version, "
                "created_at, updated_at, answers_json) VALUES (?, ?, ?, ?, ?, 'draft', 1, 1, ?, ?, ?)",
                (
                    record_id,
                    spec.id,
                    content_hash,
                    user.id,
                    user.id,
                    now,
                    now,
                    ANSWERS_JSON.encode(working),
                ),
            )
            assert cursor.lastrowid is not None
            seq = int(cursor.lastrowid)
            search = self._write_derived(conn, seq, derived, urn=None)
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
        self._remember(record_id, _SavedState(1, 1, now, content_hash, working, derived, search))
        log.storage.info("record %s created (form %s) by user id %d", record_id, spec.id, user.id)
        return RecordRef(id=record_id, revision=1, version=1, status=Status.DRAFT)

    def _load(self, conn: sqlite3.Connection, record_id: str) -> RecordState:
        sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ?"  # noqa: S608 - fixed column list
        row = conn.execute(sql, (str(record_id),)).fetchone()
        if row is None:
            raise NotFound(
                f"There is no record {record_id} on this PC (it may have been deleted as a draft)."
            )
        return RecordState.from_row(row)

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
            state = self._load(conn, record_id)
        reason = self._check_consult(user, state, justification)
        wanted = state.revision if revision is None else int(revision)
        if wanted == state.revision:
            record = self._record_from_state(state, state)
        else:
            record = self._archived_record(state, wanted)
        with self._tx():
            self._audit(
                session, audit.CONSULTATION, record_id=state.id, revision=wanted, justification=reason
            )
        return record

    def _record_from_state(self, state: RecordState, latest: RecordState) -> Record:
        owner = self._user_by_id_row(state.owner_id)
        comments = self._comments(state.id, state.revision)
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

    def _archived_record(self, latest: RecordState, revision: int) -> Record:
        with self._read() as conn:
            row = conn.execute(
                "SELECT definition_hash, status, editor_id, supersedes, amend_reason, created_at, updated_at, "
                "submitted_at, approved_at, approved_by, return_rounds, urn, completeness, answers_json "
                "FROM record_revisions WHERE record_id = ? AND revision = ?",
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
            answers=json.loads(row[13]),
        )
        return self._record_from_state(state, latest)

    def _user_by_id_row(self, user_id: int) -> tuple[str, str]:
        with self._read() as conn:
            row = conn.execute("SELECT username, full_name FROM users WHERE id = ?", (user_id,)).fetchone()
        return (str(row[0]), str(row[1])) if row else ("", "")

    def _comments(self, record_id: str, revision: int) -> tuple[ReviewComment, ...]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT c.question_id, c.comment, c.round, c.revision, c.author_id, COALESCE(u.full_name, ''), "
                "c.created_at FROM review_comments c LEFT JOIN users u ON u.id = c.author_id "
                "WHERE c.record_id = ? AND c.revision = ? ORDER BY c.round, c.id",
                (record_id, revision),
            ).fetchall()
        return tuple(
            ReviewComment(
                question_id=r[0],
                comment=r[1],
                round=int(r[2]),
                revision=int(r[3]),
                author_id=int(r[4]),
                author_name=r[5],
                created_at=r[6],
            )
            for r in rows
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
            state, reused = self._load_for_save(conn, record_id, saved)
            if not state.is_own(user) and user.role is not Role.SUPERVISOR:
                raise PermissionDenied("Officers can change only their own records.")
            self._check_version(state, expected_version)
            spec = self.spec_for_hash(state.definition_hash)
            working = dict(state.answers)
            audiences = self._apply(spec, working, answers)
            self._check_can_write(user, state, audiences)
            if reused is not None and self._derived_unchanged(spec, audiences, reused.answers, working):
                derived = reused.derived
            else:
                derived = self.derive(spec, working)
            new_version = state.version + 1
            now = self._stamp()
            answers_json = ANSWERS_JSON.encode(working)
            if reused is not None and derived == reused.derived:
                conn.execute(
                    "UPDATE records SET answers_json = ?, version = ?, updated_at = ? WHERE seq = ?",
                    (answers_json, new_version, now, state.seq),
                )
            else:
                conn.execute(
                    _SAVE_WITH_DERIVED_SQL,
                    [answers_json, new_version, now, *_derived_params(derived), state.seq],
                )
            search = search_text(derived.columns, state.urn)
            if reused is None or search != reused.search:
                self._replace_search(conn, state.seq, search)
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
            _SavedState(state.revision, new_version, now, state.definition_hash, working, derived, search),
        )
        return new_version

    def _load_for_save(
        self, conn: sqlite3.Connection, record_id: str, saved: _SavedState | None
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
        if row[-1] is None and saved is not None:
            return RecordState.from_row((*row[:-1], None), answers=saved.answers), saved
        return RecordState.from_row(row), None

    def _derived_unchanged(
        self,
        spec: FormSpec,
        audiences: Mapping[str, str],
        before: Mapping[str, Any],
        after: Mapping[str, Any],
    ) -> bool:
        """True when the changed answers cannot change any column, flag or the completeness %: each
        feeds nothing else (see ``_FormFacts.inert``), and each question stayed answered (or unanswered)
        and valid, which is all completeness counts of it."""
        from dsvdesk.engine.answers import validate_value
        from dsvdesk.engine.expressions import answered

        facts = self._facts(spec)
        for key in audiences:
            if key not in facts.inert:
                return False
            question = facts.targets[key][1]
            if key != question.id:
                continue  # a comment: completeness does not count comments
            old, new = before.get(key), after.get(key)
            if answered(old) != answered(new):
                return False
            if answered(new) and (
                validate_value(question, old) is not None or validate_value(question, new) is not None
            ):
                return False
        return True

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
        self, conn: sqlite3.Connection, seq: int, derived: Derived, *, urn: str | None
    ) -> tuple[str, str]:
        """Write the derived columns and the search row; returns the search text written."""
        conn.execute(_WRITE_DERIVED_SQL, [*_derived_params(derived), seq])
        search = search_text(derived.columns, urn)
        self._replace_search(conn, seq, search)
        return search

    @staticmethod
    def _replace_search(conn: sqlite3.Connection, seq: int, search: tuple[str, str]) -> None:
        conn.execute("DELETE FROM records_fts WHERE rowid = ?", (seq,))
        conn.execute("INSERT INTO records_fts (rowid, names, refs) VALUES (?, ?, ?)", (seq, *search))

    def _write_search(self, conn: sqlite3.Connection, seq: int) -> None:
        """Re-index one record from its stored columns and URN (after the URN changes, at approval)."""
        columns_json, urn = conn.execute(
            "SELECT columns_json, urn FROM records WHERE seq = ?", (seq,)
        ).fetchone()
        self._replace_search(conn, seq, search_text(json.loads(columns_json), urn))

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
            state = self._load(conn, record_id)
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
            conn.execute(
                _SAVE_WITH_DERIVED_SQL,
                [
                    json.dumps(working, ensure_ascii=False),
                    new_version,
                    now,
                    *_derived_params(derived),
                    state.seq,
                ],
            )
            self._replace_search(conn, state.seq, search_text(derived.columns, state.urn))
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
            query = _fts_query(search)
            if query:
                where.append("r.seq IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
                params.append(query)
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
        order = f"{SORTS[sort]} {direction}, r.seq {direction}"
        # built from fixed parts; values are bound parameters. The page's rows are chosen first from
        # an index (records_owner_* of migration 0008 for My forms), then only those rows are read: a
        # middle or last page no longer reads every row before it with its documents (issue 22).
        owner_join = " JOIN users u ON u.id = r.owner_id" if sort == "owner" else ""
        sql = (
            "SELECT r.id, r.form_id, r.status, r.revision, r.version, r.owner_id, u.username, u.full_name, "  # noqa: S608
            "r.editor_id, r.created_at, r.updated_at, r.submitted_at, r.approved_at, r.urn, r.completeness, "
            "r.return_rounds, r.victim_name, r.suspect_name, r.incident_date, r.cad_ref, r.cris_ref, r.grade, "
            f"r.yes_count, r.flags, r.columns_json FROM (SELECT r.seq FROM records r{owner_join}{clause} "
            f"ORDER BY {order} LIMIT ? OFFSET ?) AS page JOIN records r ON r.seq = page.seq "
            f"JOIN users u ON u.id = r.owner_id ORDER BY {order}"
        )
        with self._read() as conn:
            rows = conn.execute(sql, [*params, int(limit), int(offset)]).fetchall()
        return [record_row_from_columns(r) for r in rows]

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
                "SELECT pdf FROM signed_pdfs WHERE record_id = ? AND revision = ? "
                "ORDER BY CASE kind WHEN 'approved' THEN 1 ELSE 0 END DESC, id DESC LIMIT 1",
                (state.id, int(revision)),
            ).fetchone()
        if row is None:
            return None
        with self._tx():
            self._audit(
                session,
                audit.CONSULTATION,
                record_id=state.id,
                revision=int(revision),
                justification=justification,
                detail={"what": "signed_pdf"},
            )
        return bytes(row[0])
