"""WAL checkpoints off the writer's thread (issue 22: the autosave's p99).

In WAL mode every commit appends the changed pages to the ``-wal`` file; a *checkpoint* copies them
back into the database file and syncs it. By default SQLite runs one inside the commit that takes the
WAL past 1,000 pages, so every ~80th autosave also wrote ~4 MB and waited for a second sync: the slow
tail of the autosave. SQLite's documented alternative is to turn the automatic checkpoint off
(``wal_autocheckpoint = 0``) and checkpoint from another thread with its own connection. A PASSIVE
checkpoint neither waits for nor blocks writers and readers; each commit stays durable by itself
(``synchronous = FULL`` syncs the WAL at every commit), so nothing acknowledged depends on the
checkpoint, which only keeps the WAL short.

The checkpointer runs when the writer pauses (``QUIET_SECONDS`` without a commit: the officer is
typing), after ``COMMITS_PER_CHECKPOINT`` commits at the latest (a burst of saves), and every
``IDLE_SECONDS`` otherwise (commits it was not told about: other connections). The last connection
to close checkpoints the rest and removes the WAL, as before.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from dsvdesk import log
from dsvdesk.store import db

QUIET_SECONDS = 1.0
COMMITS_PER_CHECKPOINT = 64  # ~10 pages per autosave: about half the WAL SQLite would let grow
IDLE_SECONDS = 30.0


class Checkpointer:
    """A daemon thread that checkpoints the WAL of ``path`` on its own connection (opened with ``key``
    by the thread itself). ``committed()`` after each commit; ``close()`` before the writer closes."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pending = 0  # commits since the last checkpoint began (a count: a lost update is harmless)
        self._done = threading.Condition()
        self._rounds = 0  # checkpoints run so far (for ``flush``)
        self._ended = False  # the thread has finished (stopped, or its connection failed)
        self._thread = threading.Thread(target=self._run, name=f"checkpoint {path.name}", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A write transaction on the writer's connection has committed (cheap: no I/O here)."""
        self._pending += 1
        self._wake.set()

    def flush(self, timeout: float = 60.0) -> bool:
        """Checkpoint now and wait until it has run (for a backup or a test); False if it did not run
        within ``timeout`` seconds."""
        with self._done:
            target = self._rounds + 1
            self._pending = COMMITS_PER_CHECKPOINT
            self._wake.set()
            self._done.wait_for(lambda: self._rounds >= target or self._ended, timeout)
            return self._rounds >= target

    def close(self) -> None:
        """Stop the thread and close its connection (a checkpoint under way finishes first)."""
        self._stop.set()
        self._wake.set()
        self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # ----------------------------------------------------------------------------------- the thread
    def _run(self) -> None:
        conn = None
        try:
            while not self._stop.is_set():
                self._wait_for_a_pause()
                if self._stop.is_set():
                    break
                if conn is None:  # opened at the first checkpoint: not while the main window is built
                    conn = db.raw_connect(self.path, self._key)
                    db.apply_pragmas(conn)
                    conn.execute("PRAGMA wal_autocheckpoint = 0")
                self._pending = 0
                self._checkpoint(conn)
        except db.Errors as exc:  # the file went away or was replaced: the writer's own checks say so
            log.storage.warning("background checkpoints of %s stopped: %s", self.path.name, exc)
        finally:
            if conn is not None:
                conn.close()
            with self._done:
                self._ended = True
                self._done.notify_all()

    def _wait_for_a_pause(self) -> None:
        """Until the writer has been quiet for QUIET_SECONDS after a commit, or enough commits have
        piled up; with nothing committed, IDLE_SECONDS."""
        if not self._wake.wait(IDLE_SECONDS):
            return
        self._wake.clear()
        while not self._stop.is_set() and self._pending < COMMITS_PER_CHECKPOINT:
            if not self._wake.wait(QUIET_SECONDS):
                return
            self._wake.clear()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        started = time.perf_counter()
        try:
            busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except db.Errors as exc:  # busy or a passing I/O error: the next round tries again
            log.storage.warning("checkpoint of %s: %s", self.path.name, exc)
        else:
            log.storage.debug(
                "checkpoint of %s: %s of %s WAL pages copied in %.1f ms%s",
                self.path.name,
                copied,
                frames,
                (time.perf_counter() - started) * 1000,
                " (readers held the rest)" if busy else "",
            )
        with self._done:
            self._rounds += 1
            self._done.notify_all()
