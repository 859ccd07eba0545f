"""The audit heads a file left the station with: what `dsvdesk audit verify --against FILE` checks the
local log against (store/anchor.py: a log cut back below a head, or rewritten under it, no longer holds
it).

Each kind of file has a `HeadReader`: a signed PDF (one head per signature), a board pack (its signed
manifest and its PDFs), an encrypted backup (the head it was copied at; it opens with the station's key,
a password or the recovery key). Readers are pluggable: `register(HeadReader(...))` adds a kind (the
transfer bundles of issue 17), tried before the built-in ones. `heads_of(path, source)` reads a file's
heads and `check_file(path, source)` says for each whether the local log still holds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsvdesk.errors import BadInput, EnvironmentProblem, NotFound
from dsvdesk.store.anchor import AuditHead, heads_in_pdf

if TYPE_CHECKING:
    from dsvdesk.store import Store

SNIFF_BYTES = 64
BACKUP_MAGIC = b"DSVDESK-BACKUP\n"  # store/backup.py's header (any format version)
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class HeadSource:
    """What a reader may use besides the file: the station's store (open; for a backup, the signed-in
    user's password, or the recovery key, when the station's key is not held)."""

    store: Store
    username: str = ""
    password: str | None = None
    recovery_key: str | None = None


@dataclass(frozen=True, slots=True)
class HeadReader:
    """``claims(path, first_bytes)``: True when the file is this kind (``first_bytes`` holds up to
    SNIFF_BYTES bytes; b"" for a folder). ``read(path, source)``: the heads it carries (may be none);
    a bad file raises a `UserFacingError` with one sentence. ``kind`` names it in messages (``listed``:
    among the files that carry a head; False for a reader that only explains a refusal)."""

    kind: str
    claims: Callable[[Path, bytes], bool]
    read: Callable[[Path, HeadSource], list[AuditHead]]
    listed: bool = True


_REGISTERED: list[HeadReader] = []


def register(reader: HeadReader) -> None:
    """Add a kind of file (tried before the built-in kinds; one reader per ``kind``)."""
    _REGISTERED[:] = [r for r in _REGISTERED if r.kind != reader.kind]
    _REGISTERED.insert(0, reader)


def readers() -> tuple[HeadReader, ...]:
    return (*_REGISTERED, *BUILT_IN)


def heads_of(path: Path, source: HeadSource) -> list[AuditHead]:
    """The distinct heads ``path`` carries, oldest first; one clear sentence when it carries none."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"There is no file at {path}.")
    start = b""
    if not path.is_dir():
        try:
            with path.open("rb") as handle:
                start = handle.read(SNIFF_BYTES)
        except OSError as exc:
            raise EnvironmentProblem(f"{path} cannot be read ({exc.strerror or exc}).") from None
    reader = next((r for r in readers() if r.claims(path, start)), None)
    if reader is None:
        kinds = ", ".join(r.kind for r in readers() if r.listed)
        raise BadInput(f"{path.name} is none of the files that carry an audit head ({kinds}).")
    heads = reader.read(path, source)
    if not heads:
        raise BadInput(
            f"{path.name} carries no audit head: it was made by an older DSVDesk or is not a DSVDesk "
            "document, so it cannot vouch for the log."
        )
    return sorted(set(heads))


def check_file(path: Path, source: HeadSource) -> list[tuple[AuditHead, str]]:
    """Each head ``path`` carries, with "" when the local log still holds it, else why not."""
    return [(head, source.store.audit_holds(head)) for head in heads_of(path, source)]


# ------------------------------------------------------------------------------------- built-in kinds
def _is_pdf(_path: Path, start: bytes) -> bool:
    return start.lstrip().startswith(b"%PDF-")


def _pdf_heads(path: Path, _source: HeadSource) -> list[AuditHead]:
    return heads_in_pdf(_read(path))


def _is_pack(path: Path, _start: bytes) -> bool:
    return path.is_dir() or path.suffix.lower() == ".zip"


def _pack_heads(path: Path, _source: HeadSource) -> list[AuditHead]:
    """The head in the pack's signed manifest (never the loose manifest.json), and every PDF's."""
    from dsvdesk.export.board_pack import MANIFEST, PART_A_PDF, embedded_manifest, read_pack

    files = read_pack(path)
    heads: list[AuditHead] = []
    signed = embedded_manifest(files.get(PART_A_PDF, b""))
    if signed is not None:
        try:
            head = AuditHead.from_mapping(json.loads(signed.decode("utf-8")).get("audit_head"))
        except (ValueError, UnicodeDecodeError, AttributeError):
            head = None
        if head is not None:
            heads.append(head)
    for name, data in files.items():
        if name.lower().endswith(".pdf") and name != MANIFEST:
            heads.extend(heads_in_pdf(data))
    return heads


def _is_backup(_path: Path, start: bytes) -> bool:
    return start.startswith(BACKUP_MAGIC)


def _backup_heads(path: Path, source: HeadSource) -> list[AuditHead]:
    return [
        source.store.backup_head(
            path, username=source.username, password=source.password, recovery_key=source.recovery_key
        )
    ]


def _is_plain_database(_path: Path, start: bytes) -> bool:
    return start.startswith(SQLITE_MAGIC)


def _plain_database(path: Path, _source: HeadSource) -> list[AuditHead]:
    raise BadInput(
        f"{path.name} is an unencrypted database (a DSVDesk 0.1 backup or another program's file), not an "
        "encrypted DSVDesk backup; give a backup made by this DSVDesk, a signed PDF or a board pack."
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EnvironmentProblem(f"{path} cannot be read ({exc.strerror or exc}).") from None


def _is_bundle(_path: Path, start: bytes) -> bool:
    from dsvdesk.store.bundlefile import MAGIC

    return start.startswith(MAGIC)


def _bundle_heads(path: Path, _source: HeadSource) -> list[AuditHead]:
    """The head a transfer bundle carries in its header (readable without the receiver's key)."""
    from dsvdesk.store.bundlefile import read_header_file

    header = read_header_file(path, path.name)
    head = AuditHead.from_mapping(header.audit_head)
    return [head] if head is not None else []


BUILT_IN: tuple[HeadReader, ...] = (
    HeadReader("a transfer bundle", _is_bundle, _bundle_heads),
    HeadReader("a signed PDF", _is_pdf, _pdf_heads),
    HeadReader("a board pack (.zip or folder)", _is_pack, _pack_heads),
    HeadReader("an encrypted DSVDesk backup", _is_backup, _backup_heads),
    HeadReader("an unencrypted database", _is_plain_database, _plain_database, listed=False),
)
