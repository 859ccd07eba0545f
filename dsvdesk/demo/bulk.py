"""Bulk records for the benchmarks: a few hundred checked record shapes re-used with fresh people,
dates and references, written by the store's bulk load (``dsvdesk.store.bulk``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.demo.answers import Staff, answers_for, repeat_for_column, review_comments
from dsvdesk.demo.errors import DemoSetupError
from dsvdesk.demo.fill import matches, name_parts, person_attribute, reference_like, text_for_person
from dsvdesk.demo.people import Person
from dsvdesk.demo.timeline import RecordPlan, last_moment, plan_records, utc
from dsvdesk.engine.spec import (
    FormSpec,
    Question,
    QuestionType,
)

if TYPE_CHECKING:
    from dsvdesk.store.bulk import BulkLoad, Shape

# ---------------------------------------------------------------------------------------- bulk data


@dataclass(frozen=True, slots=True)
class BulkSummary:
    records: int
    by_status: Mapping[str, int]
    audit_events: int
    templates: int
    seconds: float


@dataclass(frozen=True, slots=True)
class _Template:
    """A complete (or draft) record made and checked the slow way, re-used with other people and dates."""

    plan: RecordPlan
    shape: Shape

    @property
    def answers(self) -> Mapping[str, Any]:
        return self.shape.answers


def _change_kind(q: Question, role: str, children: Question | None, searchable: set[str]) -> str:
    """How ``apply`` moves this question's answer onto another plan ("" = shared as it is); ``role`` is
    "victim"/"suspect" on those people's pages."""
    label = q.label.lower()
    kind = ""
    if q.type is QuestionType.TEXT:
        if "rank" in label and not role:
            kind = "officer_name"
        elif "station" in label:
            kind = "station"
        elif role and text_for_person(q.label, PLACEHOLDER_PERSON) is not None:
            kind = "person_text"
    elif q.type is QuestionType.CHOICE and role and {c.value for c in q.choices} >= {"female", "male"}:
        kind = "person_sex"
    elif q.type is QuestionType.DATE:
        kind = "person_dob" if role and "birth" in label else "shift_date"
    elif q.type is QuestionType.DATETIME:
        kind = "shift_datetime"
    elif q.type is QuestionType.TIME:
        kind = "time"
    elif q.type is QuestionType.REFERENCE:
        if "warrant" in label or "shoulder" in label or "collar" in label:
            kind = "collar"
        elif q.id in searchable:  # CAD, CRIS ...: searched for, so unique per record
            kind = "reference"
    elif q.type is QuestionType.REPEAT and children is not None and q.id == children.id:
        kind = "children"
    elif q.type is QuestionType.REPEAT and "officer" in label:
        kind = "officers"
    return kind


