"""The full permission matrix, role × operation × own/other's record, through the core API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dsvdesk.store import (
    InvalidTransition,
    JustificationRequired,
    PermissionDenied,
    RecordRef,
    Status,
)
from tests.unit.store.conftest import ADMIN, Station, fake_pdf
from tests.unit.store.helpers import prepare

OK = "ok"
# actor key -> (actor username, owner username of the record)
ACTORS = {
    "officer/own": ("off1", "off1"),
    "officer/other": ("off2", "off1"),
    "supervisor/own": ("sup1", "sup1"),
    "supervisor/other": ("sup2", "off1"),
    "admin/other": (ADMIN, "off1"),
}

Operation = Callable[[Station, str, RecordRef], object]


def _open(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.open_record(st[actor], ref.id, justification="Supervisor review")


def _open_no_reason(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.open_record(st[actor], ref.id)


def _save_author(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.save_answer(st[actor], ref.id, "statement", "text", ref.version)


def _save_reviewer(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.save_answer(st[actor], ref.id, "supervisor_grade", "high", ref.version)


def _submit(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.submit(st[actor], ref.id, ref.version, fake_pdf())


def _return(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.return_record(st[actor], ref.id, {"victim_name": "check"}, ref.version)


def _approve(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.approve(st[actor], ref.id, ref.version, fake_pdf)


def _amend(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.amend(st[actor], ref.id, "correction")


def _delete(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.delete_draft(st[actor], ref.id)


def _history(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.record_history(st[actor], ref.id)


def _pdf(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.signed_pdf(st[actor], ref.id, 1)


def _disclose(st: Station, actor: str, ref: RecordRef) -> object:
    return st.store.record_disclosure(st[actor], ref.id, "CPS", "charging decision", "signed PDF")


def _list(st: Station, actor: str, ref: RecordRef) -> object:
    rows = st.store.list_records(st[actor])
    assert (ref.id in {r.id for r in rows}) == (actor != "off2")  # officers never see others' rows
    return rows


PD, IT, JR = PermissionDenied, InvalidTransition, JustificationRequired
#             operation        state              officer/own officer/other supervisor/own supervisor/other admin
MATRIX: list[tuple[Operation, Status, tuple[object, object, object, object, object]]] = [
    (_open, Status.DRAFT, (OK, PD, OK, OK, PD)),
    (_open_no_reason, Status.DRAFT, (OK, PD, OK, JR, PD)),
    (_save_author, Status.DRAFT, (OK, PD, OK, PD, PD)),
    (_save_author, Status.RETURNED, (OK, PD, OK, PD, PD)),
    (_save_author, Status.SUBMITTED, (IT, PD, IT, IT, PD)),
    (_save_reviewer, Status.DRAFT, (PD, PD, PD, PD, PD)),
    (_save_reviewer, Status.SUBMITTED, (IT, PD, IT, OK, PD)),
    (_save_author, Status.APPROVED, (IT, PD, IT, IT, PD)),
    (_submit, Status.DRAFT, (OK, PD, OK, PD, PD)),
    (_submit, Status.RETURNED, (OK, PD, OK, PD, PD)),
    (_return, Status.SUBMITTED, (PD, PD, PD, OK, PD)),
    (_approve, Status.SUBMITTED, (PD, PD, PD, OK, PD)),
    (_amend, Status.APPROVED, (OK, PD, OK, OK, PD)),
    (_delete, Status.DRAFT, (OK, PD, OK, PD, PD)),
    (_history, Status.SUBMITTED, (OK, PD, OK, OK, PD)),
    (_pdf, Status.SUBMITTED, (OK, PD, OK, OK, PD)),
    (_disclose, Status.APPROVED, (OK, PD, OK, OK, PD)),
    (_list, Status.DRAFT, (OK, OK, OK, OK, PD)),
]

CASES = [
    pytest.param(op, state, actor_key, expected, id=f"{op.__name__[1:]}-{state.value}-{actor_key}")
    for op, state, outcomes in MATRIX
    for actor_key, expected in zip(ACTORS, outcomes, strict=True)
]


@pytest.mark.parametrize(("operation", "state", "actor_key", "expected"), CASES)
def test_permission_matrix(
    station: Station, operation: Operation, state: Status, actor_key: str, expected: object
) -> None:
    actor, owner = ACTORS[actor_key]
    ref = prepare(station, owner, state)
    before = station.store._conn.execute(
        "SELECT version, status FROM records WHERE id = ?", (ref.id,)
    ).fetchone()
    if expected == OK:
        operation(station, actor, ref)
        return
    assert isinstance(expected, type)
    with pytest.raises(expected) as refused:
        operation(station, actor, ref)
    assert refused.value.message  # a clear message for the user
    after = station.store._conn.execute(
        "SELECT version, status FROM records WHERE id = ?", (ref.id,)
    ).fetchone()
    assert after == before  # a refusal changes nothing
