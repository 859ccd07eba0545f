"""The make-run demo database: records taken through the real lifecycle (the store and workflow calls
the app makes), with real signatures."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import paths
from dsvdesk.demo.accounts import DEMO_ACCOUNTS, create_demo_station, staff_for
from dsvdesk.demo.answers import answers_for, investigation_forms, review_comments
from dsvdesk.demo.errors import DemoDataError
from dsvdesk.demo.fill import NARRATIVE
from dsvdesk.demo.timeline import (
    STATION_STATUS_MIX,
    STATUSES,
    Moments,
    RecordPlan,
    plan_records,
    utc,
    working_day,
)
from dsvdesk.demo_accounts import DemoAccount
from dsvdesk.engine.spec import (
    FormSpec,
    QuestionType,
)

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session


class _DemoClock:
    """The store's clock during the demo build: set to each step's moment, so the lists, histories
    and audit log show work spread over past weeks rather than all made in the same minute."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@dataclass(frozen=True, slots=True)
class DemoSummary:
    path: Path
    by_status: Mapping[str, int]
    accounts: tuple[DemoAccount, ...]
    seconds: float


def build_demo_database(
    path: Path,
    *,
    seed: int = 2026,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    count: int = 50,
    forms: Mapping[str, FormSpec] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the make-run demo at ``path`` (which must not exist yet): the demo station and accounts,
    and ``count`` records taken through the real lifecycle — drafts saved, records submitted with the
    officer's real signature, some returned with comments (a few of those corrected, resubmitted and
    approved), the rest approved and countersigned by the supervisor.

    Timed like a working station at ``now`` (default: the clock; with only ``today``, noon that day UTC):
    a few records waiting hours in the review queue, today's and yesterday's drafts, records returned
    in the last two days, approvals over the past months (:func:`.timeline.working_day`)."""
    import time

    from dsvdesk import workflow
    from dsvdesk.engine.loader import load_forms_dir
    from dsvdesk.store import Store

    started = time.perf_counter()
    if now is None:
        now = dt.datetime.now(dt.UTC) if today is None else dt.datetime.combine(today, dt.time(12), dt.UTC)
    now = utc(now)
    today = now.date()
    specs = investigation_forms(forms if forms is not None else load_forms_dir(paths.forms_dir()))
    if not specs:
        raise DemoDataError("no form in the forms folder records an incident (maps the incident_date column)")
    plans = plan_records(
        count, seed=seed, today=today, officers=2, span_days=300, status_mix=STATION_STATUS_MIX
    )
    timed = working_day(plans, now=now)
    first = min(moments.created for _plan, moments in timed)
    clock = _DemoClock(dt.datetime.combine(first.date() - dt.timedelta(days=7), dt.time(8, 0), tzinfo=dt.UTC))
    officers = [a for a in DEMO_ACCOUNTS if a.role == "officer"]
    supervisor = next(a for a in DEMO_ACCOUNTS if a.role == "supervisor")
    store = Store.open(path, create=True, clock=clock)
    try:
        sessions = create_demo_station(store)
        steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        for plan, moments in timed:
            spec = specs[plan.index % len(specs)]
            officer = officers[plan.owner_index % len(officers)]
            steps.extend(
                _lifecycle_steps(
                    store,
                    spec,
                    plan,
                    moments,
                    officer,
                    supervisor=supervisor,
                    sessions=sessions,
                    today=today,
                    workflow=workflow,
                )
            )
        steps.sort(key=lambda step: (step[0], step[1]))
        for number, (moment, _order, action) in enumerate(steps, start=1):
            clock.moment = moment
            action()
            if progress is not None and number % 20 == 0:
                progress(f"{number} of {len(steps)} steps done")
        reviewer = sessions[supervisor.username]
        by_status = {status: store.count_records(reviewer, status=status) for status in STATUSES}
    finally:
        store.close()
    return DemoSummary(
        path=path, by_status=by_status, accounts=DEMO_ACCOUNTS, seconds=time.perf_counter() - started
    )


def _lifecycle_steps(  # noqa: C901 - one closure per step of a record's story; each is a line or two, but McCabe adds them to this function
    store: Store,
    spec: FormSpec,
    plan: RecordPlan,
    moments: Moments,
    officer: DemoAccount,
    *,
    supervisor: DemoAccount,
    sessions: Mapping[str, Session],
    today: dt.date,
    workflow: Any,
) -> list[tuple[dt.datetime, int, Callable[[], None]]]:
    """The dated actions that take one planned record to its planned state at its ``moments`` through
    the real store and workflow (the same calls the app makes)."""
    rng = random.Random(plan.extra_seed ^ 0x5EED)
    staff = staff_for(officer)
    officer_session = sessions[officer.username]
    reviewer_session = sessions[supervisor.username]
    latest = (moments.submitted or moments.saved or moments.created).replace(tzinfo=None)
    final_answers = answers_for(
        spec, plan, today=today, staff=staff, reviewer=plan.status == "approved", latest=latest
    )
    author_ids = {q.id for s, _p, q in spec.iter_questions() if s.audience.value != "reviewer"}
    author_answers = {k: v for k, v in final_answers.items() if k.split("__", 1)[0] in author_ids}
    reviewer_answers = {k: v for k, v in final_answers.items() if k.split("__", 1)[0] not in author_ids}
    holder: dict[str, str] = {}
    order = plan.index * 10
    steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []

    def version() -> int:
        return store.open_record(officer_session, holder["id"]).version

    if plan.status == "draft":
        first = dict(list(author_answers.items())[: max(1, len(author_answers) // 2)])
        rest = {k: v for k, v in author_answers.items() if k not in first}

        def create_draft() -> None:
            holder["id"] = store.create_record(officer_session, spec, first).id

        def continue_draft() -> None:
            if rest:
                store.save_answers(officer_session, holder["id"], rest, version())

        steps.append((moments.created, order, create_draft))
        steps.append((moments.saved or moments.created, order + 1, continue_draft))
        return steps

    def create() -> None:
        holder["id"] = store.create_record(officer_session, spec, author_answers).id

    def submit() -> None:
        workflow.submit_record(store, officer_session, holder["id"], officer.password)

    def send_back() -> None:
        record = store.open_record(reviewer_session, holder["id"], justification="Supervisor review")
        comments = review_comments(spec, author_answers, rng)
        store.return_record(reviewer_session, holder["id"], comments, record.version)

    def correct() -> None:
        # The officer answers the comment: a fuller narrative on the commented question.
        record = store.open_record(officer_session, holder["id"])
        for question_id in record.review_comments:
            current = record.answers.get(question_id)
            # Only free text grows a fuller answer; a choice (e.g. the grade) stays as the officer chose it.
            if isinstance(current, str) and spec.question(question_id).type in {
                QuestionType.TEXT,
                QuestionType.LONGTEXT,
            }:
                store.save_answer(
                    officer_session,
                    holder["id"],
                    question_id,
                    current + " " + rng.choice(NARRATIVE),
                    version(),
                )

    def approve() -> None:
        record = store.open_record(reviewer_session, holder["id"], justification="Supervisor review")
        grade_q = workflow.review_question(spec, workflow.REVIEW_GRADE)
        rationale_q = workflow.review_question(spec, workflow.REVIEW_RATIONALE)
        others = {
            k: v
            for k, v in reviewer_answers.items()
            if k not in {getattr(grade_q, "id", None), getattr(rationale_q, "id", None)}
        }
        if others:
            store.save_answers(reviewer_session, holder["id"], others, record.version)
        workflow.approve_record(
            store,
            reviewer_session,
            holder["id"],
            supervisor.password,
            grade=reviewer_answers.get(grade_q.id) if grade_q is not None else None,
            rationale=reviewer_answers.get(rationale_q.id) if rationale_q is not None else None,
        )

    steps.append((moments.created, order, create))
    if moments.submitted is not None:
        steps.append((moments.submitted, order + 1, submit))
    if moments.returned is not None:
        steps.append((moments.returned, order + 2, send_back))
    if moments.corrected is not None and moments.resubmitted is not None:
        steps.append((moments.corrected, order + 3, correct))
        steps.append((moments.resubmitted, order + 4, submit))
    if moments.approved is not None:
        steps.append((moments.approved, order + 5, approve))
    return steps
