"""The casework policy: what a force says about the case after submission, compiled from its form.

The casework form (``options.kind: casework``, forms/casework.yaml) holds, under ``options.casework``,
the risk review schedule, the Victims' Code contact times, contact methods, referral agencies and the
rule that asks for a referral, case outcomes and the MoPI retention schedule; its sections ``part2``
and ``bail`` are the two signed entries (the investigating officer's re-assessment and the bail risk
re-assessment). ``casework_policy(spec)`` compiles it once into a frozen ``CaseworkPolicy``; every
problem is named at once with where it is and how to put it right (``CaseworkDefinitionError``).

Pure functions of the policy (no SQL, no Qt): when each review is due, when the MoPI review is due,
and whether the victim was contacted in time (``vcop_status``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dsvdesk.engine.spec import Choice, FormSpec, Question
from dsvdesk.errors import BadInput

KIND = "casework"
REASSESSMENT = "part2"  # section id of the investigating officer's re-assessment
BAIL = "bail"  # section id of the bail risk re-assessment
ENTRY_KINDS = (REASSESSMENT, BAIL)
TAG = "casework"  # question tags: `casework: grade | reason | decision_at | checks | rara`
FIRST_CONTACT = "first"  # what a contact is about when it is not about an event
UPDATE_CONTACT = "update"

_DURATION = re.compile(r"^\s*(\d{1,4})\s*([mhdwy])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks", "y": "years"}


class CaseworkDefinitionError(BadInput):
    """The casework form cannot be used; ``problems`` lists every one (where, what, fix)."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        listed = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"The casework definition {source} cannot be used:\n{listed}")


class NoCaseworkForm(BadInput):
    """No form in the forms folder has ``options.kind: casework``."""


@dataclass(frozen=True, slots=True)
class Duration:
    """A time written in the form: ``10h``, ``7d``, ``28d``, ``6y`` (minutes m, hours h, days d, weeks w,
    years y). Years are calendar years (29 February moves to 28 February)."""

    amount: int
    unit: str  # m h d w y

    @classmethod
    def parse(cls, text: Any) -> Duration | None:
        match = _DURATION.match(str(text)) if isinstance(text, str | int) else None
        return cls(int(match.group(1)), match.group(2)) if match else None

    def after(self, moment: dt.datetime) -> dt.datetime:
        if self.unit == "y":
            year = moment.year + self.amount
            try:
                return moment.replace(year=year)
            except ValueError:  # 29 February
                return moment.replace(year=year, day=28)
        return moment + dt.timedelta(**{_UNITS[self.unit]: self.amount})

    def before(self, moment: dt.datetime) -> dt.datetime:
        if self.unit == "y":
            return dataclasses.replace(self, amount=-self.amount).after(moment)
        return moment - dt.timedelta(**{_UNITS[self.unit]: self.amount})

    @property
    def text(self) -> str:
        word = _UNITS[self.unit]
        return f"{self.amount} {word[:-1] if self.amount == 1 else word}"

    @property
    def token(self) -> str:
        return f"{self.amount}{self.unit}"


@dataclass(frozen=True, slots=True)
class ReviewStep:
    after: Duration  # from the first submission (steps), or from the previous review due (repeats)
    by: str  # who reviews: "Detective Sergeant (DS)"


@dataclass(frozen=True, slots=True)
class ContactEvent:
    value: str  # arrest | charge | bail ...
    label: str
    contact_within: Duration


@dataclass(frozen=True, slots=True)
class RequiredReferral:
    agency: str
    grades: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RetentionRule:
    grades: tuple[str, ...]
    outcomes: tuple[str, ...]
    period: Duration

    def applies(self, grade: str | None, outcome: str | None) -> bool:
        return (grade or "") in self.grades or (outcome or "") in self.outcomes


@dataclass(frozen=True, slots=True)
class ReviewDue:
    step: int  # 0-based: 0 = the first review
    due: dt.datetime
    by: str


@dataclass(frozen=True, slots=True)
class Contact:
    at: dt.datetime
    made: bool  # made, or only attempted


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventContact:
    event: Event
    due: dt.datetime
    contacted_at: dt.datetime | None
    state: str  # in_time | late | missed | pending


