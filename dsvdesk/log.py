"""Named loggers and the rotating log file. No personal data is ever written to a log line:
log ids (record UUIDs, question ids, usernames), never answers."""

from __future__ import annotations

import logging
import os
from collections import deque
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


class SizeRotatingFileHandler(logging.FileHandler):
    """A log file that rolls over to ``.1`` ... ``.N`` past a size.

    ``logging.handlers.RotatingFileHandler`` does the same, but importing ``logging.handlers`` pulls in
    socket, pickle and queue — about 60 ms of the app's cold start for a feature used once a day."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, mode="a", encoding="utf-8", delay=True)
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._needs_rollover():
                self._roll_over()
        except OSError:
            self.handleError(record)
            return
        super().emit(record)

    def _needs_rollover(self) -> bool:
        try:
            return os.path.getsize(self.baseFilename) >= self.max_bytes
        except FileNotFoundError:
            return False

    def _roll_over(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # reopened lazily by FileHandler.emit
        for index in range(self.backups - 1, 0, -1):
            older = f"{self.baseFilename}.{index}"
            if os.path.exists(older):
                os.replace(older, f"{self.baseFilename}.{index + 1}")
        os.replace(self.baseFilename, f"{self.baseFilename}.1")


ring = RingBufferHandler()
_configured_file: Path | None = None


def log_file_path() -> Path:
    return paths.user_log_dir() / "dsvdesk.log"


def setup_file_logging(level: int = logging.INFO) -> Path | None:
    """Attach the rotating file handler once; returns the log path, or None if the folder is unusable."""
    global _configured_file  # noqa: PLW0603 - process-wide logging set-up happens once
    if _configured_file is not None:
        return _configured_file
    root = logging.getLogger("dsvdesk")
    root.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    ring.setFormatter(fmt)
    root.addHandler(ring)
    path = log_file_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = SizeRotatingFileHandler(path, max_bytes=2_000_000, backups=5)
    except OSError:
        return None
    handler.setFormatter(fmt)
    root.addHandler(handler)
    _configured_file = path
    return path
