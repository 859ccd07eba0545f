"""Key material for sealed records (issue 15): the crypto of wraps, content and blind indexes; users'
encryption key pairs, the escrow key, index keys and their wraps; resets that give access to nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.store import Store, sealing
from dsvdesk.store.bulk import SearchRows
from dsvdesk.store.search import fold
from tests.unit.store.conftest import ADMIN, PASSWORD, Station

SUBJECT = sealing.key_subject(7)


# ------------------------------------------------------------------------------------------- crypto
def test_a_wrap_opens_only_for_its_recipient_and_its_subject() -> None:
    alice, bob = sealing.new_key_pair(), sealing.new_key_pair()
    key = sealing.random_key()
    wrapper = sealing.Wrapper()
    epk, wrapped = wrapper.wrap(key, alice.public, SUBJECT)
    assert sealing.Unwrapper(alice.private).unwrap(epk, wrapped, SUBJECT) == key
    with pytest.raises(sealing.SealBroken):
        sealing.Unwrapper(bob.private).unwrap(epk, wrapped, SUBJECT)
    with pytest.raises(sealing.SealBroken):  # moved onto another key's row
        sealing.Unwrapper(alice.private).unwrap(epk, wrapped, sealing.key_subject(8))
    # one ephemeral key per recipient and batch; every wrap has its own nonce
    epk2, wrapped2 = wrapper.wrap(key, alice.public, SUBJECT)
    assert epk2 == epk and wrapped2 != wrapped


def test_content_is_bound_to_record_revision_and_part() -> None:
    cipher = sealing.Cipher(sealing.random_key())
    blob = cipher.seal(b'{"victim": "Zo\xc3\xab"}', sealing.content_aad("r1", 1, "answers"))
    assert cipher.open(blob, sealing.content_aad("r1", 1, "answers")) == b'{"victim": "Zo\xc3\xab"}'
    for aad in (
        sealing.content_aad("r2", 1, "answers"),
        sealing.content_aad("r1", 2, "answers"),
        sealing.content_aad("r1", 1, "columns"),
    ):
        with pytest.raises(sealing.SealBroken):
            cipher.open(blob, aad)
    with pytest.raises(sealing.SealBroken):
        sealing.Cipher(sealing.random_key()).open(blob, sealing.content_aad("r1", 1, "answers"))


def test_private_key_opens_only_with_the_password_secret_and_user() -> None:
    pair = sealing.new_key_pair()
    blob = sealing.seal_private(pair.private, b"s" * 32, 5)
    assert sealing.open_private(blob, b"s" * 32, 5) == pair.private
    assert sealing.public_of(pair.private) == pair.public
    with pytest.raises(sealing.SealBroken):
        sealing.open_private(blob, b"t" * 32, 5)
    with pytest.raises(sealing.SealBroken):
        sealing.open_private(blob, b"s" * 32, 6)


_NAME = st.text(alphabet="abcŁłØøßÆæzoëéŻż ", min_size=1, max_size=20).filter(lambda t: t.strip())


@given(name=_NAME, cut=st.integers(min_value=1, max_value=30))
def test_a_query_word_matches_every_word_it_starts_after_folding(name: str, cut: int) -> None:
    key = b"k" * 32
    indexed = sealing.index_tokens(key, [name])
    for word in sealing.words(name):
        (query,) = sealing.query_tokens(key, word[:cut])
        assert query in indexed
    # the same words under another key share no token
    assert not indexed & sealing.index_tokens(b"j" * 32, [name])


def test_folding_is_kept_lucja_finds_lucja_and_orsted_finds_orsted() -> None:
    key = b"k" * 32
    indexed = sealing.index_tokens(key, ["Łucja Ørsted-Straße"])
    for query in ("lucja", "ŁUC", "orsted", "strasse", "stra"):
        assert set(sealing.query_tokens(key, query)) <= indexed, query
    assert not set(sealing.query_tokens(key, "nowak")) & indexed
    assert sealing.words("Łucja") == [fold("Łucja")]


@given(key=st.binary(max_size=130), message=st.binary(max_size=300))
def test_a_keyed_digest_is_hmac_sha256(key: bytes, message: bytes) -> None:
    """sealing.Keyed (the bulk load's tokens and victim keys) gives hmac.digest's bytes, so a bulk
    record's tokens are the ones a search under the same key makes."""
    import hmac

    keyed = sealing.Keyed(key)
    assert keyed.digest(message) == hmac.digest(key, message, "sha256")
    assert keyed.digest(message) == keyed.digest(message)  # the key's states are copied, not spent
    assert sealing.token(keyed, "smi") == sealing.token(key, "smi")
    assert sealing.victim_key(keyed, "nowak anna|1990-01-02") == sealing.victim_key(
        key, "nowak anna|1990-01-02"
    )


def test_victim_key_is_keyed() -> None:
    assert sealing.victim_key(b"a" * 32, "nowak anna|1990-01-02") != sealing.victim_key(
        b"b" * 32, "nowak anna|1990-01-02"
    )
    assert sealing.victim_key(b"a" * 32, None) is None


# ------------------------------------------------------------------------------------------- store
def _keys_of(store: Store, username: str) -> list[tuple[int, bytes, bytes | None, str | None]]:
    with store.read() as conn:
        return [
            (int(r[0]), bytes(r[1]), None if r[2] is None else bytes(r[2]), r[3])
            for r in conn.execute(
                "SELECT k.id, k.public_key, k.private_sealed, k.retired_at FROM enc_keys k "
                "JOIN users u ON u.id = k.user_id WHERE u.username = ? ORDER BY k.id",
                (username,),
            )
        ]


def _wrapped_for(store: Store, key_id: int) -> set[int]:
    with store.read() as conn:
        return {
            int(r[0]) for r in conn.execute("SELECT key_id FROM key_wraps WHERE recipient = ?", (key_id,))
        }


def _index_key_ids(store: Store, username: str) -> set[int]:
    with store.read() as conn:
        return {
            int(r[0])
            for r in conn.execute(
                "SELECT s.id FROM sealed_keys s JOIN users u ON u.id = s.user_id "
                "WHERE s.kind = 'user_index' AND u.username = ?",
                (username,),
            )
        }


def test_sign_in_gives_officers_and_supervisors_a_key_pair_and_admins_none(station: Station) -> None:
    station["off1"]
    station["sup1"]
    station[ADMIN]
    (officer_key,) = _keys_of(station.store, "off1")  # made when the account was added
    assert officer_key[2] is not None and officer_key[3] is None  # private part sealed, current
    assert PASSWORD.encode() not in officer_key[2]
    assert len(_keys_of(station.store, "sup1")) == 1
    assert _keys_of(station.store, ADMIN) == []
    with station.store.read() as conn:
        assert conn.execute("SELECT count(*) FROM enc_keys WHERE user_id IS NULL").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM sealed_keys WHERE kind = 'station_index'").fetchone() == (
            1,
        )