@dataclass(frozen=True, slots=True)
class VcopStatus:
    """The Victims' Code picture of one case at ``now``."""

    first_due: dt.datetime
    first_contact: dt.datetime | None
    first_state: str  # in_time | late | missed | pending
    events: tuple[EventContact, ...]

    @property
    def first_late(self) -> bool:
        return self.first_state in ("late", "missed")

    @property
    def events_without_contact(self) -> tuple[EventContact, ...]:
        return tuple(e for e in self.events if e.state in ("late", "missed"))

    @property
    def compliant(self) -> bool:
        """Nothing late or missed (pending deadlines are not failures yet)."""
        return not self.first_late and not self.events_without_contact


@dataclass(frozen=True, slots=True)
class CaseworkPolicy:
    form_id: str
    spec: FormSpec = field(repr=False, compare=False)
    investigation_form: str
    review_steps: tuple[ReviewStep, ...]
    then_every: Duration
    then_by: str
    due_soon: Duration
    review_outcomes: tuple[Choice, ...]
    first_contact_within: Duration
    contact_methods: tuple[Choice, ...]
    contact_events: tuple[ContactEvent, ...]
    agencies: tuple[Choice, ...]
    referral_outcomes: tuple[Choice, ...]
    required_referrals: tuple[RequiredReferral, ...]
    outcomes: tuple[Choice, ...]
    retention_default: Duration
    retention_rules: tuple[RetentionRule, ...]
    review_again: Duration
    dispose_reasons: tuple[Choice, ...]

    # ------------------------------------------------------------------ schedule
    schedule_key: str = ""  # set by the compiler: ``schedule_digest(self)``

    def digest(self) -> str:
        """A digest of everything due times are worked out from: a changed schedule re-times every case."""
        data = {
            "steps": [(s.after.token, s.by) for s in self.review_steps],
            "every": self.then_every.token,
            "then_by": self.then_by,
            "retention": self.retention_default.token,
            "rules": [(r.grades, r.outcomes, r.period.token) for r in self.retention_rules],
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def review_due(self, opened: dt.datetime, done: int) -> ReviewDue:
        """The review after ``done`` reviews of a case opened (first submitted) at ``opened``."""
        if done < len(self.review_steps):
            step = self.review_steps[done]
            return ReviewDue(done, step.after.after(opened), step.by)
        last = self.review_steps[-1].after.after(opened)
        moment = last
        for _ in range(done - len(self.review_steps) + 1):
            moment = self.then_every.after(moment)
        return ReviewDue(done, moment, self.then_by)

    def retention_period(self, grade: str | None, outcome: str | None) -> Duration:
        """The longest period of the rules that apply (the default when none does)."""
        periods = [
            self.retention_default,
            *(r.period for r in self.retention_rules if r.applies(grade, outcome)),
        ]
        reference = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        return max(periods, key=lambda d: d.after(reference))

    def retention_due(
        self, opened: dt.datetime, outcome_at: dt.datetime | None, grade: str | None, outcome: str | None
    ) -> dt.datetime:
        return self.retention_period(grade, outcome).after(outcome_at or opened)

    def referrals_required(self, grade: str | None) -> tuple[str, ...]:
        return tuple(r.agency for r in self.required_referrals if (grade or "") in r.grades)

    # ------------------------------------------------------------------ labels
    @staticmethod
    def _label(choices: Iterable[Choice], value: str | None) -> str:
        for choice in choices:
            if choice.value == value:
                return choice.label
        return str(value or "")

    def method_label(self, value: str | None) -> str:
        return self._label(self.contact_methods, value)

    def agency_label(self, value: str | None) -> str:
        return self._label(self.agencies, value)

    def referral_outcome_label(self, value: str | None) -> str:
        return self._label(self.referral_outcomes, value)

    def outcome_label(self, value: str | None) -> str:
        return self._label(self.outcomes, value)

    def review_outcome_label(self, value: str | None) -> str:
        return self._label(self.review_outcomes, value)

    def dispose_reason_label(self, value: str | None) -> str:
        return self._label(self.dispose_reasons, value)

    def event_label(self, value: str | None) -> str:
        if value == FIRST_CONTACT:
            return "First contact"
        if value == UPDATE_CONTACT:
            return "Update"
        return self._label((Choice(e.value, e.label) for e in self.contact_events), value)

    def event(self, value: str) -> ContactEvent | None:
        return next((e for e in self.contact_events if e.value == value), None)

    # ------------------------------------------------------------------ entries
    def entry_spec(self, kind: str) -> FormSpec:
        """The form of one signed entry: only the section ``kind`` (part2 | bail) and its rules."""
        return _entry_spec(self.spec, kind)

    def entry_question(self, kind: str, role: str) -> Question | None:
        """The question of entry ``kind`` tagged ``casework: <role>`` (grade, reason, decision_at)."""
        for _s, _p, q in self.entry_spec(kind).iter_questions():
            if q.tag_value(TAG) == role:
                return q
        return None

    def entry_title(self, kind: str) -> str:
        return self.entry_spec(kind).sections[0].title


_ENTRY_CACHE: dict[tuple[str, str], FormSpec] = {}


def _entry_spec(spec: FormSpec, kind: str) -> FormSpec:
    key = (spec.content_hash, kind)
    if key in _ENTRY_CACHE:
        return _ENTRY_CACHE[key]
    section = next((s for s in spec.sections if s.id == kind), None)
    if section is None:
        raise CaseworkDefinitionError(
            spec.source_path or spec.id,
            [f"sections: there is no section {kind!r}; add it (forms/casework.yaml)"],
        )
    ids = {q.id for p in section.pages for q in p.questions}
    rules = _rules_for(spec, ids)
    entry = dataclasses.replace(
        spec,
        id=f"{spec.id}_{kind}",
        title=section.title,
        sections=(section,),
        rules=rules,
        summary=(),
        columns={},
        index=None,
    )
    _ENTRY_CACHE[key] = entry
    return entry


def _rules_for(spec: FormSpec, ids: set[str]) -> tuple[Any, ...]:
    """The rules whose every reference is a question of the entry."""
    known = ids | set(spec.constants)
    return tuple(r for r in spec.rules if set(r.when.references) <= known)


# ------------------------------------------------------------------------------------- victims' code
def vcop_status(
    policy: CaseworkPolicy,
    opened: dt.datetime,
    contacts: Sequence[Contact],
    events: Sequence[Event],
    now: dt.datetime,
) -> VcopStatus:
    """First contact (made or attempted) within ``first_contact_within`` of the first submission, and a
    contact within each event's ``contact_within`` after an arrest, charge or bail."""
    ordered = sorted(c.at for c in contacts)
    first_due = policy.first_contact_within.after(opened)
    first = ordered[0] if ordered else None
    first_state = _state(first, first_due, now)
    checked = []
    for event in sorted(events, key=lambda e: e.at):
        rule = policy.event(event.kind)
        if rule is None:
            continue
        due = rule.contact_within.after(event.at)
        after = next((at for at in ordered if at >= event.at), None)
        checked.append(EventContact(event, due, after, _state(after, due, now)))
    return VcopStatus(first_due, first, first_state, tuple(checked))


def _state(contacted: dt.datetime | None, due: dt.datetime, now: dt.datetime) -> str:
    if contacted is not None:
        return "in_time" if contacted <= due else "late"
    return "missed" if now > due else "pending"


# ------------------------------------------------------------------------------------- compiling
_CACHE: dict[str, CaseworkPolicy] = {}


def is_casework_form(spec: FormSpec) -> bool:
    return str(spec.options.get("kind", "")).lower() == KIND


def casework_form(specs: Mapping[str, FormSpec]) -> FormSpec:
    """The one casework form among ``specs``; ``NoCaseworkForm`` when there is none."""
    found = sorted((s for s in specs.values() if is_casework_form(s)), key=lambda s: s.id)
    if not found:
        raise NoCaseworkForm(
            "No form definition has `options.kind: casework`, so casework cannot be used. "
            "Put forms/casework.yaml (shipped with DSVDesk) in the forms folder."
        )
    return found[0]


def casework_policy(spec: FormSpec) -> CaseworkPolicy:
    """Compile ``spec.options.casework`` (once per form content)."""
    key = spec.content_hash
    if key and key in _CACHE:
        return _CACHE[key]
    policy = _Compiler(spec).compile()
    if key:
        _CACHE[key] = policy
    return policy


def policy_from_forms(specs: Mapping[str, FormSpec]) -> CaseworkPolicy:
    return casework_policy(casework_form(specs))


class _Compiler:
    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.problems: list[str] = []
        raw = spec.options.get(KIND)
        self.root: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        if not isinstance(raw, Mapping):
            self.problems.append(
                "options.casework: missing; give the casework schedules (see forms/casework.yaml)"
            )

    # --- readers that note a problem and return something usable -----------------------------
    def node(self, where: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = where.get(key)
        if not isinstance(value, Mapping):
            self.problems.append(f"{path}.{key}: missing or not a mapping; give it as in forms/casework.yaml")
            return {}
        return value

    def duration(self, where: Mapping[str, Any], key: str, path: str) -> Duration:
        value = where.get(key)
        parsed = Duration.parse(value)
        if parsed is None:
            self.problems.append(
                f"{path}.{key}: {value!r} is not a time like 10h, 7d, 4w or 6y; write a whole number and a unit "
                "(m minutes, h hours, d days, w weeks, y years)"
            )
            return Duration(1, "d")
        return parsed

    def text(self, where: Mapping[str, Any], key: str, path: str) -> str:
        value = where.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{path}.{key}: missing; write it as text")
            return ""
        return value.strip()

    def choices(self, where: Mapping[str, Any], key: str, path: str) -> tuple[Choice, ...]:
        items = where.get(key)
        if not isinstance(items, list) or not items:
            self.problems.append(f"{path}.{key}: give a list of {{value: ..., label: ...}}")
            return ()
        out: list[Choice] = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or not str(item.get("value", "")).strip():
                self.problems.append(f"{path}.{key}[{i}]: give a value and a label")
                continue
            value = str(item["value"]).strip()
            if value in {c.value for c in out}:
                self.problems.append(f"{path}.{key}[{i}]: {value!r} is listed twice; keep one")
                continue
            out.append(Choice(value, str(item.get("label") or value).strip()))
        return tuple(out)

    def values(self, item: Mapping[str, Any], key: str, allowed: set[str], path: str) -> tuple[str, ...]:
        raw = item.get(key, [])
        values = tuple(str(v) for v in raw) if isinstance(raw, list) else ()
        if not isinstance(raw, list):
            self.problems.append(f"{path}.{key}: give a list")
        for v in values:
            if allowed and v not in allowed:
                self.problems.append(f"{path}.{key}: {v!r} is not one of {', '.join(sorted(allowed))}")
        return values

    # --- the whole policy -------------------------------------------------------------------------
    def compile(self) -> CaseworkPolicy:
        root = self.root
        p = "options.casework"
        grades = self.entry_grades()
        reviews = self.node(root, "reviews", p)
        steps = self.steps(reviews, f"{p}.reviews")
        contact = self.node(root, "victim_contact", p)
        events = self.events(contact, f"{p}.victim_contact")
        referrals = self.node(root, "referrals", p)
        agencies = self.choices(referrals, "agencies", f"{p}.referrals")
        required = self.required(referrals, {a.value for a in agencies}, grades, f"{p}.referrals")
        outcomes = self.choices(root, "outcomes", p)
        retention = self.node(root, "retention", p)
        rules = self.retention_rules(retention, grades, {o.value for o in outcomes}, f"{p}.retention")
        policy = CaseworkPolicy(
            form_id=self.spec.id,
            spec=self.spec,
            investigation_form=str(root.get("investigation_form") or ""),
            review_steps=steps,
            then_every=self.duration(reviews, "then_every", f"{p}.reviews"),
            then_by=self.text(reviews, "then_by", f"{p}.reviews"),
            due_soon=self.duration(reviews, "due_soon", f"{p}.reviews"),
            review_outcomes=self.choices(reviews, "outcomes", f"{p}.reviews"),
            first_contact_within=self.duration(contact, "first_within", f"{p}.victim_contact"),
            contact_methods=self.choices(contact, "methods", f"{p}.victim_contact"),
            contact_events=events,
            agencies=agencies,
            referral_outcomes=self.choices(referrals, "outcomes", f"{p}.referrals"),
            required_referrals=required,
            outcomes=outcomes,
            retention_default=self.duration(retention, "default", f"{p}.retention"),
            retention_rules=rules,
            review_again=self.duration(retention, "review_again", f"{p}.retention"),
            dispose_reasons=self.choices(retention, "dispose_reasons", f"{p}.retention"),
        )
        if self.problems:
            raise CaseworkDefinitionError(self.spec.source_path or f"{self.spec.id}.yaml", self.problems)
        return dataclasses.replace(policy, schedule_key=policy.digest())

    def entry_grades(self) -> set[str]:
        grades: set[str] = set()
        for kind in ENTRY_KINDS:
            section = next((s for s in self.spec.sections if s.id == kind), None)
            if section is None:
                self.problems.append(
                    f"sections: there is no section {kind!r}; add it as in forms/casework.yaml"
                )
                continue
            tagged = [q for p in section.pages for q in p.questions if q.tag_value(TAG) == "grade"]
            if len(tagged) != 1 or not tagged[0].choices:
                self.problems.append(
                    f"sections.{kind}: give exactly one choice question tagged `casework: grade`"
                )
                continue
            grades |= {c.value for c in tagged[0].choices}
        return grades

    def steps(self, reviews: Mapping[str, Any], path: str) -> tuple[ReviewStep, ...]:
        raw = reviews.get("steps")
        if not isinstance(raw, list) or not raw:
            self.problems.append(f"{path}.steps: give a list of {{after: 10h, by: ...}}")
            return (ReviewStep(Duration(1, "d"), ""),)
        steps = []
        previous: dt.datetime | None = None
        reference = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        for i, given in enumerate(raw):
            item = given if isinstance(given, Mapping) else {}
            step = ReviewStep(
                self.duration(item, "after", f"{path}.steps[{i}]"),
                self.text(item, "by", f"{path}.steps[{i}]"),
            )
            due = step.after.after(reference)
            if previous is not None and due <= previous:
                self.problems.append(f"{path}.steps[{i}]: each review must come after the one before it")
            previous = due
            steps.append(step)
        return tuple(steps)

    def events(self, contact: Mapping[str, Any], path: str) -> tuple[ContactEvent, ...]:
        raw = contact.get("events")
        if not isinstance(raw, list):
            self.problems.append(f"{path}.events: give a list of {{value, label, contact_within}}")
            return ()
        out = []
        for i, given in enumerate(raw):
            item = given if isinstance(given, Mapping) else {}
            value = self.text(item, "value", f"{path}.events[{i}]")
            if value in (FIRST_CONTACT, UPDATE_CONTACT):
                self.problems.append(f"{path}.events[{i}]: {value!r} is reserved; choose another value")
            out.append(
                ContactEvent(
                    value,
                    str(item.get("label") or value),
                    self.duration(item, "contact_within", f"{path}.events[{i}]"),
                )
            )
        return tuple(out)

    def required(
        self, referrals: Mapping[str, Any], agencies: set[str], grades: set[str], path: str
    ) -> tuple[RequiredReferral, ...]:
        raw = referrals.get("required", [])
        if not isinstance(raw, list):
            self.problems.append(f"{path}.required: give a list of {{agency, grades}}")
            return ()
        out = []
        for i, given in enumerate(raw):
            item = given if isinstance(given, Mapping) else {}
            agency = str(item.get("agency", ""))
            if agency not in agencies:
                self.problems.append(
                    f"{path}.required[{i}].agency: {agency!r} is not one of the agencies listed"
                )
            out.append(RequiredReferral(agency, self.values(item, "grades", grades, f"{path}.required[{i}]")))
        return tuple(out)

    def retention_rules(
        self, retention: Mapping[str, Any], grades: set[str], outcomes: set[str], path: str
    ) -> tuple[RetentionRule, ...]:
        raw = retention.get("rules", [])
        if not isinstance(raw, list):
            self.problems.append(f"{path}.rules: give a list of {{grades or outcomes, period}}")
            return ()
        out = []
        for i, given in enumerate(raw):
            item = given if isinstance(given, Mapping) else {}
            where = f"{path}.rules[{i}]"
            rule = RetentionRule(
                self.values(item, "grades", grades, where),
                self.values(item, "outcomes", outcomes, where),
                self.duration(item, "period", where),
            )
            if not rule.grades and not rule.outcomes:
                self.problems.append(f"{where}: say which grades or outcomes the period is for")
            out.append(rule)
        return tuple(out)
