"""The signed Board pack's format and its verification (dsvdesk/reporting/pack.py writes packs).

Contents::

    part_b_report.pdf   the report, signed by its author (PAdES)
    part_a_data.pdf     Part A figures, tables and charts, signed; manifest.json is embedded in it
    part_a_data.csv     the same figures, one row each, computed and entered marked apart
    manifest.json       every other file with SHA-256 and size, the period, report UUID and revision,
                        who exported it, when, the DSVDesk version, the audit chain head it was made at
                        and whether the station CA is certified by a force

No certificate to check it with travels in the pack: a pack that carried its own trust anchor would
vouch for itself (anyone can make a CA with the same station name). `verify_pack` takes the roots the
checker holds (the force root) and reports a pack whose signer chains to nothing it trusts as
UNTRUSTED, never as verified.

How the manifest is protected: its exact bytes are embedded in part_a_data.pdf *before* that PDF is
signed, so the PDF signature covers them. `verify_pack` checks that the loose manifest.json equals the
signed copy byte for byte, then every file against it. A detached CMS signature would need a second
verifier (and a second place for the Board to look); embedding keeps every check inside the one PAdES
mechanism that `dsvdesk verify`, Adobe Reader and poppler's pdfsig all understand. The price: the
manifest cannot list part_a_data.pdf's own hash (it is inside it), so that entry says it is covered by
its own signature, which `verify_pack` demands is intact, trusted and covers the whole file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from dsvdesk.errors import UserFacingError
from dsvdesk.export.verify import UNTRUSTED_WARNING, Outcome

PART_B = "part_b_report.pdf"
PART_A_PDF = "part_a_data.pdf"
PART_A_CSV = "part_a_data.csv"
MANIFEST = "manifest.json"
PACK_FILES = (PART_B, PART_A_PDF, PART_A_CSV, MANIFEST)
MANIFEST_FORMAT = "dsvdesk-board-pack/1"
# A pack is a few MB; anything far larger is not one of ours (and must not exhaust memory).
MAX_PACK_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 200


class PackError(UserFacingError):
    """The pack could not be written or read (bad report, bad folder, not a pack)."""

    title = "Board pack"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class FileCheck:
    name: str
    ok: bool
    message: str
    untrusted: bool = False  # intact, failing only because nobody the checker trusts vouches for it

    def line(self) -> str:
        mark = "OK  " if self.ok else ("UNTRUSTED" if self.untrusted else "FAIL")
        return f"{mark} {self.name}: {self.message}"


@dataclass(frozen=True, slots=True)
class PackVerification:
    source: str
    files: tuple[FileCheck, ...]
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(f.ok for f in self.files)

    @property
    def all_good(self) -> bool:
        """Same meaning as `PdfVerification.all_good` (what `dsvdesk verify` tests)."""
        return self.ok

    @property
    def outcome(self) -> Outcome:
        if self.ok:
            return Outcome.TRUSTED
        if all(f.ok or f.untrusted for f in self.files):
            return Outcome.UNTRUSTED
        return Outcome.FAILED

    def summary(self) -> str:
        outcome = self.outcome
        if outcome is Outcome.TRUSTED:
            return f"Pack {self.source}: ALL FILES VERIFIED"
        if outcome is Outcome.UNTRUSTED:
            return f"Pack {self.source}: {UNTRUSTED_WARNING}"
        return f"Pack {self.source}: VERIFICATION FAILED"

    def describe(self) -> list[str]:
        return self.lines()

    def lines(self) -> list[str]:
        """One line per file, then the verdict (what `dsvdesk verify` prints)."""
        return [*(f.line() for f in self.files), self.summary()]


def read_pack(path: Path) -> dict[str, bytes]:
    """The pack's files by name, from a folder or a zip (a single top folder inside the zip is dropped).

    Sub-folders and nested paths are kept under their relative names so they show up as extra files."""
    path = Path(path)
    if path.is_dir():
        files: dict[str, bytes] = {}
        total = 0
        for entry in sorted(path.rglob("*")):
            if entry.is_file():
                total += entry.stat().st_size
                if total > MAX_PACK_BYTES or len(files) >= MAX_MEMBERS:
                    raise PackError(f"{path} is far larger than a board pack; it was not checked.")
                files[entry.relative_to(path).as_posix()] = entry.read_bytes()
        return files
    if not path.exists():
        raise PackError(f"There is no board pack at {path}.")
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            if len(members) > MAX_MEMBERS or sum(i.file_size for i in members) > MAX_PACK_BYTES:
                raise PackError(f"{path.name} is far larger than a board pack; it was not checked.")
            names = [PurePosixPath(i.filename) for i in members]
            tops = {n.parts[0] for n in names if len(n.parts) > 1}
            strip = len(tops) == 1 and all(len(n.parts) > 1 for n in names)
            out: dict[str, bytes] = {}
            for info, name in zip(members, names, strict=True):
                relative = PurePosixPath(*name.parts[1:]) if strip else name
                out[relative.as_posix()] = archive.read(info)
            return out
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PackError(
            f"{path.name} is not a readable zip file ({exc}); give the pack's .zip or its folder."
        ) from exc


def embedded_manifest(pdf: bytes) -> bytes | None:
    """The manifest.json embedded in a PDF, or None (not a PDF, none embedded)."""
    if not pdf.lstrip()[:5].startswith(b"%PDF-"):
        return None
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for index in range(0, len(names) - 1, 2):
            if str(names[index]) == MANIFEST:
                data: bytes = names[index + 1].get_object()["/EF"]["/F"].get_object().data
                return data
    except (PdfError, KeyError, TypeError, ValueError, AttributeError):
        return None
    return None


@dataclass(frozen=True, slots=True)
class _Trust:
    roots: Sequence[Any]
    intermediates: Sequence[Any]
    revocations: Sequence[Any]


def _describe_pdf(data: bytes, trust: _Trust, *, whole_file: bool) -> tuple[bool, bool, str]:
    """(good, untrusted only, message) for one signed PDF of the pack."""
    from dsvdesk.export.verify import VerificationError, verify_pdf

    try:
        result = verify_pdf(
            data, trust.roots, intermediates=trust.intermediates, revocations=trust.revocations
        )
    except VerificationError as exc:
        return False, False, exc.message
    signers = ", ".join(dict.fromkeys(s.signer for s in result.signatures)) or "unknown signer"
    if whole_file and any(s.changed_after_signing for s in result.signatures):
        return False, False, f"signature by {signers}: something was added after signing"
    if not result.all_good:
        bad = next(s for s in result.signatures if not s.ok)
        untrusted = result.outcome is Outcome.UNTRUSTED
        return False, untrusted, f"signature by {signers}: {bad.verdict()}"
    return True, False, f"signature by {signers} is good and trusted"


def verify_pack(  # noqa: C901, PLR0912 - checks each kind of file in turn; left whole while this module is changed in parallel (issue 13)
    path: Path,
    trust_roots: Sequence[Any] | None = None,
    *,
    intermediates: Sequence[Any] = (),
    revocations: Sequence[Any] = (),
) -> PackVerification:
    """Check a pack (zip or folder): the signed manifest, every hash and size, every signature.

    `trust_roots` are `cryptography` certificates the checker holds (the force root, or at a station
    not yet certified by a force its own CA). Nothing in the pack is ever trusted: with no roots the
    signatures are reported untrusted (`Outcome.UNTRUSTED`) however intact the files are."""
    files = read_pack(Path(path))
    trust = _Trust(list(trust_roots or []), list(intermediates), list(revocations))
    checks: list[FileCheck] = []
    source = Path(path).name

    loose = files.get(MANIFEST)
    part_a_name = PART_A_PDF if PART_A_PDF in files else None
    signed_manifest = embedded_manifest(files[PART_A_PDF]) if part_a_name else None
    if signed_manifest is None:  # part_a_data.pdf renamed? look for the PDF that carries the manifest
        for name, data in files.items():
            if name != PART_A_PDF and name.lower().endswith(".pdf") and (found := embedded_manifest(data)):
                signed_manifest, part_a_name = found, name
                break

    reference: dict[str, Any] = {}
    if signed_manifest is None:
        checks.append(
            FileCheck(PART_A_PDF, False, "MISSING, or carries no signed manifest: the pack cannot be checked")
        )
    else:
        try:
            reference = json.loads(signed_manifest.decode("utf-8"))
        except ValueError:
            checks.append(
                FileCheck(part_a_name or PART_A_PDF, False, "its embedded manifest is not readable")
            )
        assert part_a_name is not None
        good, untrusted, message = _describe_pdf(files[part_a_name], trust, whole_file=True)
        if part_a_name != PART_A_PDF:
            checks.append(
                FileCheck(part_a_name, False, f"RENAMED: this is {PART_A_PDF} under another name; {message}")
            )
            checks.append(FileCheck(PART_A_PDF, False, f"MISSING (found renamed as {part_a_name})"))
        else:
            checks.append(FileCheck(PART_A_PDF, good, message + "; holds the signed manifest", untrusted))

    if loose is None:
        checks.append(FileCheck(MANIFEST, False, "MISSING"))
    elif signed_manifest is not None and loose != signed_manifest:
        checks.append(
            FileCheck(MANIFEST, False, f"ALTERED: differs from the copy signed inside {PART_A_PDF}")
        )
    elif signed_manifest is not None:
        checks.append(FileCheck(MANIFEST, True, f"identical to the copy signed inside {PART_A_PDF}"))
    else:
        checks.append(
            FileCheck(MANIFEST, False, "cannot be trusted: there is no signed copy to compare it with")
        )

    listed = {
        str(entry.get("name")): entry
        for entry in reference.get("files", [])
        if isinstance(entry, Mapping) and entry.get("name") not in (PART_A_PDF, None)
    }
    present_hashes = {name: sha256_hex(data) for name, data in files.items()}
    expected = set(listed) | {MANIFEST, PART_A_PDF}
    renamed_from: dict[str, str] = {}
    for name, entry in listed.items():
        if name not in files:
            twin = next(
                (
                    other
                    for other, digest in present_hashes.items()
                    if digest == entry.get("sha256") and other not in expected
                ),
                None,
            )
            if twin:
                renamed_from[twin] = name
                checks.append(FileCheck(name, False, f"MISSING (found renamed as {twin})"))
            else:
                checks.append(FileCheck(name, False, "MISSING from the pack"))
            continue
        data = files[name]
        if present_hashes[name] != entry.get("sha256") or len(data) != entry.get("size"):
            checks.append(
                FileCheck(
                    name,
                    False,
                    f"ALTERED: SHA-256 or size differs from the signed manifest ({len(data)} bytes)",
                )
            )
            continue
        if name.lower().endswith(".pdf"):
            good, untrusted, message = _describe_pdf(data, trust, whole_file=True)
            checks.append(FileCheck(name, good, f"hash matches; {message}", untrusted))
        else:
            checks.append(FileCheck(name, True, "hash and size match the signed manifest"))

    for name in sorted(files):
        if name in expected or name == part_a_name:
            continue
        if name in renamed_from:
            checks.append(FileCheck(name, False, f"RENAMED: this is {renamed_from[name]} under another name"))
        else:
            checks.append(FileCheck(name, False, "EXTRA: not listed in the signed manifest"))
    return PackVerification(source=source, files=tuple(checks), manifest=reference)