class _Personaliser:
    """Moves a template onto another planned record: its people, dates, times and references.

    Which answers carry those is worked out once per form; every other answer is shared as it is."""

    def __init__(self, spec: FormSpec, today: dt.date) -> None:
        self.today = today
        self.latest = last_moment(today)
        roles: dict[str, str] = {}
        for column, role in (("victim_name", "victim"), ("suspect_name", "suspect")):
            for part in name_parts(spec, column):
                roles[spec.page_of(part.id).id] = role
        children = repeat_for_column(spec, "children_count")
        searchable = set(spec.columns.values())
        # (answer id, kind, question, role) for the answers that depend on the plan
        self.changes: list[tuple[str, str, Question, str]] = []
        for _s, page, q in spec.iter_questions():
            role = roles.get(page.id, "")
            kind = _change_kind(q, role, children, searchable)
            if kind:
                self.changes.append((q.id, kind, q, role))
        # Worked out once, not per record: which Person attribute a name question takes, which fields of
        # the children's and officers' items change, and whether a date may not be in the future.
        self.person_attribute = {q.id: person_attribute(q.label) for _key, _kind, q, _role in self.changes}
        self.child_fields = tuple(
            (f.id, "text", attribute)
            if f.type is QuestionType.TEXT and (attribute := person_attribute(f.label))
            else (f.id, "dob", "")
            if f.type is QuestionType.DATE and "birth" in f.label.lower()
            else (f.id, "sex", "")
            if f.type is QuestionType.CHOICE
            else (f.id, "", "")
            for f in (children.fields if children is not None else ())
        )
        self.not_future = {
            q.id
            for _key, _kind, q, _role in self.changes
            if any(c.kind == "not_future" for c in q.constraints)
        }
        self.officer_items: dict[
            tuple[str, Staff], dict[str, Any]
        ] = {}  # (question, staff) -> changed fields

    def apply(  # noqa: C901 - the bulk loader's hot loop (once per answer of 100,000 records): one inline branch per kind is cheaper than a call per answer
        self, template: _Template, plan: RecordPlan, staff: Staff
    ) -> dict[str, Any]:
        """The personalised values of the template's answers that depend on the plan, by answer id.

        Every other answer is the template's own: the caller reads those from ``template.answers``
        rather than copying ~200 answers per record (at 100,000 records the copies cost seconds)."""
        rng: random.Random | None = None  # made when a reference needs it: seeding costs microseconds
        incident = plan.incident_at
        shift = incident.date() - template.plan.incident_at.date()
        answers = template.answers
        changed: dict[str, Any] = {}
        for key, kind, q, role in self.changes:
            value = answers.get(key)
            if value is None:
                continue
            person = plan.victim if role == "victim" else plan.suspect if role == "suspect" else None
            if kind == "officer_name":
                value = staff.officer_name
            elif kind == "station":
                value = staff.station
            elif kind == "person_text" and person is not None:
                attribute = self.person_attribute[key]
                value = (getattr(person, attribute) if attribute else None) or value
            elif kind == "person_sex" and person is not None and value in ("female", "male"):
                value = person.sex
            elif kind == "person_dob" and person is not None:
                value = person.dob.isoformat()
            elif kind == "shift_date":
                day = dt.date.fromisoformat(value) + shift
                value = (min(day, self.today) if key in self.not_future else day).isoformat()
            elif kind == "shift_datetime":
                # isoformat to the minute is strftime("%Y-%m-%dT%H:%M"), at a fraction of the cost
                value = min(dt.datetime.fromisoformat(value) + shift, self.latest).isoformat(
                    timespec="minutes"
                )
            elif kind == "time":
                value = f"{incident.hour:02d}:{incident.minute:02d}"
            elif kind == "collar":
                value = staff.officer_collar if matches(q.pattern, staff.officer_collar) else value
            elif kind == "reference":
                if rng is None:
                    rng = random.Random(plan.extra_seed)
                value = reference_like(q, rng, on=incident.date()) or value
            elif kind == "officers" and isinstance(value, list) and value:
                value = [{**value[0], **self._officer_fields(q, staff)}, *value[1:]]
            elif kind == "children" and isinstance(value, list):
                value = [self._child(item, child) for item, child in zip(value, plan.children, strict=False)]
            changed[key] = value
        return changed

    def _officer_fields(self, q: Question, staff: Staff) -> dict[str, Any]:
        """The fields of an attending officer's item that make it the record's own officer."""
        found = self.officer_items.get((q.id, staff))
        if found is None:
            found = {}
            for f in q.fields:
                if f.type is QuestionType.TEXT and "name" in f.label.lower():
                    found[f.id] = staff.officer_name
                elif f.type is QuestionType.REFERENCE and matches(f.pattern, staff.officer_collar):
                    found[f.id] = staff.officer_collar
            self.officer_items[(q.id, staff)] = found
        return found

    def _child(self, item: Mapping[str, Any], child: Person) -> dict[str, Any]:
        fresh = dict(item)
        for field_id, kind, attribute in self.child_fields:
            if field_id not in fresh:
                continue
            if kind == "text":
                fresh[field_id] = getattr(child, attribute)
            elif kind == "dob":
                fresh[field_id] = child.dob.isoformat()
            elif kind == "sex" and fresh[field_id] in ("female", "male"):
                fresh[field_id] = child.sex
        return fresh


PLACEHOLDER_PERSON = Person(given="-", family="-", community="english", sex="female", dob=dt.date(2000, 1, 1))


def _status_group(plan: RecordPlan) -> tuple[str, int]:
    return plan.status, len(plan.children)