def test_index_keys_are_wrapped_for_their_user_supervisors_and_escrow_never_admin(station: Station) -> None:
    station["sup1"]
    station["off1"]
    off1_index = _index_key_ids(station.store, "off1")
    assert len(off1_index) == 1
    (off1_key,) = _keys_of(station.store, "off1")
    (sup1_key,) = _keys_of(station.store, "sup1")
    assert off1_index <= _wrapped_for(station.store, off1_key[0])
    assert off1_index <= _wrapped_for(station.store, sup1_key[0])
    with station.store.read() as conn:
        (escrow_id,) = conn.execute("SELECT id FROM enc_keys WHERE user_id IS NULL").fetchone()
    assert off1_index <= _wrapped_for(station.store, int(escrow_id))
    # an officer holds no wrap of another officer's or of the station's index key
    station["off2"]
    assert not _index_key_ids(station.store, "off2") & _wrapped_for(station.store, off1_key[0])


def test_a_supervisor_added_later_gets_wraps_at_an_existing_supervisors_sign_in(station: Station) -> None:
    station["sup1"]
    station["off1"]  # off1's sign-in wraps its index key for the supervisors there are
    station.store.add_user(station[ADMIN], "sup3", "supervisor", "Sue Later", "2003", PASSWORD, PASSWORD)
    (sup3_key,) = _keys_of(station.store, "sup3")  # a key pair from the start; nothing wrapped for it yet
    assert not _index_key_ids(station.store, "off1") & _wrapped_for(station.store, sup3_key[0])
    station.sessions.pop("sup1")
    station["sup1"]  # an existing supervisor signs in: the wraps sup3 lacks are made, and logged
    assert _index_key_ids(station.store, "off1") <= _wrapped_for(station.store, sup3_key[0])
    with station.store.read() as conn:
        (detail,) = conn.execute(
            "SELECT detail FROM audit_events WHERE event = 'keys_rewrapped' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert json.loads(detail)["wraps"] >= 1 and sup3_key[0] in json.loads(detail)["recipient_keys"]


def test_a_password_reset_retires_the_key_pair_and_tells_the_user(station: Station) -> None:
    station["sup1"]
    first = station["off1"]
    assert first.notice is None
    (old_key,) = _keys_of(station.store, "off1")
    station.store.reset_password(station[ADMIN], "off1", "brand new password", PASSWORD)
    retired = _keys_of(station.store, "off1")[0]
    assert retired[2] is None and retired[3] is not None  # private part gone: nothing wrapped for it opens
    assert _wrapped_for(station.store, old_key[0]) == set()
    again = station.store.login("off1", "brand new password")
    assert again.notice is not None and "Ada Admin (admin)" in again.notice and "reset" in again.notice
    current = [k for k in _keys_of(station.store, "off1") if k[3] is None]  # a new pair, made at the reset
    assert len(current) == 1 and current[0][1] != old_key[1]
    # told once
    assert station.store.login("off1", "brand new password").notice is None


def test_a_password_change_keeps_the_key_pair(station: Station) -> None:
    session = station["off1"]
    (before,) = _keys_of(station.store, "off1")
    station.store.change_password(session, PASSWORD, "another good password")
    station.store.login("off1", "another good password")
    (after,) = _keys_of(station.store, "off1")
    assert after[0] == before[0] and after[1] == before[1] and after[3] is None
    assert after[2] != before[2]  # sealed again under the new password


def test_escrow_private_part_stays_out_of_the_database_and_opens_every_index_key(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Trial", ADMIN, "Ada Admin", PASSWORD)
        escrow_private = store.take_escrow_private()
        assert escrow_private is not None and store.take_escrow_private() is None
        admin = store.login(ADMIN, PASSWORD)
        store.add_user(admin, "off1", "officer", "Olive Officer", "1", PASSWORD, PASSWORD)
        store.login("off1", PASSWORD)
        assert store.escrow_public() == sealing.public_of(escrow_private)
        with store.read() as conn:
            rows = conn.execute(
                "SELECT w.key_id, e.public_key, w.wrapped FROM key_wraps w JOIN wrap_ephemerals e "
                "ON e.id = w.ephemeral JOIN enc_keys k ON k.id = w.recipient WHERE k.user_id IS NULL"
            ).fetchall()
    assert rows
    opener = sealing.Unwrapper(escrow_private)
    for key_id, epk, wrapped in rows:
        assert len(opener.unwrap(bytes(epk), bytes(wrapped), sealing.key_subject(int(key_id)))) == 32
    assert escrow_private not in path.read_bytes()


def test_init_takes_the_force_escrow_public_key(tmp_path: Path) -> None:
    pair = sealing.new_key_pair()
    with Store.open(tmp_path / "s.sqlite3", create=True) as store:
        store.init_station(
            "Trial", ADMIN, "Ada Admin", PASSWORD, escrow_public=sealing.public_pem(pair.public)
        )
        assert store.take_escrow_private() is None
        store.login(ADMIN, PASSWORD)
        assert store.escrow_public() == pair.public


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dsvdesk", *args], capture_output=True, text=True, env=env, check=False
    )


def test_cli_escrow_init_then_station_init_with_its_public_key(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DSVDESK_CA_PASSPHRASE": "a long force passphrase", "DSVDESK_PASSWORD": PASSWORD}
    made = _cli("ca", "escrow-init", "--dir", str(tmp_path / "escrow"), env=env)
    assert made.returncode == 0, made.stderr
    assert "Fingerprint" in made.stdout
    public = tmp_path / "escrow" / "escrow_public.pem"
    private = sealing.load_private_pem(
        (tmp_path / "escrow" / "escrow_private.pem").read_bytes(), b"a long force passphrase"
    )
    db = tmp_path / "station.sqlite3"
    init = _cli(
        "init",
        "--station",
        "Trial",
        "--admin",
        "boss",
        "--escrow-public",
        str(public),
        "--db",
        str(db),
        env=env,
    )
    assert init.returncode == 0, init.stderr
    assert "No force escrow key" not in init.stdout
    with Store.open(db) as store:
        store.login("boss", PASSWORD)
        assert store.escrow_public() == sealing.public_of(private)
    # a file that is not an escrow public key: one sentence, its own exit code, nothing made
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key", encoding="utf-8")
    refused = _cli(
        "init",
        "--station",
        "T",
        "--admin",
        "boss",
        "--escrow-public",
        str(bad),
        "--db",
        str(tmp_path / "x.db"),
        env=env,
    )
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "not an escrow public key" in refused.stderr
    assert not (tmp_path / "x.db").exists()


# ------------------------------------------------------- wrap marks (issue 22: sign-in at 100,000)
def _marks(store: Store) -> dict[int, tuple[int, int]]:
    with store.read() as conn:
        return {int(r[0]): (int(r[1]), int(r[2])) for r in conn.execute("SELECT * FROM wrap_watermarks")}


def _top_key(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute("SELECT max(id) FROM sealed_keys").fetchone()[0])


def test_a_complete_check_marks_each_recipient_up_to_the_newest_key(station: Station) -> None:
    station["sup1"]
    station["off1"]
    station["off2"]  # every account has keys from the start: off2 wraps its index key for the supervisors
    station.sessions.pop("sup1")
    station["sup1"]
    (off1_key,) = _keys_of(station.store, "off1")
    (sup1_key,) = _keys_of(station.store, "sup1")
    with station.store.read() as conn:
        (off1_id,) = conn.execute("SELECT id FROM users WHERE username = 'off1'").fetchone()
    marks = _marks(station.store)
    top = _top_key(station.store)
    assert marks[sup1_key[0]] == (0, top)  # a supervisor: every key
    assert marks[off1_key[0]] == (int(off1_id), top)  # an officer: their own keys


def test_keys_made_after_the_mark_are_still_wrapped_for_a_supervisor_added_later(station: Station) -> None:
    station["sup1"]
    station["off1"]
    station.sessions.pop("sup1")
    station["sup1"]  # every recipient marked complete
    station["sup2"]  # a new recipient (no mark) ...
    station["off2"]  # ... and a key made after the marks (off2's index key)
    station.sessions.pop("sup1")
    station["sup1"]
    (sup2_key,) = _keys_of(station.store, "sup2")
    wanted = _index_key_ids(station.store, "off1") | _index_key_ids(station.store, "off2")
    assert wanted <= _wrapped_for(station.store, sup2_key[0])
    station.sessions.pop("sup2")
    station["sup2"]  # the next check finds sup2 complete and marks it
    assert _marks(station.store)[sup2_key[0]] == (0, _top_key(station.store))


def test_an_officer_made_supervisor_is_checked_for_every_key_not_from_the_old_mark(station: Station) -> None:
    station["sup1"]
    station["off1"]
    station["off2"]  # every account has keys from the start: off2 wraps its index key for the supervisors
    station.sessions.pop("sup1")
    station["sup1"]
    (off1_key,) = _keys_of(station.store, "off1")
    sup1_index = _index_key_ids(station.store, "sup1")
    assert not sup1_index & _wrapped_for(station.store, off1_key[0])
    station.store.set_role(station[ADMIN], "off1", "supervisor", PASSWORD)
    station.sessions.pop("sup1")
    station["sup1"]  # off1's mark was for an officer's keys: now every key is counted, and wrapped
    assert sup1_index <= _wrapped_for(station.store, off1_key[0])
    station.sessions.pop("sup1")
    station["sup1"]  # found complete now: marked as a supervisor's
    assert _marks(station.store)[off1_key[0]] == (0, _top_key(station.store))


def test_a_reused_key_id_or_a_new_owner_sends_the_check_back(station: Station) -> None:
    """A key made with an id at or below a mark moves the mark below it; a record given to another
    owner drops that owner's mark; a retired key pair loses its mark with its wraps."""
    station["sup1"]
    station["off1"]
    station["off2"]
    station.sessions.pop("sup1")
    station["sup1"]
    (off1_key,) = _keys_of(station.store, "off1")
    with station.store.read() as conn:
        (off1_id,) = conn.execute("SELECT id FROM users WHERE username = 'off1'").fetchone()
        (off2_id,) = conn.execute("SELECT id FROM users WHERE username = 'off2'").fetchone()
    top = _top_key(station.store)
    with station.store.transaction() as conn:
        conn.execute("DELETE FROM sealed_keys WHERE id = ?", (top,))
        conn.execute(
            "INSERT INTO sealed_keys (id, kind, user_id, created_at) VALUES (?, 'user_index', ?, 't')",
            (top, off1_id),
        )
    assert {mark for _scope, mark in _marks(station.store).values()} == {top - 1}
    ref = station.store.create_record(station["off1"], station.spec)
    assert any(scope == int(off2_id) for scope, _mark in _marks(station.store).values())
    with station.store.transaction() as conn:
        conn.execute("UPDATE records SET owner_id = ? WHERE id = ?", (int(off2_id), ref.id))
    assert all(scope != int(off2_id) for scope, _mark in _marks(station.store).values())
    station.store.reset_password(station[ADMIN], "off1", "N3w-passphrase-long!", PASSWORD)
    assert off1_key[0] not in _marks(station.store)


@given(names=st.lists(_NAME, min_size=1, max_size=5))
def test_a_token_memo_makes_the_same_tokens(names: list[str]) -> None:
    key, memo = b"k" * 32, {}
    for name in names:
        assert sealing.index_tokens(key, [name], memo) == sealing.index_tokens(key, [name])


@given(records=st.lists(st.lists(_NAME, max_size=4), min_size=1, max_size=5))
def test_a_bulk_loads_search_rows_are_the_tokens_a_save_makes(records: list[list[str]]) -> None:
    """The bulk load makes each word's tokens once and hands the rows to SQLite as JSON text: they
    are the tokens of ``index_tokens`` for every record, whatever words the records share."""
    key = b"k" * 32
    rows = SearchRows(key)
    for seq, texts in enumerate(records, start=1):
        # the first texts as names (kept whole), the rest as references (met once)
        entries = json.loads("[" + rows.entries(texts[:2], seq, once=texts[2:]) + "]")
        assert all(entry.endswith(str(seq)) for entry in entries)
        made = [bytes.fromhex(entry[: 2 * sealing.TOKEN_BYTES]) for entry in entries]
        assert len(made) == len(set(made))
        assert frozenset(made) == sealing.index_tokens(key, texts)
