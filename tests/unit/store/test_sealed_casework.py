"""Casework texts sealed with the record's content key (issue 15, migration 0021), and disposal that
shreds the record's keys. Officer B and an admin, with the database key and their own password and only
sqlcipher3/cryptography (tests/helpers/attacker.py), recover no casework text of officer A's record; a
supervisor, the record's officer and the case's investigating officer read them in the app."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.casework import CaseworkPolicy, casework_policy
from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import PermissionDenied, RecordRef, Status, Store, keys
from tests.helpers import attacker
from tests.helpers.encrypted import decrypted_bytes, decrypted_wal, key_of, occurrences, raw_connect
from tests.unit.store.conftest import ADMIN, PASSWORD, fake_pdf
from tests.unit.store.helpers import GOOD

FORMS = Path(__file__).resolve().parents[3] / "forms"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TEXTS = {  # every sealed casework column, each with a word found nowhere else
    "answers": "Xylophonist",
    "pdf": "Quagmireton",
    "next_action": "Wobblesworth",
    "contact": "Gazpachino",
    "referral": "Plinkerton",
    "reason": "Zanzibarish",
}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


class Desk:
    def __init__(self, store: Store, spec: FormSpec, policy: CaseworkPolicy, clock: Clock) -> None:
        self.store, self.spec, self.policy, self.clock = store, spec, policy, clock
        self.sessions: dict[str, Any] = {}

    def __getitem__(self, username: str) -> Any:
        if username not in self.sessions:
            self.sessions[username] = self.store.login(username, PASSWORD)
        return self.sessions[username]

    def approved(self, victim: str, owner: str = "off1") -> RecordRef:
        ref = self.store.create_record(self[owner], self.spec, {**GOOD, "victim_name": victim})
        ref = self.store.submit(self[owner], ref.id, ref.version, fake_pdf("officer"))
        self.store.approve(self["sup1"], ref.id, ref.version, lambda urn: fake_pdf(f"approved {urn}"))
        return RecordRef(ref.id, ref.revision, ref.version + 1, Status.APPROVED)

    def worked_case(self, victim: str = "Ann Case", io: str = "off2") -> str:
        """off1's approved record, allocated to ``io``, with one of every sealed casework text."""
        store, policy = self.store, self.policy
        ref = self.approved(victim)
        store.allocate(self["sup1"], ref.id, io)
        store.add_assessment(
            self[io], ref.id, kind="part2", risk_revision=1, spec=policy.spec,
            answers={"reason": f"{TEXTS['answers']} moved house"}, grade="high", decision_at=None,
            signed_pdf=fake_pdf(f"{TEXTS['pdf']} re-assessment"),
        )  # fmt: skip
        store.record_review(
            self["sup1"], ref.id, policy, outcome=policy.review_outcomes[0].value,
            next_action=f"Visit {TEXTS['next_action']} Road",
        )  # fmt: skip
        store.log_contact(
            self[io],
            ref.id,
            policy,
            at=START,
            method="phone",
            made=True,
            note=f"{TEXTS['contact']} said hello",
        )
        store.add_referral(
            self[io], ref.id, policy, agency="idva", referred_on="2026-03-02", outcome="pending",
            note=f"{TEXTS['referral']} service",
        )  # fmt: skip
        store.record_outcome(self["sup1"], ref.id, policy, outcome="no_further_action")
        self.clock.now = START + dt.timedelta(days=6 * 366)
        store.retain(self["sup1"], ref.id, policy, reason=f"{TEXTS['reason']} pattern")
        return ref.id


@pytest.fixture(scope="module")
def policy() -> CaseworkPolicy:
    return casework_policy(load_form(FORMS / "casework.yaml"))


@pytest.fixture
def desk(station_path: Path, mini_spec: FormSpec, policy: CaseworkPolicy) -> Iterator[Desk]:
    clock = Clock()
    store = Store.open(station_path, clock=clock)
    yield Desk(store, mini_spec, policy, clock)
    store.close()


def _db_key(path: Path, username: str) -> bytes:
    key_file = keys.KeyFile.load(path)
    assert key_file is not None
    raw = key_file.unwrap_user(username, PASSWORD)
    assert raw is not None
    return raw


def _texts_of(case: Any) -> str:
    return " ".join(
        [
            *(str(a.answers) for a in case.assessments),
            *(r.next_action for r in case.reviews),
            *(c.note for c in case.contacts),
            *(r.note for r in case.referrals),
            *(d.reason for d in case.retention),
        ]
    )


