"""Sealed records (issue 15): the cryptography of per-record content keys, their wraps and the keyed
blind indexes. No SQL here (``keyring.py`` and the record store use it); ``cryptography`` is imported
on first use, as in ``pki.py``.

**Key pairs: X25519** (``cryptography``), not RSA-OAEP. A record's content key is wrapped for its
author, every supervisor and the force's escrow key, and opened again on every list page and every
read: X25519 makes a key pair in ~50 µs (RSA-2048: ~100 ms at every account created or reset), and an
unwrap is one AES-GCM decryption once the recipient's shared secret with a sender's ephemeral key is
known (RSA-OAEP: ~1 ms of private-key work per record, 100 s for a supervisor's 100,000 records).
Public keys are 32 bytes.

**A wrap** (ECIES in the style of HPKE's base mode, with the sender's ephemeral key reused over a
batch): the sender makes an ephemeral X25519 key ``e`` per recipient and per batch (one Store's
writes, one bulk load, one sign-in's re-wraps); ``kek = HKDF-SHA256(X25519(e, R), info =
"dsvdesk-wrap-1" || e_pub || R_pub)``; the wrap is ``nonce (12) || AES-256-GCM(kek, nonce, key,
aad = subject)``, stored with a reference to ``e_pub``. The subject names what is wrapped (``record
key 17``), so a wrap cannot be moved onto another key. Reusing ``e`` over a batch is safe (a random
96-bit nonce per wrap, far below 2**32 wraps per kek) and makes both sides cheap: one X25519 per
(batch, recipient), then one AES-GCM per wrap.

**Content**: ``nonce (12) || AES-256-GCM(content_key, nonce, plaintext, aad = "<record id>|<revision>|
<part>")``: a blob moved to another record, revision or column does not open.

**Blind index tokens**: ``HMAC-SHA256(index_key, "t|" + prefix)[:10]`` (raw bytes) for every prefix
(1 to ``PREFIX_CHARS`` characters) of every word of the folded text (``search.fold``: Ł/Ø/ß spelled
out, accents dropped, case folded), so a query word matches a word starting with it, under a key only
the people who may read the record hold. A record's tokens are rows ``(token, seq)`` of the
``search_tokens`` table (migration 0022): exact matches, so no full-text index is needed. The Part A
repeat key is ``HMAC-SHA256(station_index_key, "v|" + search.person_key(name, dob))`` in hex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dsvdesk.store.search import fold

KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX_CHARS = 16  # longer query words match on their first 16 characters
_WRAP_INFO = b"dsvdesk-wrap-1"
_PRIVATE_INFO = b"dsvdesk-encryption-key-1"


class SealBroken(Exception):
    """A sealed blob or wrap that does not open with the key given (wrong key, moved or altered)."""


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _aesgcm(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _hkdf(secret: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret)


# --------------------------------------------------------------------------------------- content
class Cipher:
    """AES-256-GCM under one key (a record's content key), made once and reused."""

    __slots__ = ("_aead", "_random")

    def __init__(self, key: bytes, random: Callable[[int], bytes] = os.urandom) -> None:
        """``random(n)``: n bytes from the OS's CSPRNG for each nonce (a bulk load passes its own
        buffered reader of ``os.urandom``: one system call per 64 KiB rather than one per nonce)."""
        self._aead = _aesgcm(key)
        self._random = random

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = self._random(NONCE_BYTES)
        return nonce + bytes(self._aead.encrypt(nonce, plaintext, aad))

    def open(self, blob: bytes, aad: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        data = bytes(blob)
        try:
            return bytes(self._aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], aad))
        except (InvalidTag, ValueError):
            raise SealBroken("sealed data does not open with this key") from None


def content_aad(record_id: str, revision: int, part: str) -> bytes:
    """What a content blob is bound to: the record, its revision and the part (answers, columns ...)."""
    return f"{record_id}|{int(revision)}|{part}".encode()


def key_subject(key_id: int) -> bytes:
    """What a wrap is bound to: the sealed key's row id (record content keys and index keys alike)."""
    return f"dsvdesk sealed key {int(key_id)}".encode()


# --------------------------------------------------------------------------------------- key pairs
@dataclass(frozen=True, slots=True)
class KeyPair:
    private: bytes  # raw X25519 private key, 32 bytes
    public: bytes  # raw X25519 public key, 32 bytes


def new_key_pair() -> KeyPair:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    key = X25519PrivateKey.generate()
    return KeyPair(private=_raw_private(key), public=_raw_public(key.public_key()))


def _raw_private(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    )


