"""Realistic demo and benchmark data, generated from the real form definitions. Qt-free, no SQL: every
write goes through the store.

Two uses:

- the make-run demo (`dsvdesk demo --fresh`): a station, its accounts and about 50 records taken through
  the real lifecycle (:mod:`.lifecycle`: drafts saved, submitted with real signatures, returned with
  comments, approved), timed like a working station on the day it is made;
- bulk data for the benchmarks (`dsvdesk demo --records N`, :mod:`.bulk`): N records in all states,
  written in one transaction by the store's bulk load (``dsvdesk.store.bulk``).

Split by job: :mod:`.people` (names in many scripts, places), :mod:`.timeline` (when each record happens
and its state), :mod:`.fill` (a plausible answer for any question), :mod:`.answers` (whole records that
pass the form's checks), :mod:`.accounts` (the demo station and its sign-ins).

Answers are filled generically from the compiled :class:`FormSpec` — by question type, choices,
constraints and tags — and the few values that must be realistic (names, dates, references, the
grade) are found through the form's ``columns:`` mapping, never by hard-coded 124D question ids. A
complete record is checked with the completeness engine and repaired until it has no errors, so what
the demo shows as submitted would really pass submission.

Everything is deterministic for a (seed, today) pair: the same seed on the same day gives the same
people, answers and record ids.
"""

from __future__ import annotations

from dsvdesk.demo.accounts import (
    DEMO_ACCOUNTS,
    DEMO_STATION,
    create_demo_station,
    record_demo_accounts,
    staff_for,
)
from dsvdesk.demo.answers import Staff, answers_for, counted_tag, investigation_forms
from dsvdesk.demo.bulk import BulkSummary, bulk_insert_records
from dsvdesk.demo.errors import DemoDataError, DemoSetupError
from dsvdesk.demo.fill import column_questions, fill_value, reference_like
from dsvdesk.demo.lifecycle import DemoSummary, build_demo_database
from dsvdesk.demo.people import Person, make_person
from dsvdesk.demo.timeline import STATUSES, RecordPlan, last_moment, plan_records

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_STATION",
    "STATUSES",
    "BulkSummary",
    "DemoDataError",
    "DemoSetupError",
    "DemoSummary",
    "Person",
    "RecordPlan",
    "Staff",
    "answers_for",
    "build_demo_database",
    "bulk_insert_records",
    "column_questions",
    "counted_tag",
    "create_demo_station",
    "fill_value",
    "investigation_forms",
    "last_moment",
    "make_person",
    "plan_records",
    "record_demo_accounts",
    "reference_like",
    "staff_for",
]
