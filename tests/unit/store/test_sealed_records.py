"""Sealed records (issue 15). The done-when test: officer B's password and the database file, used with
only sqlcipher3/cryptography and the documented formats (tests/helpers/attacker.py), recover no answer
of officer A's record; nor do an admin's; a supervisor's do; the force escrow key does. And the app
keeps working over sealed records: lists, search with folding, the review queue, amendments."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.store import AuthenticationFailed, PermissionDenied, Status, Store, keys
from dsvdesk.store.name_order import collation_key
from tests.helpers import attacker
from tests.unit.store.conftest import ADMIN, PASSWORD, Station, fake_pdf

SECRET = {
    "victim_name": "Quizzlewick Łucja",
    "suspect_name": "Brabazon Ørsted",
    "incident_date": "2026-01-02",
    "cad_ref": "CAD7788",
    "statement": "Zebrafinch narrative of the incident",
}
WORDS = ("Quizzlewick", "Brabazon", "Zebrafinch", "CAD7788")


def _a_record_in_every_part(station: Station) -> str:
    """off1's record with answers, a return comment, two signed PDFs, an approval and an amendment."""
    store, off1, sup1 = station.store, station["off1"], station["sup1"]
    ref = store.create_record(off1, station.spec, SECRET)
    ref = store.submit(off1, ref.id, ref.version, fake_pdf("Quizzlewick submitted"))
    ref = store.return_record(sup1, ref.id, {"victim_name": "Brabazon spelling?"}, ref.version)
    ref = store.submit(off1, ref.id, ref.version, fake_pdf("Quizzlewick again"))
    store.approve(sup1, ref.id, ref.version, lambda urn: fake_pdf(f"Quizzlewick approved {urn}"))
    store.amend(off1, ref.id, "a correction")
    return ref.id


def _db_key(path: Path, username: str, password: str) -> bytes:
    db_key = keys.KeyFile.load(path)
    assert db_key is not None
    raw = db_key.unwrap_user(username, password)
    assert raw is not None
    return raw


def _whole_database_text(conn: Any) -> str:
    """Every value of every table (FTS shadow tables too), text and bytes alike, as one text."""
    parts: list[str] = []
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    parts.append(bytes(value).decode("latin-1"))
                elif value is not None:
                    parts.append(str(value))
    return "\n".join(parts)


def test_officer_b_and_an_admin_recover_nothing_of_officer_a_record_a_supervisor_can(
    station: Station,
) -> None:
    record_id = _a_record_in_every_part(station)
    own = station.store.create_record(station["off2"], station.spec, {"victim_name": "Bee Own"})
    station.store.close()
    path = station.path
    conn = attacker.connect(path, _db_key(path, "off2", PASSWORD))
    try:
        # nothing in plain text anywhere in the database (FTS, columns, audit, PDFs, comments)
        dump = _whole_database_text(conn)
        for word in (*WORDS, "quizzlewick", "lucja", "Zebrafinch"):
            assert word not in dump, word
        assert (
            len(attacker.sealed_parts(conn, record_id)) == 7
        )  # answers, columns, revision 1, 3 PDFs, comment

        officer_b = attacker.keys_of(conn, "off2", PASSWORD)
        assert officer_b.private_keys and officer_b.sealed_keys  # B holds keys: their own record opens
        assert attacker.answers_in(attacker.readable_parts(conn, own.id, officer_b)) == {
            "victim_name": "Bee Own"
        }
        assert attacker.readable_parts(conn, record_id, officer_b) == []
        # the search index: B's keys (and the admin's) match no guessed word of A's record; a supervisor's do
        guesses = ["quizzlewick", "quiz", "q", "lucja", "brabazon", "orsted", "cad7788", "cad"]
        assert attacker.guessed_words_found(conn, own.id, officer_b, ["bee", "own"]) == ["bee", "own"]
        assert attacker.guessed_words_found(conn, record_id, officer_b, guesses) == []

        admin = attacker.keys_of(conn, ADMIN, PASSWORD)
        assert admin.private_keys == {} and admin.sealed_keys == {}
        assert attacker.readable_parts(conn, record_id, admin) == []
        assert attacker.guessed_words_found(conn, record_id, admin, guesses) == []

        supervisor = attacker.keys_of(conn, "sup2", PASSWORD)  # a supervisor who never touched it
        opened = attacker.readable_parts(conn, record_id, supervisor)
        assert attacker.answers_in(opened) == SECRET
        assert any(b"Quizzlewick approved" in part for part in opened)
        assert any(part == b"Brabazon spelling?" for part in opened)
        assert attacker.guessed_words_found(conn, record_id, supervisor, guesses) == guesses
    finally:
        conn.close()


