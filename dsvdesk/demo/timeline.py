"""When each demo record happens and what state it is in: the plans the answers are made for."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dsvdesk.demo.people import Person, Weighted, make_person

# ----------------------------------------------------------------------------------- record planning

STATUSES = ("draft", "submitted", "returned", "approved")
# How many 'yes' answers real checklists have: mostly few, a long tail, about one in eight very many.
YES_COUNT_WEIGHTS: Mapping[int, int] = {
    0: 3,
    1: 4,
    2: 6,
    3: 8,
    4: 9,
    5: 9,
    6: 8,
    7: 7,
    8: 6,
    9: 5,
    10: 5,
    11: 4,
    12: 4,
    13: 3,
    14: 3,
    15: 3,
    16: 2,
    17: 2,
    18: 2,
    19: 1,
    20: 1,
    22: 1,
}
_YES_COUNT = Weighted(list(YES_COUNT_WEIGHTS), list(YES_COUNT_WEIGHTS.values()))
_UNRECORDED_INCIDENTS = Weighted((0, 1, 2, 3), (70, 18, 8, 4))  # earlier incidents only the victim tells of
_CHILDREN = Weighted((1, 2, 3, 4), (50, 32, 13, 5))  # children of a victim who has any


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """Everything about one record decided before its answers are filled."""

    index: int
    record_id: str
    status: str
    victim: Person
    suspect: Person
    children: tuple[Person, ...]
    incident_at: dt.datetime
    created_at: dt.datetime
    yes_target: int
    owner_index: int  # which officer (index into the caller's list)
    completion: float  # share of answers filled (drafts); 1.0 for every other status
    repeat_victim: bool = False
    previous_incidents: int = 0  # earlier incidents with this victim in the last 12 months
    extra_seed: int = 0


# Status weights (draft, submitted, returned, approved) by the record's age in days, newest first.
_STATUS_BY_AGE = (
    (3, Weighted(STATUSES, (45, 35, 10, 10))),
    (14, Weighted(STATUSES, (20, 30, 15, 35))),
    (60, Weighted(STATUSES, (6, 8, 6, 80))),
)
_STATUS_OLD = Weighted(STATUSES, (2, 2, 1, 95))


def _status_for(rng: random.Random, age_days: int) -> str:
    """Older records are mostly approved; the last fortnight holds the drafts and the queue."""
    for up_to, weighted in _STATUS_BY_AGE:
        if age_days <= up_to:
            return str(weighted.pick(rng))
    return str(_STATUS_OLD.pick(rng))


def last_moment(today: dt.date) -> dt.datetime:
    """The latest time demo data carries: 23:00 on the day before `today`. Whatever the hour the data is
    made, nothing in it is in the future (the forms refuse an incident or a declaration in the future),
    and a seed still gives the same data all day."""
    return dt.datetime.combine(today - dt.timedelta(days=1), dt.time(23, 0))


def plan_records(
    count: int,
    *,
    seed: int,
    today: dt.date,
    officers: int,
    span_days: int = 540,
    status_mix: Mapping[str, int] | None = None,
) -> list[RecordPlan]:
    """Plan ``count`` records over the last ``span_days`` days, oldest first.

    About one victim in eight appears again within 12 months (same name and date of birth), a
    child or two live with about 40% of victims, and the yes-count follows :data:`YES_COUNT_WEIGHTS`.
    ``status_mix`` forces exact shares of statuses (the small make-run demo uses it so that every
    state is well represented); otherwise the status follows the record's age.
    """
    import uuid  # here, not at the top: it costs start-up time and only planning needs it

    rng = random.Random(seed)
    now = last_moment(today)
    ages = sorted((rng.random() ** 1.15 * span_days for _ in range(count)), reverse=True)
    forced: list[str] = []
    if status_mix:
        total = sum(status_mix.values())
        for status, share in status_mix.items():
            forced.extend([status] * round(count * share / total))
        forced = (forced + ["approved"] * count)[:count]
        # Newest records take the earliest lifecycle states, as they would at a real station.
        order = {"draft": 0, "submitted": 1, "returned": 2, "approved": 3}
        forced.sort(key=lambda s: -order[s])
    plans: list[RecordPlan] = []
    recent_victims: list[tuple[dt.date, Person, Person]] = []  # in time order, as the plans are
    window_start = 0  # recent_victims[window_start:] fall within the repeat window
    seen: dict[Person, list[dt.date]] = {}
    for index, age in enumerate(ages):
        incident_at = now - dt.timedelta(days=age, hours=rng.randint(0, 20), minutes=rng.randint(0, 59))
        incident_at = incident_at.replace(second=0, microsecond=0)
        created_at = incident_at + dt.timedelta(minutes=rng.randint(25, 240))
        if created_at > now:
            created_at = now - dt.timedelta(minutes=rng.randint(1, 30))
        while (
            window_start < len(recent_victims)
            and (incident_at.date() - recent_victims[window_start][0]).days > 330
        ):
            window_start += 1
        repeat = window_start < len(recent_victims) and rng.random() < 0.13
        if repeat:
            _day, victim, suspect = recent_victims[rng.randrange(window_start, len(recent_victims))]
        else:
            victim = make_person(
                rng,
                sex="female" if rng.random() < 0.8 else "male",
                on=incident_at.date(),
                min_age=16,
                max_age=78,
            )
            same_community = rng.random() < 0.75
            suspect = make_person(
                rng,
                sex="male" if victim.sex == "female" and rng.random() < 0.93 else "female",
                on=incident_at.date(),
                min_age=17,
                max_age=80,
                community=victim.community if same_community else None,
            )
        earlier = [d for d in seen.get(victim, []) if 0 <= (incident_at.date() - d).days <= 365]
        # Not every earlier incident was recorded here: now and then the victim reports more.
        previous = len(earlier) + _UNRECORDED_INCIDENTS.pick(rng)
        seen.setdefault(victim, []).append(incident_at.date())
        recent_victims.append((incident_at.date(), victim, suspect))
        children: tuple[Person, ...] = ()
        if rng.random() < 0.4 and victim.age_on(incident_at.date()) >= 19:
            children = tuple(
                make_person(
                    rng,
                    on=incident_at.date(),
                    min_age=0,
                    max_age=min(16, victim.age_on(incident_at.date()) - 17),
                    community=victim.community,
                    family=rng.choice((victim.family, suspect.family)),
                )
                for _ in range(_CHILDREN.pick(rng))
            )
        age_days = (today - incident_at.date()).days
        status = forced[index] if forced else _status_for(rng, age_days)
        yes_target = _YES_COUNT.pick(rng)
        plans.append(
            RecordPlan(
                index=index,
                record_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                status=status,
                victim=victim,
                suspect=suspect,
                children=children,
                incident_at=incident_at,
                created_at=created_at,
                yes_target=yes_target,
                owner_index=rng.randrange(max(1, officers)),
                completion=rng.uniform(0.15, 0.9) if status == "draft" else 1.0,
                repeat_victim=repeat,
                previous_incidents=previous,
                extra_seed=rng.getrandbits(32),
            )
        )
    return plans


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


# ------------------------------------------------------------------------------ a station's working day
# The make-run demo's share of each state: a working station has a handful of records in the review
# queue, a few drafts on the go and a few sent back, and most of its records approved over past months.
STATION_STATUS_MIX: Mapping[str, int] = {"draft": 8, "submitted": 5, "returned": 5, "approved": 32}


@dataclass(frozen=True, slots=True)
class Moments:
    """When a make-run demo record's lifecycle steps happen (UTC)."""

    created: dt.datetime
    saved: dt.datetime | None = None  # a draft's second save
    submitted: dt.datetime | None = None
    returned: dt.datetime | None = (
        None  # sent back (a returned record; or the first round of one approved later)
    )
    corrected: dt.datetime | None = None  # the officer's answer to the comments, then submitted again
    resubmitted: dt.datetime | None = None
    approved: dt.datetime | None = None


