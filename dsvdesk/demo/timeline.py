"""When each demo record happens and what state it is in: the plans the answers are made for."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsvdesk.demo.people import Person, Weighted, make_person

if TYPE_CHECKING:
    pass

# ----------------------------------------------------------------------------------- record planning

STATUSES = ("draft", "submitted", "returned", "approved")
# DASH 'yes' answers on real checklists: most standard, a long medium tail, about one in eight 14+.
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
GRADE_BANDS = ((14, "high"), (10, "medium"), (0, "standard"))
_YES_COUNT = Weighted(list(YES_COUNT_WEIGHTS), list(YES_COUNT_WEIGHTS.values()))
_UNRECORDED_INCIDENTS = Weighted((0, 1, 2, 3), (70, 18, 8, 4))  # earlier incidents only the victim tells of
_CHILDREN = Weighted((1, 2, 3, 4), (50, 32, 13, 5))  # children of a victim who has any


def suggested_grade(yes_count: int) -> str:
    """The SafeLives bands (1–9 standard, 10–13 medium, 14+ high) used to choose a realistic grade."""
    for threshold, grade in GRADE_BANDS:
        if yes_count >= threshold:
            return grade
    return "standard"


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
