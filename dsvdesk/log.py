"""Named loggers and the rotating log file. No personal data is ever written to a log line:
log ids (record UUIDs, question ids, usernames), never answers."""

from __future__ import annotations

import logging
from collections import deque
from logging import Handler
from pathlib import Path

from dsvdesk import paths

LOGGER_NAMES = (
    "dsvdesk.forms",
    "dsvdesk.storage",
    "dsvdesk.export",
    "dsvdesk.sign",
    "dsvdesk.ui",
    "dsvdesk.cli",
)

forms = logging.getLogger("dsvdesk.forms")
storage = logging.getLogger("dsvdesk.storage")
export = logging.getLogger("dsvdesk.export")
sign = logging.getLogger("dsvdesk.sign")
ui = logging.getLogger("dsvdesk.ui")
cli = logging.getLogger("dsvdesk.cli")


class RingBufferHandler(logging.Handler):
    """Keeps the last records in memory for Help → Show log and crash reports."""

    def __init__(self, capacity: int = 500) -> None:
        super().__init__()
        self.records: deque[str] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


MAX_LOG_BYTES = 2_000_000
LOG_BACKUPS = 5


def rotating_file_handler(
    path: Path, *, max_bytes: int = MAX_LOG_BYTES, backups: int = LOG_BACKUPS
) -> Handler:
    """The standard library's size-rotating handler (``.1`` ... ``.N``), opened on the first record.

    Importing ``logging.handlers`` costs about 9 ms of start-up on the reference machine (best of 21,
    ``python -X importtime``), which is why it is imported here, when the file log is set up."""
    import logging.handlers

    return logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
    )


class PendingHandler(logging.Handler):
    """Holds the records logged before the file log is attached (the app attaches it after sign-in, so
    ``logging.handlers`` stays out of the cold start); they are written to the file when it is."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self.records: deque[logging.LogRecord] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


ring = RingBufferHandler()
_configured_file: Path | None = None
_pending: PendingHandler | None = None


def log_file_path() -> Path:
    return paths.user_log_dir() / "dsvdesk.log"


def setup_file_logging(level: int = logging.INFO, *, defer: bool = False) -> Path | None:
    """Attach the rotating file handler once; returns the log path, or None if the folder is unusable.

    ``defer=True`` (the app, before its first window) keeps records in memory until a later call
    without it attaches the file and writes them there first."""
    global _configured_file, _pending  # noqa: PLW0603 - process-wide logging set-up happens once
    if _configured_file is not None:
        return _configured_file
    root = logging.getLogger("dsvdesk")
    root.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if ring not in root.handlers:
        ring.setFormatter(fmt)
        root.addHandler(ring)
    path = log_file_path()
    if defer:
        if _pending is None:
            _pending = PendingHandler()
            root.addHandler(_pending)
        return path
    pending, _pending = _pending, None
    if pending is not None:
        root.removeHandler(pending)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = rotating_file_handler(path)
    except OSError:
        return None
    handler.setFormatter(fmt)
    for record in pending.records if pending is not None else ():
        handler.handle(record)
    root.addHandler(handler)
    _configured_file = path
    return path