def bulk_insert_records(
    db_path: Path,
    spec: FormSpec,
    *,
    count: int,
    seed: int,
    today: dt.date | None = None,
    templates_per_group: int = 16,
    owners: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> BulkSummary:
    """Add ``count`` realistic records in every state to an initialised database, fast.

    Records are owned by the database's officers (only ``owners``, usernames, if given) and reviewed by
    its supervisors; a few hundred distinct
    record shapes are made and checked with the completeness engine, then re-used with fresh people,
    dates and references. Rows go in with multi-row ``INSERT`` statements inside one transaction, with
    the searchable columns and the full-text index as the store writes them and a collection event
    plus one event per lifecycle step appended to the audit chain (which still verifies). Bulk records
    carry no signed PDFs.
    """
    # Plans, shapes and audit events make millions of small objects that live to the end; the cyclic
    # garbage collector would scan them again and again (about 3 s at 100,000 records) to find no
    # cycles, so it is paused for the run (reference counting still frees everything as usual).
    with _cyclic_gc_paused():
        return _bulk_insert_records(
            db_path,
            spec,
            count=count,
            seed=seed,
            today=today,
            templates_per_group=templates_per_group,
            owners=owners,
            progress=progress,
        )


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _bulk_insert_records(
    db_path: Path,
    spec: FormSpec,
    *,
    count: int,
    seed: int,
    today: dt.date | None,
    templates_per_group: int,
    owners: Sequence[str],
    progress: Callable[[str], None] | None,
) -> BulkSummary:
    import time

    from dsvdesk.store.bulk import BulkLoad, BulkRecord
    from dsvdesk.store.models import Status

    started = time.perf_counter()
    today = today or dt.date.today()
    personaliser = _Personaliser(spec, today)
    with BulkLoad.open(
        db_path, spec, variable=frozenset(key for key, _k, _q, _r in personaliser.changes)
    ) as load:
        officers = list(load.officers)
        if owners:
            unknown = sorted(set(owners) - {o.username for o in officers})
            if unknown:
                raise DemoSetupError(
                    f"{', '.join(unknown)}: no such officer in {db_path}; records can only be "
                    "given to officer accounts."
                )
            officers = [o for o in officers if o.username in owners]
        supervisors = load.supervisors
        if not officers or not supervisors:
            raise DemoSetupError(
                f"The database {db_path} needs at least one officer and one supervisor account before bulk "
                "records can be added (run `dsvdesk demo --fresh` or add the accounts)."
            )
        station = load.settings.station_name
        plans = plan_records(count, seed=seed, today=today, officers=len(officers))
        templates: dict[tuple[str, int], list[_Template]] = {}
        for plan in plans:
            pool = templates.setdefault(_status_group(plan), [])
            if len(pool) < templates_per_group:
                pool.append(_make_template(load, spec, plan, today))
        if progress is not None:
            progress(f"{sum(len(p) for p in templates.values())} record shapes checked")
        # Each record's template, owner, reviewer and times — every draw from `rng`, in the same order as
        # always, so a seed gives the same data.
        rng = random.Random(seed ^ 0xB01C)
        latest = last_moment(today).replace(tzinfo=dt.UTC) - dt.timedelta(hours=1)
        latest_created = latest - dt.timedelta(hours=2)
        bulk: list[BulkRecord] = []
        for number, plan in enumerate(plans):
            status = Status(plan.status)
            template = rng.choice(templates[_status_group(plan)])
            owner = officers[plan.owner_index % len(officers)]
            created = min(utc(plan.created_at), latest_created)
            submitted = (
                min(created + dt.timedelta(minutes=rng.randint(40, 200)), latest)
                if status is not Status.DRAFT
                else None
            )
            reviewed = (
                min(submitted + dt.timedelta(hours=rng.randint(3, 40)), latest)
                if submitted is not None and status in (Status.RETURNED, Status.APPROVED)
                else None
            )
            updated = reviewed or submitted or min(created + dt.timedelta(minutes=rng.randint(2, 90)), latest)
            bulk.append(
                BulkRecord(
                    record_id=plan.record_id,
                    shape=template.shape,
                    status=status,
                    owner=owner,
                    reviewer=supervisors[number % len(supervisors)],
                    created_at=created,
                    updated_at=updated,
                    submitted_at=submitted,
                    reviewed_at=reviewed,
                    source=(plan, template),
                )
            )
        staff_by_owner: dict[int, Staff] = {}

        def changes(record: BulkRecord) -> Mapping[str, Any]:
            """The record's people, dates, times and references on its template's answers."""
            plan, template = record.source
            staff = staff_by_owner.get(record.owner.id)
            if staff is None:
                staff = staff_by_owner[record.owner.id] = Staff(
                    officer_name=f"PC {record.owner.full_name}",
                    officer_collar=record.owner.collar,
                    station=station,
                )
            return personaliser.apply(template, plan, staff)

        result = load.write(bulk, changes, progress=progress)
    by_status: dict[str, int] = {}
    for plan in plans:
        by_status[plan.status] = by_status.get(plan.status, 0) + 1
    return BulkSummary(
        records=result.records,
        by_status=by_status,
        audit_events=result.audit_events,
        templates=sum(len(p) for p in templates.values()),
        seconds=time.perf_counter() - started,
    )


def _make_template(load: BulkLoad, spec: FormSpec, plan: RecordPlan, today: dt.date) -> _Template:
    answers = answers_for(spec, plan, today=today, reviewer=plan.status == "approved")
    comments = (
        review_comments(spec, answers, random.Random(plan.extra_seed)) if plan.status == "returned" else {}
    )
    return _Template(plan=plan, shape=load.shape(answers, comments))
