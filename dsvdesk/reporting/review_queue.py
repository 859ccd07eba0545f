"""The supervisor's review queue: submitted records, oldest first, with the flags a reviewer acts on.

Qt-free. Two kinds of flag:

* **rule flags** come from the record's own definition: a rule tagged ``flag: <name>`` that fires on
  the answers puts ``<name>`` in the record's ``flags`` column at every save (the store does that in
  ``RecordOps._derive``), so the queue filters on them in SQL, page by page;
* **queue flags** come from the lifecycle columns at the moment of asking: ``resubmitted`` (the record
  came back after a return) and ``waiting_over_24h`` (submitted more than 24 hours ago and not yet
  decided).

Every call is for supervisors only (checked against the database, whatever the UI shows). Listing
reads no answers, so it is not a consultation; opening a record from the queue is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.engine.errors import FormDefinitionErrors
from dsvdesk.engine.vocabulary import Vocabulary, vocabulary_for
from dsvdesk.errors import UserFacingError
from dsvdesk.store.errors import InvalidInput, StorageBug
from dsvdesk.store.models import RecordRow, Role, Session, Status, User

if TYPE_CHECKING:
    from dsvdesk.engine.completeness import Finding
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store import Store

RESUBMITTED = "resubmitted"
WAITING = "waiting_over_24h"
QUEUE_FLAGS = (RESUBMITTED, WAITING)
WAITING_LIMIT = dt.timedelta(hours=24)
# What the queue lists when no status is chosen: records waiting for a decision.
DEFAULT_STATUSES: tuple[str, ...] = (Status.SUBMITTED.value,)
RISK_SORT = "risk"  # the final grade (the form's order), then the DASH 'yes' count; ties: longest wait first
QUEUE_SORTS = (
    RISK_SORT,
    "submitted_at",
    "incident_date",
    "victim_name",
    "owner",
    "yes_count",
    "grade",
    "completeness",
    "updated_at",
)
MAX_QUEUE_PAGE = 1000
# the officer's grade as saved (0005's plain column; the columns document for a row saved before it)
_OFFICER_GRADE = "coalesce(r.officer_grade, json_extract(r.columns_json, '$.officer_grade'))"

# The queue's own flags (the workflow's, not a form's). The rule flags' labels and urgency come from
# the forms (`options.flags`, engine/vocabulary.py); a flag a form gives no label is shown in words
# ("family_court_order" -> "Family court order"), so a force can add flags in its form file alone.
QUEUE_FLAG_LABELS: Mapping[str, str] = {
    RESUBMITTED: "Resubmitted after return",
    WAITING: "Waiting over 24 hours",
}
URGENT_QUEUE_FLAGS = frozenset({WAITING})
_NO_VOCABULARY = Vocabulary(form_id="")
_FLAG_NAME = re.compile(r"^[a-z0-9_]{1,64}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def flag_label(flag: str, vocabulary: Vocabulary | None = None) -> str:
    """The words a supervisor sees for a flag name: the queue's own, else the form's (`vocabulary`)."""
    known = QUEUE_FLAG_LABELS.get(flag)
    if known:
        return known
    return (vocabulary or _NO_VOCABULARY).flag_label(flag)


def is_urgent(flag: str, vocabulary: Vocabulary | None = None) -> bool:
    """Whether the flag is one a supervisor must act on first (shown in red)."""
    return flag in URGENT_QUEUE_FLAGS or (vocabulary or _NO_VOCABULARY).is_urgent(flag)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows. Empty fields mean "any"."""

    statuses: tuple[str, ...] = DEFAULT_STATUSES
    flag: str = ""  # a rule flag or one of QUEUE_FLAGS
    officer: str = ""  # username of the record's officer
    date_from: str = ""  # incident dates, inclusive, YYYY-MM-DD
    date_to: str = ""
    search: str = ""  # names and references (full-text, as the home list)
    sort: str = "submitted_at"
    descending: bool = False  # oldest first: the longest wait is dealt with first


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue: the store's list row plus the flags and how long it has waited."""

    row: RecordRow
    flags: tuple[str, ...]
    waiting_hours: float | None  # since the (latest) submission; None unless submitted
    officer_grade: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)
    flag_labels: tuple[str, ...] = ()  # the flags in words (the forms' labels), in the order of `flags`
    urgent: bool = False  # any flag the forms call urgent, or waiting over 24 hours
    risk: str = ""  # the grade and DASH count in words ("Medium · 13 yes"): `risk_words`
    risk_detail: str = ""  # the same in a sentence, with the form's high-risk threshold

    @property
    def risk_and_flags(self) -> str:
        """What the queue's first column says: the risk, then every flag (a record with no flag still
        says how risky it is)."""
        return " — ".join(part for part in (self.risk, ", ".join(self.flag_labels)) if part)

    @property
    def id(self) -> str:
        return self.row.id

    def __getattr__(self, name: str) -> Any:
        # The queue row reads like the list row (victim_name, status, owner_name ...), so the same
        # table columns and the same "open record" code work on both.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.row, name)


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _check_date(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if not _ISO_DATE.match(text):
        raise InvalidInput(
            f"The {what} date {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31."
        )
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"The {what} date {text!r} is not a real day of the calendar.") from None
    return text