def test_casework_texts_are_sealed_and_read_back_by_who_may_read_the_record(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    record_id = desk.worked_case()
    for reader in ("sup1", "sup2", "off1", "off2"):  # supervisors, the record's officer, the IO
        case = store.case_file(desk[reader], record_id, policy, log_consultation=False)
        shown = _texts_of(case)
        for word in ("answers", "next_action", "contact", "referral", "reason"):
            assert TEXTS[word] in shown, (reader, word)
        # the signed re-assessment comes back byte for byte (its signature still covers it)
        assert store.assessment_pdf(desk[reader], record_id, 1) == fake_pdf(f"{TEXTS['pdf']} re-assessment")
    with pytest.raises(PermissionDenied):
        store.case_file(desk[ADMIN], record_id, policy)
    conn = raw_connect(store.path)
    try:
        assert attacker.plain_row_values(conn, record_id) == []  # the plain columns are blanked
        assert len(attacker.row_parts(conn, record_id)) == 6
    finally:
        conn.close()
    store.close()
    plain = decrypted_bytes(store.path, key_of(store.path))
    for word in TEXTS.values():  # decrypted pages hold none of them (only sealed blobs)
        assert occurrences(plain, word) == 0, word


def test_officer_b_and_an_admin_recover_no_casework_text_a_supervisor_can(desk: Desk) -> None:
    """The done-when test extended to casework: every key officer B (neither the record's officer nor
    its IO) or the admin can unwrap, tried on every sealed casework text of officer A's record."""
    store = desk.store
    record_id = desk.worked_case(io="off1")  # the reporting officer investigates: off2 has no part in it
    store.close()
    path = store.path
    conn = attacker.connect(path, _db_key(path, "off2"))
    try:
        rows = attacker.row_parts(conn, record_id)
        assert len(rows) == 6
        officer_b = attacker.keys_of(conn, "off2", PASSWORD)
        assert officer_b.private_keys and officer_b.sealed_keys  # B holds keys (their own index key)
        assert attacker.readable_parts(conn, record_id, officer_b, parts=rows) == []
        admin = attacker.keys_of(conn, ADMIN, PASSWORD)
        assert admin.sealed_keys == {}
        assert attacker.readable_parts(conn, record_id, admin, parts=rows) == []
        supervisor = attacker.keys_of(conn, "sup2", PASSWORD)  # never touched the case
        opened = b" ".join(attacker.readable_parts(conn, record_id, supervisor, parts=rows))
        for word in TEXTS.values():
            assert word.encode() in opened, word
        # a blob moved onto another row does not open, even with the right key
        (blob, _aad), (_other, aad) = rows[2], rows[3]
        assert attacker.readable_parts(conn, record_id, supervisor, parts=[(blob, aad)]) == []
    finally:
        conn.close()


def _opened_by(path: Path, record_id: str, username: str) -> list[bytes]:
    """What ``username``'s password opens of the record's sealed parts, outside the app."""
    conn = attacker.connect(path, key_of(path))
    try:
        return attacker.readable_parts(conn, record_id, attacker.keys_of(conn, username, PASSWORD))
    finally:
        conn.close()


def test_the_investigating_officer_holds_the_records_keys_while_the_case_is_theirs(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    ref = desk.approved("Ida Moved")
    assert _opened_by(store.path, ref.id, "off2") == []
    store.allocate(desk["sup1"], ref.id, "off2")
    store.log_contact(desk["off2"], ref.id, policy, at=START, method="phone", made=True, note="Noted by IO")
    case = store.case_file(desk["off2"], ref.id, policy, log_consultation=False)
    assert (case.victim_name, [c.note for c in case.contacts]) == ("Ida Moved", ["Noted by IO"])
    assert attacker.answers_in(_opened_by(store.path, ref.id, "off2"))["victim_name"] == "Ida Moved"
    # given to a supervisor instead: off2's wraps of every key of the record go
    store.allocate(desk["sup1"], ref.id, "sup2")
    assert _opened_by(store.path, ref.id, "off2") == []
    with pytest.raises(PermissionDenied):
        store.case_file(store.login("off2", PASSWORD), ref.id, policy)
    # back to off2, then amended: the new key is wrapped for the case's IO too, and the note sealed
    # under the first key still opens
    store.allocate(desk["sup1"], ref.id, "off2")
    store.amend(desk["off1"], ref.id, "a correction")
    opened = _opened_by(store.path, ref.id, "off2")
    assert attacker.answers_in(opened)["victim_name"] == "Ida Moved"
    conn = raw_connect(store.path)
    try:
        keys_now = conn.execute("SELECT count(*) FROM sealed_keys WHERE record_id = ?", (ref.id,)).fetchone()[
            0
        ]
    finally:
        conn.close()
    assert keys_now == 2
    case = store.case_file(store.login("off2", PASSWORD), ref.id, policy, log_consultation=False)
    assert [c.note for c in case.contacts] == ["Noted by IO"]


def test_an_io_whose_password_was_reset_gets_the_records_keys_back_at_a_supervisors_sign_in(
    desk: Desk,
) -> None:
    store, policy = desk.store, desk.policy
    ref = desk.approved("Rhea Reset")
    store.allocate(desk["sup1"], ref.id, "off2")
    store.log_contact(
        desk["off2"], ref.id, policy, at=START, method="in_person", made=True, note="Before reset"
    )
    store.reset_password(desk[ADMIN], "off2", "the admin set this", PASSWORD)
    desk.clock.now += dt.timedelta(minutes=1)  # a later session (held keys are per sign-in time)
    reset = store.login("off2", "the admin set this")  # a new key pair: the old wraps are gone
    with pytest.raises(PermissionDenied, match="sealed"):
        store.case_file(reset, ref.id, policy, log_consultation=False)
    store.login("sup2", PASSWORD)  # a supervisor's sign-in wraps the case's record keys for the new pair
    desk.clock.now += dt.timedelta(minutes=1)
    again = store.login("off2", "the admin set this")
    case = store.case_file(again, ref.id, policy, log_consultation=False)
    assert (case.victim_name, [c.note for c in case.contacts]) == ("Rhea Reset", ["Before reset"])


def test_rows_from_before_sealing_are_sealed_at_the_next_sign_in_of_someone_who_can(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    record_id = desk.worked_case(io="off1")
    conn = raw_connect(store.path)
    try:  # as migration 0021 leaves them: plain text, no key (sealed columns emptied)
        conn.execute(
            "UPDATE case_contacts SET key_id = NULL, sealed_note = NULL, note = 'Unsealed Gazpachino' "
            "WHERE record_id = ?",
            (record_id,),
        )
        conn.commit()
    finally:
        conn.close()
    assert [c.note for c in store.case_file(desk["sup1"], record_id, policy).contacts] == [
        "Unsealed Gazpachino"
    ]
    store.login("off2", PASSWORD)  # cannot open off1's record: leaves the row as it is
    conn = raw_connect(store.path)
    try:
        assert conn.execute("SELECT key_id FROM case_contacts").fetchone() == (None,)
    finally:
        conn.close()
    store.login("sup2", PASSWORD)
    conn = raw_connect(store.path)
    try:
        assert attacker.plain_row_values(conn, record_id) == []
        event = conn.execute(
            "SELECT detail FROM audit_events WHERE event = 'records_sealed' ORDER BY id DESC"
        ).fetchone()
        assert event is not None and json.loads(event[0]) == {"rows": 1}
    finally:
        conn.close()
    case = store.case_file(desk["off1"], record_id, policy, log_consultation=False)
    assert [c.note for c in case.contacts] == ["Unsealed Gazpachino"]


def test_disposal_shreds_the_records_keys_wraps_and_tokens_in_its_transaction(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    record_id = desk.worked_case("Zebulon Quixotic")
    keep = desk.approved("Kept Person")
    desk.clock.now += dt.timedelta(days=30 * 366)  # past the review its retention decision set
    conn = raw_connect(store.path)
    try:
        key_ids = [r[0] for r in conn.execute("SELECT id FROM sealed_keys WHERE record_id = ?", (record_id,))]
        wraps = [bytes(r[0]) for r in conn.execute(
            f"SELECT wrapped FROM key_wraps WHERE key_id IN ({', '.join('?' for _ in key_ids)})", key_ids
        )]  # fmt: skip
        (seq,) = conn.execute("SELECT seq FROM records WHERE id = ?", (record_id,)).fetchone()
        tokens = {bytes(r[0]) for r in conn.execute("SELECT token FROM search_tokens WHERE seq = ?", (seq,))}
        kept_tokens = {
            bytes(r[0])
            for r in conn.execute(
                "SELECT t.token FROM search_tokens t JOIN records r ON r.seq = t.seq WHERE r.id = ?",
                (keep.id,),
            )
        }
    finally:
        conn.close()
    assert key_ids and len(wraps) >= 3 * len(key_ids)  # owner, IO, both supervisors, escrow
    conn = attacker.connect(store.path, key_of(store.path))
    try:
        loot = attacker.keys_of(conn, "sup1", PASSWORD)
    finally:
        conn.close()
    raw_keys = [loot.sealed_keys[k] for k in key_ids]
    # the record's own tokens (the kept record shares some: the same owner's key, the same suspect)
    token_words = tokens - kept_tokens
    assert token_words and all(_matches(store.path, t) == 1 for t in token_words)

    store.dispose(desk["sup1"], record_id, policy, reason="no_policing_purpose")
    conn = raw_connect(store.path)
    try:
        marks = ", ".join("?" for _ in key_ids)
        assert conn.execute(
            f"SELECT count(*) FROM sealed_keys WHERE id IN ({marks})", key_ids
        ).fetchone() == (0,)
        assert conn.execute(
            f"SELECT count(*) FROM key_wraps WHERE key_id IN ({marks})", key_ids
        ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM search_tokens WHERE seq = ?", (seq,)).fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM tombstones WHERE record_id = ?", (record_id,)
        ).fetchone() == (1,)
    finally:
        conn.close()
    assert store.verify_audit().ok
    assert store.count_records(desk["sup1"], search="Kept") == 1
    assert all(_matches(store.path, t) == 0 for t in token_words)
    store.close()
    plain = decrypted_bytes(store.path, key_of(store.path))
    wal = Path(f"{store.path}-wal")
    if wal.exists():
        plain += decrypted_wal(wal, key_of(store.path))
    for secret in (*wraps, *raw_keys):
        assert plain.count(secret) == 0
    for word in (*TEXTS.values(), "Quixotic", "Zebulon"):
        assert occurrences(plain, word) == 0, word
    for token in token_words:
        assert plain.count(token) == 0, token


def _matches(path: Path, token: bytes) -> int:
    conn = raw_connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM search_tokens WHERE token = ?", (token,)).fetchone()[0])
    finally:
        conn.close()
