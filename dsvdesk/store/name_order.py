"""The order of sealed names a signed-in session sorts by (issue 22), held in memory only.

Names are sealed per record (issue 15), so SQL cannot ``ORDER BY`` them. A ``NameOrder`` keeps, for one
name column and one session, each opened record's collation key and the stamp of the row it was opened
from (its key, revision and version), and every known record in name order. Nothing of it is ever
written: not to the database, its WAL or temporary files, nor to the log (only counts are logged). It is
dropped with the session's keys at sign-out.

Memory is kept small on purpose (a station's 100,000 records are held by the officer who owns them): the
keys and stamps are indexed by ``records.seq`` (a list and an ``array``, not one Python object per
record), equal keys are shared, and the order itself is one list of seqs. Sorting a filtered list is then
one pass over that list (or a sort of a small filtered set by the held keys): no decryption, no SQL
beyond the filter's own ``SELECT seq``.

Collation: ``collation_key`` — case folded and, for names outside ASCII, accents dropped and the letters
Unicode does not decompose spelled out (Ł → l, Ø → o, ß → ss: ``search.fold``, the folding the name search
uses), so "Łucja" sorts beside "Lucy" and "Zoë" beside "Zoe"; equal keys keep the records' seq order. No
name sorts first.
"""

from __future__ import annotations

import bisect
import operator
import threading
from array import array
from collections.abc import Iterable, Sequence
from itertools import compress

from dsvdesk.store.search import fold

# The sealed name columns a list can be sorted by (records.SORTS), each with its own order per session.
NAME_SORTS = ("victim_name", "suspect_name")
# More changed records than this (or than 1/50 of the order) are placed by sorting the whole order again
# (~0.1 s at 100,000) instead of one by one (a list insert each).
_ONE_BY_ONE = 512
# A filtered list is ordered by one pass over the whole order when it holds at least this share of it,
# else by sorting its own seqs by their keys.
_PASS_SHARE = 8
# Sorted filters kept for every Store of the session (NameOrder.keep_sorted): My forms, the review queue
# and a few filtered lists; each a list of its seqs (100,000: 0.8 MB).
_SORTS_KEPT = 4


def collation_key(name: object) -> str | None:
    """How a name sorts: None (no name) first; ASCII lower-cased; other scripts folded (search.fold)."""
    if name is None:
        return None
    text = name if isinstance(name, str) else str(name)
    text = text.strip()
    if not text:
        return None
    return text.lower() if text.isascii() else fold(text)


# A row's stamp, computed by SQLite over records_stamps (migration 0025) when the order is checked: it
# changes when the record is saved (version), amended (revision and key) or its seq is taken by another
# record (key). ``stamp_of`` is the same sum in Python (64-bit, as SQLite computes it).
STAMP_SQL = "(coalesce(key_id, 0) << 32) + (revision << 20) + version"


def stamp_of(key_id: int | None, revision: int, version: int) -> int:
    value = ((int(key_id or 0) << 32) + (int(revision) << 20) + int(version)) & 0xFFFF_FFFF_FFFF_FFFF
    return value - (1 << 64) if value >= 1 << 63 else value