def _statuses(values: Iterable[str]) -> list[str]:
    chosen = []
    for value in values:
        try:
            chosen.append(Status(str(value)).value)
        except ValueError:
            raise InvalidInput(
                f"Unknown status {value!r}: use submitted, returned, approved or draft."
            ) from None
    return chosen


def queue_flags_of(row: RecordRow, *, now: dt.datetime) -> tuple[tuple[str, ...], float | None]:
    """The row's rule flags plus the queue flags worked out at ``now``; and the hours it has waited."""
    resubmitted, waiting, waited = _waiting_of(row, now)
    return _with_queue_flags(row.flags, resubmitted, waiting), waited


def _waiting_of(row: RecordRow, now: dt.datetime) -> tuple[bool, bool, float | None]:
    """(resubmitted after a return, waiting over 24 hours, hours waited: None unless submitted)."""
    if row.status is not Status.SUBMITTED:
        return False, False, None
    submitted = _parse_time(row.submitted_at)
    if submitted is None:
        return row.return_rounds > 0, False, None
    span = now - submitted
    return row.return_rounds > 0, span > WAITING_LIMIT, max(0.0, span.total_seconds() / 3600)


def _with_queue_flags(rule_flags: Sequence[str], resubmitted: bool, waiting: bool) -> tuple[str, ...]:
    flags = [f for f in rule_flags if f]
    if resubmitted:
        flags.append(RESUBMITTED)
    if waiting:
        flags.append(WAITING)
    return tuple(dict.fromkeys(flags))