def _hours(low: float, high: float, rng: random.Random) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(low, high))


def _fit(start: dt.datetime, gaps: Sequence[dt.timedelta], end: dt.datetime) -> list[dt.datetime]:
    """The moments ``gaps`` apart after ``start``; if they would run past ``end``, every gap shrinks alike."""
    total = sum(gaps, dt.timedelta())
    room = end - start
    scale = min(1.0, room / total) if total > dt.timedelta() and room > dt.timedelta() else 1.0
    moments: list[dt.datetime] = []
    moment = start
    for gap in gaps:
        moment = moment + gap * scale
        moments.append(moment)
    return moments


def _moved(plan: RecordPlan, created: dt.datetime, rng: random.Random) -> RecordPlan:
    """``plan`` created at ``created`` (naive UTC), its incident shortly before; never before a child's
    birth (the people were made for the plan's first incident date)."""
    incident = (created - dt.timedelta(minutes=rng.randint(25, 240))).replace(second=0, microsecond=0)
    born = max((child.dob for child in plan.children), default=None)
    if born is not None and incident.date() <= born:
        incident = dt.datetime.combine(born + dt.timedelta(days=1), incident.time())
        created = max(created, incident + dt.timedelta(minutes=25))
    return replace(plan, incident_at=incident, created_at=created)