def test_a_password_reset_by_an_admin_opens_nothing_the_user_had(station: Station) -> None:
    store = station.store
    record_id = store.create_record(station["off1"], station.spec, SECRET).id
    store.reset_password(station[ADMIN], "off1", "the admin knows this", PASSWORD)
    reset = store.login("off1", "the admin knows this")
    assert reset.notice is not None and "Ada Admin" in reset.notice
    with pytest.raises(PermissionDenied, match="sealed"):
        store.open_record(reset, record_id)
    assert store.list_records(reset)[0].victim_name is None  # listed, but the name stays sealed
    conn = attacker.connect(station.path, _db_key(station.path, "off1", "the admin knows this"))
    try:
        loot = attacker.keys_of(conn, "off1", "the admin knows this")
        assert attacker.readable_parts(conn, record_id, loot) == []
    finally:
        conn.close()
    # a supervisor's next sign-in wraps the records for the new key: the officer reads them again
    station.sessions.pop("sup1", None)
    station["sup1"]
    assert store.open_record(reset, record_id).answers == SECRET


def test_the_escrow_key_opens_every_record(tmp_path: Path) -> None:
    from dsvdesk.engine.loader import load_form_text
    from tests.unit.store.forms import MINI_FORM

    path = tmp_path / "s.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Trial", ADMIN, "Ada Admin", PASSWORD)
        escrow = store.take_escrow_private()
        admin = store.login(ADMIN, PASSWORD)
        store.add_user(admin, "off1", "officer", "Olive Officer", "1", PASSWORD, PASSWORD)
        record_id = store.create_record(
            store.login("off1", PASSWORD), load_form_text(MINI_FORM, "mini.yaml"), SECRET
        ).id
    conn = attacker.connect(path, _db_key(path, ADMIN, PASSWORD))
    try:
        loot = attacker.keys_of(conn, "nobody", "", escrow_private=escrow)
        assert attacker.answers_in(attacker.readable_parts(conn, record_id, loot)) == SECRET
    finally:
        conn.close()