def _raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_of(private: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return _raw_public(X25519PrivateKey.from_private_bytes(private).public_key())


def private_key_secret(password_secret: bytes) -> bytes:
    """The AES key that encrypts a user's private encryption key, from the scrypt secret the user's
    password gives with their ``key_salt`` (the same derivation that unlocks the signing key, so a
    sign-in pays for one scrypt, not two)."""
    return _hkdf(password_secret, _PRIVATE_INFO)


def seal_private(private: bytes, password_secret: bytes, user_id: int) -> bytes:
    return Cipher(private_key_secret(password_secret)).seal(private, _private_aad(user_id))


def open_private(blob: bytes, password_secret: bytes, user_id: int) -> bytes:
    return Cipher(private_key_secret(password_secret)).open(blob, _private_aad(user_id))


def _private_aad(user_id: int) -> bytes:
    return f"dsvdesk user encryption key {int(user_id)}".encode()


# --------------------------------------------------------------------------------------- PEM files
def public_pem(public: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    key = X25519PublicKey.from_public_bytes(public)
    return bytes(
        key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def load_public_pem(data: bytes) -> bytes:
    """The raw key of an X25519 public key PEM; ``ValueError`` for anything else."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    try:
        key = serialization.load_pem_public_key(bytes(data))
    except (ValueError, TypeError) as exc:
        raise ValueError("not a PEM public key") from exc
    if not isinstance(key, X25519PublicKey):
        raise ValueError("not an X25519 public key")  # noqa: TRY004 - callers catch ValueError for any bad file
    return _raw_public(key)


def private_pem(private: bytes, passphrase: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    key = X25519PrivateKey.from_private_bytes(private)
    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
    )


def load_private_pem(data: bytes, passphrase: bytes) -> bytes:
    """The raw X25519 private key of an encrypted PKCS#8 PEM; ``ValueError`` for a wrong passphrase or
    another kind of key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    try:
        key = serialization.load_pem_private_key(bytes(data), password=passphrase)
    except (ValueError, TypeError) as exc:
        raise ValueError("the key does not open with this passphrase") from exc
    if not isinstance(key, X25519PrivateKey):
        raise ValueError("not an X25519 private key")  # noqa: TRY004 - callers catch ValueError for any bad file
    return _raw_private(key)


def fingerprint(public: bytes) -> str:
    """SHA-256 of a raw public key, first 16 bytes in hex pairs (what `ca escrow-init` prints)."""
    digest = hashlib.sha256(public).hexdigest()[:32].upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


# --------------------------------------------------------------------------------------- wraps
class Wrapper:
    """Wraps keys for recipients' public keys: one ephemeral key per recipient for this object's life
    (a batch), so a wrap costs one AES-GCM encryption after the first."""

    def __init__(self, random: Callable[[int], bytes] = os.urandom) -> None:
        self._per_recipient: dict[bytes, tuple[bytes, Cipher]] = {}
        self._random = random  # the nonces' source (see Cipher)

    def _for(self, recipient: bytes) -> tuple[bytes, Cipher]:
        entry = self._per_recipient.get(recipient)
        if entry is None:
            from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

            ephemeral = X25519PrivateKey.generate()
            epk = _raw_public(ephemeral.public_key())
            shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
            entry = (epk, Cipher(_hkdf(shared, _WRAP_INFO + epk + recipient), self._random))
            self._per_recipient[recipient] = entry
        return entry

    def wrap(self, key: bytes, recipient: bytes, subject: bytes) -> tuple[bytes, bytes]:
        """(ephemeral public key, wrapped key) for ``recipient``."""
        epk, cipher = self._for(recipient)
        return epk, cipher.seal(key, subject)


class Unwrapper:
    """Opens wraps made for one private key, keeping the key-encryption key of each ephemeral key met."""

    def __init__(self, private: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        self._key = X25519PrivateKey.from_private_bytes(private)
        self.public = _raw_public(self._key.public_key())
        self._keks: dict[bytes, Cipher] = {}

    def unwrap(self, epk: bytes, wrapped: bytes, subject: bytes) -> bytes:
        return self._kek(epk).open(wrapped, subject)

    def _kek(self, epk: bytes) -> Cipher:
        epk = bytes(epk)
        cipher = self._keks.get(epk)
        if cipher is None:
            from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

            try:
                shared = self._key.exchange(X25519PublicKey.from_public_bytes(epk))
            except ValueError:
                raise SealBroken("the wrap's ephemeral key is not a valid X25519 key") from None
            cipher = Cipher(_hkdf(shared, _WRAP_INFO + epk + self.public))
            self._keks[epk] = cipher
        return cipher


class BatchOpener:
    """Opens many records' wrapped keys and sealed blobs in one loop (a name order over a station's
    records): the classes bound once, each ephemeral key's key-encryption key made once, then per
    record one AES-GCM for its wrap and one for its blob, and nothing kept. ``None`` for anything that
    does not open (no wrap for these keys, damaged, moved)."""

    def __init__(self, unwrappers: Mapping[int, Unwrapper]) -> None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aesgcm = AESGCM
        self._broken = (InvalidTag, ValueError)
        self._unwrappers = unwrappers
        self._keks: dict[tuple[int, bytes], Any] = {}

    def key(self, recipient: int, epk: bytes, wrapped: bytes, key_id: int) -> bytes | None:
        aead = self._keks.get((recipient, epk))
        try:
            if aead is None:
                unwrapper = self._unwrappers.get(recipient)
                if unwrapper is None:
                    return None
                aead = self._keks[(recipient, epk)] = unwrapper._kek(epk)._aead
            return bytes(aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], key_subject(key_id)))
        except (SealBroken, *self._broken):
            return None

    def open(self, key: bytes, blob: bytes, aad: bytes) -> bytes | None:
        try:
            return bytes(self._aesgcm(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad))
        except self._broken:
            return None


# --------------------------------------------------------------------------------------- blind index
_WORDS = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The folded words of a name or reference, as search matches them."""
    folded = text.lower() if text.isascii() else fold(text)
    return _WORDS.findall(folded)


TOKEN_BYTES = 10


class Keyed:
    """HMAC-SHA256 under one key, the key set up once: the standard library's HMAC object (OpenSSL's)
    for the key, copied for each message — the same bytes as ``hmac.digest(key, message, "sha256")``.

    Why not ``hmac.digest``: it lets the GIL go for every call (OpenSSL's one-shot HMAC runs without
    it), and a bulk load's maker thread, which makes a token per word prefix and a victim key per
    record, then waited after each for the load's writer threads to give the GIL back. The HMAC
    object's copy and update keep it for messages under 2 KiB."""

    __slots__ = ("_base",)

    def __init__(self, key: bytes) -> None:
        self._base = hmac.new(key, digestmod="sha256")

    def digest(self, message: bytes) -> bytes:
        mac = self._base.copy()
        mac.update(message)
        return mac.digest()


def token(index_key: bytes | Keyed, prefix: str) -> bytes:
    """The blind-index token of one prefix (``index_key``: the raw key, or a ``Keyed`` made from it
    for many tokens)."""
    message = b"t|" + prefix.encode("utf-8")
    if isinstance(index_key, Keyed):
        return index_key.digest(message)[:TOKEN_BYTES]
    return hmac.digest(index_key, message, "sha256")[:TOKEN_BYTES]


def word_prefixes(word: str) -> list[str]:
    """The prefixes of one folded word that get a token: 1 to ``PREFIX_CHARS`` characters."""
    return [word[:end] for end in range(1, min(len(word), PREFIX_CHARS) + 1)]


MEMO_KEPT = 200_000  # tokens a memo keeps per index key before it starts again


def index_tokens(
    index_key: bytes, texts: Iterable[str], memo: dict[str, bytes] | None = None
) -> frozenset[bytes]:
    """The blind index tokens of a record: one per prefix of every word (each once). ``memo`` (the
    tokens already made under this key, by prefix) saves making a token twice."""
    prefixes: set[str] = set()
    for text in texts:
        for word in words(text):
            prefixes.update(word_prefixes(word))
    digest = hmac.digest
    key = index_key
    if memo is None:
        return frozenset(digest(key, b"t|" + p.encode("utf-8"), "sha256")[:TOKEN_BYTES] for p in prefixes)
    if len(memo) > MEMO_KEPT:
        memo.clear()
    found = []
    for p in prefixes:
        made = memo.get(p)
        if made is None:
            made = memo[p] = digest(key, b"t|" + p.encode("utf-8"), "sha256")[:TOKEN_BYTES]
        found.append(made)
    return frozenset(found)


def query_tokens(index_key: bytes, query: str) -> list[bytes]:
    """One token per query word (its first ``PREFIX_CHARS`` characters), in the query's order."""
    return [token(index_key, w[:PREFIX_CHARS]) for w in words(query)]


def token_from_text(text: str | None) -> bytes | None:
    """A token as migration 0022 found it in the old full-text index (base32 text of the same 10
    bytes), or None for anything else (words of a record not sealed yet)."""
    if not text or len(text) != 16:
        return None
    try:
        raw = base64.b32decode(text.upper())
    except ValueError:
        return None
    return raw if len(raw) == TOKEN_BYTES else None


def victim_key(station_key: bytes | Keyed, person: str | None) -> str | None:
    """Part A's repeat key: a keyed digest of ``search.person_key`` (None stays None); ``station_key``
    as for :func:`token`."""
    if person is None:
        return None
    message = b"v|" + person.encode("utf-8")
    if isinstance(station_key, Keyed):
        return station_key.digest(message).hex()
    return hmac.digest(station_key, message, "sha256").hex()