class ReviewQueue:
    """Queries over one ``Store`` for one supervisor's ``Session``; bind it once per screen."""

    def __init__(
        self, store: Store, session: Session, *, clock: Any = None, grades: Sequence[str] = ()
    ) -> None:
        self.store = store
        self.session = session
        self._clock = clock  # tests fix "now"; the store's clock otherwise
        # the forms' grades, lowest first (Vocabulary.grade_values): what "risk" order ranks by
        self.grades = tuple(grades)
        self._vocabulary: Vocabulary | None = None

    def vocabulary(self) -> Vocabulary:
        """The flag labels, urgency and grade labels of the form definitions stored on this PC (the
        newest definition's words first), read once per queue."""
        if self._vocabulary is None:
            self._vocabulary = vocabulary_for(reversed(self._stored_specs()))
        return self._vocabulary

    def _stored_specs(self) -> list[FormSpec]:
        """Every form definition records on this PC were saved with, oldest first; an old definition
        the current loader no longer accepts is left out (its records still list: their flags column
        was written when they were saved)."""
        with self.store.read() as conn:
            hashes = [
                str(r[0]) for r in conn.execute("SELECT content_hash FROM definitions ORDER BY stored_at")
            ]
        specs = []
        for content_hash in hashes:
            try:
                specs.append(self.store.spec_for_hash(content_hash))
            except (StorageBug, UserFacingError, FormDefinitionErrors):
                log.storage.info("definition %s skipped for queue flags", content_hash[:12])
        return specs

    def now(self) -> dt.datetime:
        moment = self._clock() if self._clock is not None else self.store.now()
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    def _require(self) -> User:
        return self.store.require_role(self.session, Role.SUPERVISOR, action="review records")

    def _where(self, wanted: QueueFilter, user: User | None = None) -> tuple[str, list[Any]]:
        """The store's own list filter (status, officer, rule flag, incident dates, search) plus the
        queue flags, as one SQL WHERE clause with bound values (``user``: as ``_require`` found them)."""
        flag = wanted.flag.strip()
        if flag and not _FLAG_NAME.match(flag):
            raise InvalidInput(f"{flag!r} is not a flag name; flags are words like potential_escalation.")
        statuses = _statuses(wanted.statuses) if wanted.statuses else None
        user = user or self.store.current_user(self.session)
        clause, params = self.store.record_filter(
            user,
            status=statuses,
            owner=wanted.officer.strip() or None,
            search=wanted.search,
            flag=None if flag in QUEUE_FLAGS else (flag or None),
            date_column="incident_date",
            date_from=_check_date(wanted.date_from, "from") or None,
            date_to=_check_date(wanted.date_to, "to") or None,
        )
        extra: list[str] = []
        if flag == RESUBMITTED:
            extra.append("r.status = 'submitted' AND r.return_rounds > 0")
        elif flag == WAITING:
            limit = (self.now() - WAITING_LIMIT).astimezone(dt.UTC).isoformat(timespec="microseconds")
            extra.append("r.status = 'submitted' AND r.submitted_at IS NOT NULL AND r.submitted_at < ?")
            params.append(limit)
        if wanted.date_from and wanted.date_to and wanted.date_from > wanted.date_to:
            raise InvalidInput("The 'from' date is after the 'to' date; swap them to see records.")
        if extra:
            joined = " AND ".join(f"({e})" for e in extra)
            clause = f"{clause} AND {joined}" if clause else f" WHERE {joined}"
        return clause, params

    def count(self, wanted: QueueFilter) -> int:
        clause, params = self._where(wanted, self._require())
        with self.store.read() as conn:
            return int(conn.execute(f"SELECT count(*) FROM records r{clause}", params).fetchone()[0])  # noqa: S608 - fixed parts

    def rows(self, wanted: QueueFilter, *, offset: int = 0, limit: int = 50) -> list[QueueRow]:
        """One page of the queue. Sorting happens in SQL on the store's indexed columns (a sealed name:
        in the session's name order, store/name_order.py)."""
        user = self._require()
        from dsvdesk.store.name_order import NAME_SORTS
        from dsvdesk.store.records import SEALED_LIST_COLUMNS, SORTS

        if wanted.sort not in QUEUE_SORTS:
            raise InvalidInput(
                f"The queue cannot be sorted by {wanted.sort!r}; use one of {', '.join(QUEUE_SORTS)}."
            )
        if offset < 0 or not 1 <= limit <= MAX_QUEUE_PAGE:
            raise InvalidInput(f"A page starts at 0 or later and holds 1 to {MAX_QUEUE_PAGE} records.")
        clause, params = self._where(wanted, user)
        direction = "DESC" if wanted.descending else "ASC"
        order_params: list[Any] = []
        if wanted.sort == RISK_SORT:
            # highest grade, then most 'yes' answers (descending: the riskiest first), then the longest
            # wait; grade values are bound, in the form's order
            ranks = " ".join("WHEN ? THEN ?" for _ in self.grades)
            rank = f"CASE r.grade {ranks} ELSE 0 END" if self.grades else "0"
            order = (
                f"{rank} {direction}, COALESCE(r.yes_count, -1) {direction}, r.submitted_at ASC, r.seq ASC"
            )
            order_params = [v for i, g in enumerate(self.grades, start=1) for v in (g, i)]
        else:
            order = f"{SORTS[wanted.sort]} {direction}, r.seq {direction}"
        # The page's records are chosen from records_queue alone (migration 0014: every column the
        # queue filters and sorts by), then only those rows are read: sorting the waiting records by a
        # column no longer reads every one of them with its documents (issue 22).
        owner_join = " JOIN users u ON u.id = r.owner_id" if wanted.sort == "owner" else ""
        if wanted.sort in NAME_SORTS:
            # names are sealed (issue 15): the store orders them in memory, the page is read by seq
            page_seqs = self.store.seqs_by_sealed_name(
                self.session, wanted.sort, clause, params, descending=wanted.descending
            )[int(offset) : int(offset) + int(limit)]
            sql = (
                f"SELECT {SEALED_LIST_COLUMNS}, {_OFFICER_GRADE} FROM json_each(?) AS j JOIN records r ON r.seq = j.value "  # noqa: S608 - fixed parts
                "JOIN users u ON u.id = r.owner_id ORDER BY j.key"
            )
            arguments: list[Any] = [json.dumps(page_seqs)]
        else:
            sql = (
                f"SELECT {SEALED_LIST_COLUMNS}, {_OFFICER_GRADE} FROM (SELECT r.seq FROM records r{owner_join}{clause} "  # noqa: S608 - fixed parts
                f"ORDER BY {order} LIMIT ? OFFSET ?) AS page JOIN records r ON r.seq = page.seq "
                f"JOIN users u ON u.id = r.owner_id ORDER BY {order}"
            )
            arguments = [*params, *order_params, int(limit), int(offset), *order_params]
        with self.store.read() as conn:
            raw = conn.execute(sql, arguments).fetchall()
        now = self.now()
        vocabulary = self.vocabulary()
        # names and references are sealed (issue 15): opened with the supervisor's keys, one page at a time
        # the officer's grade from its plain column: no row's columns document is parsed for it
        officer_grades = [r[-1] for r in raw]
        page = self.store.open_list_rows(self.session, [r[:-1] for r in raw])
        # a page repeats a few risks and a few sets of flags: their words (and urgency) made once each
        words: dict[tuple[str | None, int | None], tuple[str, str]] = {}
        looks: dict[tuple[tuple[str, ...], bool, bool], tuple[tuple[str, ...], tuple[str, ...], bool]] = {}
        result = []
        for row, officer_grade in zip(page, officer_grades, strict=True):
            resubmitted, waiting, waited = _waiting_of(row, now)
            look_key = (row.flags, resubmitted, waiting)
            look = looks.get(look_key)
            if look is None:
                flags = _with_queue_flags(row.flags, resubmitted, waiting)
                look = looks[look_key] = (
                    flags,
                    tuple(flag_label(f, vocabulary) for f in flags),
                    any(is_urgent(f, vocabulary) for f in flags),
                )
            risk_key = (row.grade, row.yes_count)
            risk = words.get(risk_key)
            if risk is None:
                risk = words[risk_key] = risk_words(row.grade, row.yes_count, vocabulary)
            result.append(
                QueueRow(  # positional, in the order of QueueRow's fields (a page is 200 rows)
                    row,
                    look[0],  # flags
                    waited,
                    str(officer_grade) if officer_grade not in (None, "") else row.grade,
                    {},  # extra
                    look[1],  # flag_labels
                    look[2],  # urgent
                    risk[0],
                    risk[1],  # risk_detail
                )
            )
        return result

    def flags_available(self) -> list[tuple[str, str]]:
        """(flag, label) for the filter: every `flag:` tag in the definitions stored on this PC, then the
        queue's own flags."""
        self._require()
        names: list[str] = []
        for spec in self._stored_specs():
            for rule in spec.rules:
                names.extend(tag.value for tag in rule.tags if tag.name == "flag" and tag.value)
        ordered = list(dict.fromkeys([*names, *QUEUE_FLAGS]))
        vocabulary = self.vocabulary()
        return [(name, flag_label(name, vocabulary)) for name in ordered]

    def officers(self) -> list[tuple[str, str]]:
        """(username, full name) of everyone who owns a record, for the officer filter."""
        self._require()
        with self.store.read() as conn:
            # one index probe per user (records_owner_updated), not a scan of every record on each
            # refresh (issue 22)
            rows = conn.execute(
                "SELECT u.username, u.full_name FROM users u "
                "WHERE EXISTS (SELECT 1 FROM records r WHERE r.owner_id = u.id) "
                "ORDER BY u.full_name COLLATE NOCASE, u.username"
            ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]


