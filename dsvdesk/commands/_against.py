"""The audit heads a file left the station with, for `dsvdesk audit verify --against FILE`: every
signature of a signed PDF, the manifest and signatures of a board pack, the chain head of a backup."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from dsvdesk.errors import BadInput, EnvironmentProblem, NotFound, UserFacingError
from dsvdesk.store.anchor import AuditHead, heads_in_pdf


def heads_of(path: Path) -> list[AuditHead]:
    """The distinct heads ``path`` carries, oldest first; a clear error when it carries none."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"There is no file at {path}.")
    if path.is_dir() or path.suffix.lower() == ".zip":
        heads = _pack_heads(path)
    else:
        try:
            with path.open("rb") as handle:
                start = handle.read(16)
        except OSError as exc:
            raise EnvironmentProblem(f"{path} cannot be read ({exc.strerror or exc}).") from None
        if start.lstrip().startswith(b"%PDF-"):
            heads = heads_in_pdf(path.read_bytes())
        elif start.startswith(b"SQLite format 3"):
            heads = [_backup_head(path)]
        else:
            heads = _backup_heads_or_fail(path)
    if not heads:
        raise BadInput(
            f"{path.name} carries no audit head: it was made by an older DSVDesk or is not a DSVDesk "
            "document, so it cannot vouch for the log."
        )
    return sorted(set(heads))


def _pack_heads(path: Path) -> list[AuditHead]:
    from dsvdesk.export.board_pack import MANIFEST, PART_A_PDF, embedded_manifest, read_pack

    files = read_pack(path)
    heads: list[AuditHead] = []
    signed = embedded_manifest(files.get(PART_A_PDF, b""))
    if signed is not None:  # the signed copy, never the loose one
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


def _backup_head(path: Path) -> AuditHead:
    """The chain head of a backup, read from a temporary copy through the store (the backup itself is
    never opened, so nothing in it changes)."""
    from dsvdesk.store import Store

    with tempfile.TemporaryDirectory(prefix="dsvdesk-against-") as folder:
        copy = Path(folder) / "backup.sqlite3"
        shutil.copyfile(path, copy)
        with Store.open(copy) as store:
            return store.audit_head()


def _backup_heads_or_fail(path: Path) -> list[AuditHead]:
    """A file that is neither a PDF nor a plain SQLite file: an (encrypted) backup if the store can open it."""
    try:
        return [_backup_head(path)]
    except UserFacingError:
        raise BadInput(
            f"{path.name} is not a signed PDF or a board pack, and DSVDesk cannot read an encrypted backup's "
            "audit head yet; give a signed PDF or a board pack made from this station."
        ) from None