def working_day(plans: Sequence[RecordPlan], *, now: dt.datetime) -> list[tuple[RecordPlan, Moments]]:
    """The make-run demo's plans timed like a station on the day the demo is made (``now``, UTC): the
    review queue holds records submitted in the last few hours, drafts were started today or yesterday,
    returned records went back to their officers in the last two days, and approved records were
    approved over the past months (the plans' own dates), the latest hours before ``now``."""
    now = utc(now).replace(microsecond=0)
    naive_now = now.replace(tzinfo=None)
    # The approved records keep their order and their oldest date, and are spread on to yesterday: a
    # station approves records every day, not only months ago (every record moves later, never earlier,
    # so no child is born after an incident).
    ages = [naive_now - p.created_at for p in plans if p.status == "approved"]
    newest, oldest, day = (
        min(ages, default=dt.timedelta()),
        max(ages, default=dt.timedelta()),
        dt.timedelta(days=1),
    )
    timed: list[tuple[RecordPlan, Moments]] = []
    for plan in plans:
        rng = random.Random(plan.extra_seed ^ 0x7D4E)
        if plan.status == "draft":
            moved = _moved(plan, naive_now - _hours(0.5, 30, rng), rng)
            created = utc(moved.created_at)
            saved = _fit(created, [dt.timedelta(minutes=rng.randint(5, 50))], now - dt.timedelta(minutes=2))
            timed.append((moved, Moments(created=created, saved=saved[0])))
        elif plan.status == "submitted":
            submitted = now - _hours(0.5, 9, rng)
            moved = _moved(plan, (submitted - _hours(0.7, 3.3, rng)).replace(tzinfo=None), rng)
            timed.append((moved, Moments(created=utc(moved.created_at), submitted=submitted)))
        elif plan.status == "returned":
            returned = now - _hours(3, 50, rng)
            submitted = returned - _hours(2, 16, rng)
            moved = _moved(plan, (submitted - _hours(0.7, 3.3, rng)).replace(tzinfo=None), rng)
            timed.append(
                (moved, Moments(created=utc(moved.created_at), submitted=submitted, returned=returned))
            )
        else:
            age = naive_now - plan.created_at
            if newest > day and oldest > newest:
                age = day + (age - newest) * ((oldest - day) / (oldest - newest))
            age = max(age, dt.timedelta(hours=4))
            approved_plan = _moved(plan, naive_now - age, rng) if age != naive_now - plan.created_at else plan
            created = utc(approved_plan.created_at)
            end = now - dt.timedelta(hours=2)
            if rng.random() < 0.3:  # sent back once, corrected, submitted again, then approved
                gaps = [
                    dt.timedelta(minutes=rng.randint(40, 200)),
                    _hours(3, 30, rng),
                    _hours(2, 20, rng),
                    dt.timedelta(minutes=10),
                    _hours(2, 30, rng),
                ]
                submitted, returned, corrected, resubmitted, approved = _fit(created, gaps, end)
                moments = Moments(created, None, submitted, returned, corrected, resubmitted, approved)
            else:
                gaps = [dt.timedelta(minutes=rng.randint(40, 200)), _hours(3, 40, rng)]
                submitted, approved = _fit(created, gaps, end)
                moments = Moments(created=created, submitted=submitted, approved=approved)
            timed.append((approved_plan, moments))
    return timed