def risk_words(grade: str | None, yes_count: int | None, vocabulary: Vocabulary) -> tuple[str, str]:
    """("Medium · 13 yes", "Grade Medium; 13 'yes' answers (14 or more is visible high risk).") from the
    record's grade and DASH count, in the forms' words and with the forms' threshold."""
    parts, sentence = [], []
    if grade:
        parts.append(vocabulary.grade_label(grade))
        sentence.append(f"Grade {vocabulary.grade_label(grade)}")
    if yes_count is not None:
        parts.append(f"{yes_count} yes")
        threshold = vocabulary.high_risk_threshold
        above = f" ({threshold} or more is visible high risk)" if threshold is not None else ""
        sentence.append(f"{yes_count} 'yes' answer{'' if yes_count == 1 else 's'}{above}")
    return " · ".join(parts), f"{'; '.join(sentence)}." if sentence else ""


def describe_waiting(hours: float | None) -> str:
    """'3 h', '2 d 4 h' — how long a record has waited, for the queue column."""
    if hours is None:
        return ""
    whole = int(hours)
    if whole < 1:
        return "under 1 h"
    days, rest = divmod(whole, 24)
    return f"{days} d {rest} h" if days else f"{rest} h"


def summarise(rows: Sequence[QueueRow]) -> dict[str, int]:
    """How many rows carry each flag (for the queue's header line)."""
    counts: dict[str, int] = {}
    for row in rows:
        for flag in row.flags:
            counts[flag] = counts.get(flag, 0) + 1
    return counts


def approval_problems(
    spec: FormSpec, answers: Mapping[str, Any], changes: Mapping[str, Any]
) -> list[Finding]:
    """The errors that would stop an approval if ``changes`` (the supervisor's grade, rationale, QA
    answers) were saved: the same check ``Store.approve`` makes, so the review screen can refuse a
    grade below the floor *before* anything is saved, naming the rule."""
    from dsvdesk.engine.completeness import evaluate

    merged = {**answers}
    for key, value in changes.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return list(evaluate(spec, merged, audiences=("author", "reviewer")).errors)