def test_a_blob_moved_to_another_record_does_not_open(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    first = store.create_record(off1, station.spec, SECRET)
    second = store.create_record(off1, station.spec, {"victim_name": "Other"})
    with store.transaction() as conn:
        (blob,) = conn.execute("SELECT sealed_answers FROM records WHERE id = ?", (first.id,)).fetchone()
        conn.execute("UPDATE records SET sealed_answers = ? WHERE id = ?", (blob, second.id))
    fresh = Store.open(station.path)
    try:
        with pytest.raises(PermissionDenied, match="altered or moved"):
            fresh.open_record(fresh.login("off1", PASSWORD), second.id)
    finally:
        fresh.close()


def test_lists_search_and_review_queue_work_over_sealed_records(station: Station) -> None:
    from dsvdesk.reporting.review_queue import QueueFilter, ReviewQueue

    store, off1, off2, sup1 = station.store, station["off1"], station["off2"], station["sup1"]
    mine = store.create_record(off1, station.spec, SECRET)
    store.submit(off1, mine.id, mine.version, fake_pdf())
    store.create_record(off2, station.spec, {"victim_name": "Quizzlewick Other"})
    (row,) = store.list_records(off1, search="quizzle")
    assert row.id == mine.id and row.victim_name == SECRET["victim_name"] and row.cad_ref == "CAD7788"
    assert [r.id for r in store.list_records(off1, search="lucja")] == [mine.id]  # Ł folded
    assert [r.id for r in store.list_records(off1, search="orsted brab")] == [
        mine.id
    ]  # Ø, prefixes, any order
    assert store.list_records(off1, search="zebrafinch") == []  # narrative is not indexed
    # officer B matches only their own: A's record is not found even by its exact name
    assert [r.victim_name for r in store.list_records(off2, search="Quizzlewick")] == ["Quizzlewick Other"]
    # a supervisor matches the station's
    assert len(store.list_records(sup1, search="quizzlewick")) == 2
    assert store.count_records(sup1, search="quizzlewick lucja") == 1
    queue = ReviewQueue(store, sup1)
    (queued,) = [r for r in queue.rows(QueueFilter(), offset=0, limit=50) if r.row.id == mine.id]
    assert queued.row.victim_name == SECRET["victim_name"]
    names = [r.victim_name for r in store.list_records(sup1, sort="victim_name", descending=False)]
    # names sort as people read them: 'Łucja' with the L's, before 'Other' (name_order.collation_key)
    assert names.index("Quizzlewick Łucja") < names.index("Quizzlewick Other")
    assert names == sorted(names, key=lambda n: (n is not None, collation_key(n) or ""))


def test_an_amendment_gets_a_new_key_and_keeps_the_old_revision_readable(station: Station) -> None:
    store, off1, sup1 = station.store, station["off1"], station["sup1"]
    ref = store.create_record(off1, station.spec, SECRET)
    ref = store.submit(off1, ref.id, ref.version, fake_pdf())
    store.approve(sup1, ref.id, ref.version, fake_pdf)
    with store.read() as conn:
        (before,) = conn.execute("SELECT key_id FROM records WHERE id = ?", (ref.id,)).fetchone()
    amended = store.amend(off1, ref.id, "typo")
    with store.read() as conn:
        (after,) = conn.execute("SELECT key_id FROM records WHERE id = ?", (ref.id,)).fetchone()
        (archived,) = conn.execute(
            "SELECT key_id FROM record_revisions WHERE record_id = ?", (ref.id,)
        ).fetchone()
    assert after != before and archived == before
    assert store.open_record(off1, ref.id).answers == SECRET
    assert store.open_record(off1, ref.id, revision=1).answers == SECRET
    store.save_answer(off1, ref.id, "victim_name", "Quizzlewick Changed", amended.version)
    assert store.open_record(off1, ref.id, revision=1).answers["victim_name"] == SECRET["victim_name"]
    assert store.signed_pdf(off1, ref.id, 1) is not None
    assert store.verify_audit().ok


def test_part_a_victim_key_is_keyed_and_made_at_approval(station: Station) -> None:
    store, off1, sup1 = station.store, station["off1"], station["sup1"]
    ref = store.create_record(off1, station.spec, SECRET)
    with store.read() as conn:
        assert conn.execute("SELECT victim_key FROM records WHERE id = ?", (ref.id,)).fetchone() == (None,)
    ref = store.submit(off1, ref.id, ref.version, fake_pdf())
    store.approve(sup1, ref.id, ref.version, fake_pdf)
    with store.read() as conn:
        key, pending, status = conn.execute(
            "SELECT victim_key, index_pending, status FROM records WHERE id = ?", (ref.id,)
        ).fetchone()
    assert status == Status.APPROVED.value and pending == 0
    assert key is None or (len(key) == 64 and "quizzlewick" not in key)  # mini form: no date of birth


def _as_before_issue_15(station: Station, record_id: str) -> None:
    """Put a record back as DSVDesk stored it before sealed records: plain answers, names and words."""
    store = station.store
    record = store.open_record(station["off1"], record_id)
    columns = {"victim_name": record.answers["victim_name"], "suspect_name": record.answers["suspect_name"]}
    with store.transaction() as conn:
        seq = conn.execute("SELECT seq FROM records WHERE id = ?", (record_id,)).fetchone()[0]
        conn.execute(
            "UPDATE records SET key_id = NULL, sealed_answers = NULL, sealed_columns = NULL, answers_json = ?, "
            "columns_json = ?, victim_name = ?, suspect_name = ? WHERE id = ?",
            (
                json.dumps(record.answers),
                json.dumps(columns),
                columns["victim_name"],
                columns["suspect_name"],
                record_id,
            ),
        )
        conn.execute("DELETE FROM search_tokens WHERE seq = ?", (seq,))  # the old index held plain words


def test_records_saved_before_sealing_are_sealed_at_the_next_sign_in(station: Station) -> None:
    store = station.store
    record_id = store.create_record(station["off1"], station.spec, SECRET).id
    _as_before_issue_15(station, record_id)
    station.sessions.clear()
    fresh = Store.open(station.path)
    try:
        fresh.login(ADMIN, PASSWORD)  # anyone signing in seals (public keys only); the admin reads nothing
        with fresh.read() as conn:
            key_id, plain_name, answers_json, pending = conn.execute(
                "SELECT key_id, victim_name, answers_json, index_pending FROM records WHERE id = ?",
                (record_id,),
            ).fetchone()
            (events,) = conn.execute(
                "SELECT count(*) FROM audit_events WHERE event = 'records_sealed'"
            ).fetchone()
            tokens = conn.execute(
                "SELECT count(*) FROM search_tokens WHERE seq = (SELECT seq FROM records WHERE id = ?)",
                (record_id,),
            ).fetchone()
        assert key_id is not None and plain_name is None and answers_json == "{}" and events == 1
        assert pending == 1  # the admin holds no index key: the owner's next sign-in makes the tokens
        assert tokens == (0,)
        officer = fresh.login("off1", PASSWORD)
        assert fresh.open_record(officer, record_id).answers == SECRET
        assert [r.id for r in fresh.list_records(officer, search="lucja")] == [record_id]
        with fresh.read() as conn:
            assert conn.execute(
                "SELECT index_pending FROM records WHERE id = ?", (record_id,)
            ).fetchone() == (0,)
        supervisor = fresh.login("sup1", PASSWORD)
        assert fresh.open_record(supervisor, record_id, justification="review").answers == SECRET
    finally:
        fresh.close()


def test_a_disabled_officer_loses_nothing_and_reads_nothing(station: Station) -> None:
    store = station.store
    record_id = store.create_record(station["off1"], station.spec, SECRET).id
    store.disable_user(station[ADMIN], "off1")
    with pytest.raises(AuthenticationFailed, match="disabled"):
        store.login("off1", PASSWORD)
    assert keys.KeyFile.load(station.path).unwrap_user("off1", PASSWORD) is None  # no database key either
    conn = attacker.connect(station.path, _db_key(station.path, "sup1", PASSWORD))
    try:
        assert attacker.readable_parts(conn, record_id, attacker.keys_of(conn, "off1", PASSWORD)) == []
        assert (
            attacker.answers_in(
                attacker.readable_parts(conn, record_id, attacker.keys_of(conn, "sup1", PASSWORD))
            )
            == SECRET
        )  # nothing lost
    finally:
        conn.close()
    # a reset enables the account again, with new keys; a supervisor's sign-in gives the records back
    store.reset_password(station[ADMIN], "off1", "welcome back again", PASSWORD)
    back = store.login("off1", "welcome back again")
    station.sessions.pop("sup1", None)
    station["sup1"]
    assert store.open_record(back, record_id).answers == SECRET


def test_a_record_made_after_a_reset_is_in_the_officers_own_search_at_their_next_sign_in(
    station: Station,
) -> None:
    """A window still signed in with the retired key pair (the admin reset the password meanwhile)
    holds only the officer's old index key: a record it makes is left pending rather than indexed
    under that key, and the officer's next sign-in indexes it under their current key. Searches use
    the user's newest session, whose keys are the current ones."""
    from dsvdesk.store import keyring

    store = station.store
    before = station["off1"]
    store.reset_password(station[ADMIN], "off1", "the admin knows this", PASSWORD)
    ref = store.create_record(before, station.spec, {"victim_name": "Newbie Quillon"})
    after = store.login("off1", "the admin knows this")
    assert keyring.session_for_user(station.path, after.user.id) == after
    assert [r.id for r in store.list_records(after, search="quillon")] == [ref.id]
    with store.read() as conn:
        assert conn.execute("SELECT index_pending FROM records WHERE id = ?", (ref.id,)).fetchone() == (0,)


def test_a_session_keeps_a_bounded_number_of_ciphers_and_opened_rows(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrolling every record opens each one's key once, but only the most recent ciphers (2.5 KB of
    AES-GCM state each) and opened list values stay in memory; the rest open again when shown."""
    from dsvdesk.store import keyring, sealed

    monkeypatch.setattr(keyring, "CIPHERS_KEPT", 2)
    monkeypatch.setattr(sealed, "OPENED_VALUES_KEPT", 3)
    monkeypatch.setattr(sealed, "LIST_ROWS_KEPT", 3)
    store, off1 = station.store, station["off1"]
    names = [f"Person{n} Boundfield" for n in range(6)]
    for name in names:
        store.create_record(off1, station.spec, {"victim_name": name})
    for _ in range(2):
        rows = store.list_records(off1, sort="created_at", descending=False)
        assert [r.victim_name for r in rows] == names
        assert [r.columns["victim_name"] for r in rows] == names
    held = keyring.held_keys(station.path, off1)
    assert held is not None and len(held.ciphers) <= 2 and len(held.opened_values) <= 3
    assert len(held.list_rows) <= 3


def test_a_list_row_read_again_unchanged_is_the_row_built_before_and_a_changed_one_is_new(
    station: Station,
) -> None:
    """open_list_rows keeps the rows it built for the session (sealed.LIST_ROWS_KEPT): a page read again
    exactly as it was gives the same RecordRows; a saved record (new version, new ciphertext) or an
    owner's new name reads as a new row, with what changed."""
    store, off1 = station.store, station["off1"]
    refs = [store.create_record(off1, station.spec, {"victim_name": n}) for n in ("Ada", "Bea", "Cy")]

    def page() -> list[Any]:
        return store.list_records(off1, sort="created_at", descending=False)

    first = page()
    again = page()
    assert [r.victim_name for r in again] == ["Ada", "Bea", "Cy"]
    assert all(a is b for a, b in zip(first, again, strict=True))
    store.save_answer(off1, refs[1].id, "victim_name", "Bex", 1)
    changed = page()
    assert [r.victim_name for r in changed] == ["Ada", "Bex", "Cy"]
    assert changed[0] is first[0] and changed[2] is first[2] and changed[1] is not first[1]
    assert changed[1].version == first[1].version + 1
    with store.transaction() as conn:  # anything read differently (here the owner's name) is a new row
        conn.execute("UPDATE users SET full_name = 'Olive Renamed' WHERE username = 'off1'")
    renamed = page()
    assert {r.owner_name for r in renamed} == {"Olive Renamed"}
    assert not any(a is b for a, b in zip(changed, renamed, strict=True))


def test_sorting_by_a_sealed_name_opens_each_record_once_and_follows_changes(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsvdesk.store import sealing

    store, off1 = station.store, station["off1"]
    refs = [store.create_record(off1, station.spec, {"victim_name": n}) for n in ("Cole", "ada", "Bea")]
    store.create_record(off1, station.spec, {"statement": "no name yet"})
    opened: list[bytes] = []
    real_open = sealing.BatchOpener.open
    monkeypatch.setattr(
        sealing.BatchOpener,
        "open",
        lambda self, key, blob, aad: opened.append(aad) or real_open(self, key, blob, aad),
    )

    def names() -> list[str | None]:
        return [r.victim_name for r in store.list_records(off1, sort="victim_name", descending=False)]

    assert names() == [None, "ada", "Bea", "Cole"]
    first = len(opened)
    assert names() == [None, "ada", "Bea", "Cole"]
    assert len(opened) == first  # nothing opened again: the names and the page rows are cached
    store.save_answer(off1, refs[1].id, "victim_name", "Zed", 1)
    assert names() == [None, "Bea", "Cole", "Zed"]


def test_a_name_order_made_by_a_worker_serves_the_sorts_and_follows_other_connections(
    station: Station, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The app makes the session's name order on a worker's own Store right after sign-in; the UI's
    Store then sorts every page without opening a name, and a name changed through another connection
    is opened again (that record only). Nothing of the order reaches the database or the log."""
    import logging

    from dsvdesk.store import sealed

    caplog.set_level(logging.DEBUG)
    store, off1 = station.store, station["off1"]
    names = ["Cole", "ada", "Łucja", "Bea", "Lucy"]
    refs = [store.create_record(off1, station.spec, {"victim_name": n}) for n in names]
    with store.read() as conn:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    worker = Store.open(station.path)
    try:
        assert worker.prepare_name_order(off1, "victim_name", owner=off1.user.id) == 5
        assert worker.prepare_name_order(off1, "victim_name", owner=off1.user.id) == 0  # held already
    finally:
        worker.close()
    asked: list[int] = []
    real = sealed.SealOps._open_names
    monkeypatch.setattr(
        sealed.SealOps,
        "_open_names",
        lambda self, conn, held, order, seqs: asked.extend(seqs) or real(self, conn, held, order, seqs),
    )

    def page(offset: int, descending: bool = False) -> list[str | None]:
        rows = store.list_records(
            off1, owner=off1.user.id, sort="victim_name", descending=descending, offset=offset, limit=2
        )
        return [r.victim_name for r in rows]

    assert [*page(0), *page(2), *page(4)] == ["ada", "Bea", "Cole", "Łucja", "Lucy"]
    assert page(0, descending=True) == ["Lucy", "Łucja"]
    assert asked == []  # every name came from the order the worker made
    other = Store.open(station.path)  # another connection (another window, the CLI) renames one
    try:
        other.save_answer(off1, refs[1].id, "victim_name", "Zed", 1)
    finally:
        other.close()
    assert [*page(0), *page(2), *page(4)] == ["Bea", "Cole", "Łucja", "Lucy", "Zed"]
    with store.read() as conn:
        seq = conn.execute("SELECT seq FROM records WHERE id = ?", (refs[1].id,)).fetchone()[0]
        assert conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == schema
        assert conn.execute("SELECT count(*) FROM sqlite_temp_master").fetchone()[0] == 0
    assert asked == [seq]  # that record alone was opened again
    # as words: a record id's hex may hold "ada" (36ada7ad-...)
    assert not any(re.search(rf"\b{re.escape(name)}\b", caplog.text) for name in (*names, "Zed"))


def test_another_stores_first_sort_by_name_reads_no_stamp_until_a_record_changes(station: Station) -> None:
    """The order the worker made (and My forms sorted by it) serves the first sort by name of the
    session's other Stores (the UI's, a fresh one) without reading the filter's seqs or any record's
    stamp while no connection has committed since (db.ChangeWatcher). After a save, through another
    connection or the sorting Store's own, the next first sort checks again: it is never stale."""
    store, off1 = station.store, station["off1"]
    refs = [store.create_record(off1, station.spec, {"victim_name": n}) for n in ("Cole", "ada", "Bea")]
    worker = Store.open(station.path)
    try:
        assert worker.prepare_name_order(off1, owner=off1.user.id) == 3
    finally:
        worker.close()

    def first_sort(descending: bool = False) -> tuple[list[str | None], list[str]]:
        fresh = Store.open(station.path)
        statements: list[str] = []
        try:
            with fresh.read() as conn:
                conn.set_trace_callback(statements.append)
            rows = fresh.list_records(off1, owner=off1.user.id, sort="victim_name", descending=descending)
        finally:
            fresh.close()
        checks = [s for s in statements if "json_group_array" in s or "sum(version)" in s]
        return [r.victim_name for r in rows], checks

    assert first_sort() == (["ada", "Bea", "Cole"], [])
    assert first_sort(descending=True) == (["Cole", "Bea", "ada"], [])
    other = Store.open(station.path)  # another connection renames one
    try:
        other.save_answer(off1, refs[1].id, "victim_name", "Zed", 1)
    finally:
        other.close()
    names, checks = first_sort()
    assert names == ["Bea", "Cole", "Zed"] and checks  # the seqs and the digest read again
    assert first_sort() == (["Bea", "Cole", "Zed"], [])  # nothing committed since: served as sorted
    store.save_answer(off1, refs[0].id, "victim_name", "Abe", 1)  # the UI's own Store saves
    names, checks = first_sort()
    assert names == ["Abe", "Bea", "Zed"] and checks
    assert [r.victim_name for r in store.list_records(off1, sort="victim_name", descending=False)] == names


def test_a_name_order_made_with_its_first_rows_lets_the_first_page_by_name_open_nothing(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare_name_order(first_rows=n) also opens the list values of the first n records in name order
    each way: the first page of a sort by the name, either way, then opens no sealed value; a page
    further on opens its own rows as before."""
    from dsvdesk.store import sealing

    store, off1 = station.store, station["off1"]
    names = ["Cole", "ada", "Bea", "Dina", "Eve", "Fay"]
    for name in names:
        store.create_record(off1, station.spec, {"victim_name": name})
    worker = Store.open(station.path)
    try:
        assert worker.prepare_name_order(off1, owner=off1.user.id, first_rows=2) == len(names)
    finally:
        worker.close()
    opened: list[bytes] = []
    real_open = sealing.BatchOpener.open
    monkeypatch.setattr(
        sealing.BatchOpener,
        "open",
        lambda self, key, blob, aad: opened.append(aad) or real_open(self, key, blob, aad),
    )

    def page(descending: bool, offset: int = 0) -> list[str | None]:
        rows = store.list_records(
            off1, owner=off1.user.id, sort="victim_name", descending=descending, offset=offset, limit=2
        )
        return [r.victim_name for r in rows]

    assert page(descending=False) == ["ada", "Bea"]
    assert page(descending=True) == ["Fay", "Eve"]
    assert opened == []
    assert page(descending=False, offset=2) == ["Cole", "Dina"]
    assert len(opened) == 2


def test_a_name_order_opened_in_one_pass_over_a_seq_range_matches_one_opened_by_seq(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build over most of a seq range reads records_sealed_names in one pass (batches of
    _NAME_BATCH); a few records are read by seq. Both give the same order."""
    from dsvdesk.store import sealed

    store, off1 = station.store, station["off1"]
    names = ["Oona", "élodie", "Bram", None, "Ćwik", "anna", "Zoltán"]
    for name in names:
        store.create_record(off1, station.spec, {"victim_name": name} if name else {})
    monkeypatch.setattr(sealed, "_NAME_BATCH", 1)  # 7 records: "many" for the range pass
    worker = Store.open(station.path)
    try:
        assert worker.prepare_name_order(off1, owner=off1.user.id) == len(names)
    finally:
        worker.close()
    rows = store.list_records(off1, owner=off1.user.id, sort="victim_name", descending=False)
    assert [r.victim_name for r in rows] == [None, "anna", "Bram", "Ćwik", "élodie", "Oona", "Zoltán"]