class NameOrder:
    """One session's order of one sealed name column (see the module docstring). Thread-safe: the UI's
    Store and a worker's Store (the order built off the UI thread) share it through ``HeldKeys``."""

    def __init__(self, column: str) -> None:
        self.column = column
        self._lock = threading.Lock()
        self._keys: list[str] = []  # by seq: the collation key ("" = no name, or not known)
        self._stamps = array("q")  # by seq: the stamp the key was read at; 0 = not held (never a stamp)
        self._order: list[int] = []  # every known seq in name order: no name first, then key, then seq
        self._shared: dict[str, str] = {}  # one str per distinct key
        self.generation = 0  # puts so far: a check made before a put by another Store is not valid after
        # the digest of every record's stamp (sealed._DIGEST_SQL) when every held name was last found
        # current; None: compare every stamp at the next look
        self.digest: tuple[int, ...] | None = None
        # ... and the database's change version then (db.ChangeWatcher, read before the digest), with the
        # generation it was found at: while the version is the same and nothing was put since, no record
        # changed, so a Store's first look needs no digest (None: unknown)
        self.version: object = None
        self._settled = -1
        # (filter, its values) -> (version, the filter's seqs in name order): a sort made once, by any
        # Store, serves every Store while the database is unchanged (_SORTS_KEPT, the newest)
        self._sorted: dict[tuple[str, tuple[object, ...]], tuple[object, list[int]]] = {}

    # ------------------------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._order)

    def unknown(self, seqs: Sequence[int]) -> list[int]:
        """The seqs among ``seqs`` this order holds no name for."""
        stamps = self._stamps
        size = len(stamps)
        if seqs and max(seqs) < size:  # one pass in C (100,000 seqs: ~5 ms, not ~40)
            return list(compress(seqs, map(operator.not_, map(stamps.__getitem__, seqs))))
        return [seq for seq in seqs if seq >= size or not stamps[seq]]

    def changed(self, rows: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
        """(known seqs whose stamp differs from ``rows`` (seq, stamp), known seqs absent from them):
        what to open again and what to forget, after a scan of every record's stamp."""
        with self._lock:
            stamps = self._stamps
            size = len(stamps)
            seen = bytearray(size)
            stale = []
            for seq, stamp in rows:
                if seq < size:
                    seen[seq] = 1
                    held = stamps[seq]
                    if held and held != stamp:
                        stale.append(seq)
            gone = [seq for seq in self._order if not seen[seq]]
        return stale, gone

    def ordered(self, seqs: Sequence[int], *, descending: bool = False) -> list[int]:
        """``seqs`` (all known: see ``unknown``) in name order; descending is the exact reverse."""
        with self._lock:
            order = self._order
            if len(seqs) == len(order):  # every held record (all known, no seq twice): the whole order
                found = list(order)
            elif len(seqs) * _PASS_SHARE >= len(order):  # one pass over the order, in C
                wanted = bytearray(len(self._stamps))
                for seq in seqs:
                    wanted[seq] = 1
                found = list(compress(order, map(wanted.__getitem__, order)))
            else:
                keys = self._keys
                found = sorted(seqs)
                found.sort(key=keys.__getitem__)  # stable: equal keys stay in seq order
        if descending:
            found.reverse()
        return found

    # ------------------------------------------------------------------------------------ changing
    def settle(self, digest: tuple[int, ...] | None, generation: int, version: object = None) -> bool:
        """Every held name is current as of ``digest`` (None: the digest kept, still the database's) and
        the change ``version`` read before it, if no put was made since ``generation`` but the caller's
        own; False (and no digest or version kept) when another put came in between."""
        with self._lock:
            if self.generation == generation:
                if digest is not None:
                    self.digest = digest
                self.version = version
                self._settled = generation if version is not None else -1
                return True
            self.digest = None
            self.version = None
            self._settled = -1
            return False

    def current_at(self, version: object) -> bool:
        """Whether every held name is known current at the database's change ``version``: the order was
        found current at that version and nothing was put since."""
        with self._lock:
            return version is not None and version == self.version and self._settled == self.generation

    def sorted_for(self, wanted: tuple[str, tuple[object, ...]], version: object) -> list[int] | None:
        """The seqs of the filter ``wanted`` in name order as kept at ``version`` (``keep_sorted``), or
        None. The list is shared: read it, never change it."""
        with self._lock:
            found = self._sorted.get(wanted)
            return found[1] if found is not None and version is not None and found[0] == version else None

    def keep_sorted(
        self, wanted: tuple[str, tuple[object, ...]], version: object, generation: int, found: list[int]
    ) -> bool:
        """Keep ``found`` (the filter's seqs in name order, read at ``version`` from an order current at
        ``generation``) for ``sorted_for``, unless a put came in since."""
        with self._lock:
            if version is None or self.generation != generation:
                return False
            self._sorted.pop(wanted, None)
            self._sorted[wanted] = (version, found)
            while len(self._sorted) > _SORTS_KEPT:
                del self._sorted[next(iter(self._sorted))]
            return True

    def put(self, entries: Iterable[tuple[int, int, object]]) -> int:
        """Hold (seq, stamp, name) for each entry (the name as opened; None when the record has none);
        returns how many. Records already held move to their new place in the order."""
        latest = {int(seq): (stamp, name) for seq, stamp, name in entries}
        if not latest:
            return 0
        with self._lock:
            self._grow(max(latest))
            keys, stamps, shared, order = self._keys, self._stamps, self._shared, self._order
            moved = [seq for seq in latest if stamps[seq]]
            one_by_one = len(latest) <= max(_ONE_BY_ONE, len(order) // 50)
            if one_by_one:
                for seq in moved:
                    self._remove(seq)
            elif moved:
                keep = set(moved)
                order[:] = [seq for seq in order if seq not in keep]
            collated: dict[object, str] = {}  # names recur (a family, a common name): folded once here
            for seq, (stamp, name) in latest.items():
                key = collated.get(name)
                if key is None:
                    key = collation_key(name) or ""
                    key = collated[name] = shared.setdefault(key, key)
                keys[seq] = key
                stamps[seq] = stamp
            if one_by_one:
                for seq in latest:
                    bisect.insort(order, seq, key=self._sort_key)
            else:
                order.extend(latest)
                order.sort()
                order.sort(key=keys.__getitem__)
            self.generation += 1
        return len(latest)

    def forget(self, seqs: Iterable[int]) -> None:
        """Drop records no longer there (deleted, disposed of)."""
        with self._lock:
            for seq in seqs:
                if seq < len(self._stamps) and self._stamps[seq]:
                    self._remove(seq)
                    self._stamps[seq] = 0
                    self._keys[seq] = ""

    def _sort_key(self, seq: int) -> tuple[str, int]:
        return (self._keys[seq], seq)

    def _grow(self, seq: int) -> None:
        missing = seq + 1 - len(self._stamps)
        if missing > 0:
            missing = max(missing, len(self._stamps) // 4)  # amortised: a few resizes per build
            self._stamps.frombytes(bytes(8 * missing))
            self._keys.extend([""] * missing)

    def _remove(self, seq: int) -> None:
        """Take ``seq`` out of the order, found by the key it holds now."""
        order = self._order
        at = bisect.bisect_left(order, self._sort_key(seq), key=self._sort_key)
        if at < len(order) and order[at] == seq:
            del order[at]
        elif seq in order:  # not where its key says (never expected): found the slow way
            order.remove(seq)
