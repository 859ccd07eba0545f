"""The signed Board pack: a folder and a zip of it, and its verification.

Contents::

    part_b_report.pdf   the report, signed by its author (PAdES)
    part_a_data.pdf     Part A figures, tables and charts, signed; manifest.json is embedded in it
    part_a_data.csv     the same figures, one row each, computed and entered marked apart
    station_ca.pem      the station CA that issued the signing certificates
    manifest.json       every other file with SHA-256 and size, the period, report UUID and revision,
                        who exported it, when, and the DSVDesk version

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
import logging
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from dsvdesk import __version__
from dsvdesk.errors import UserFacingError
from dsvdesk.export.report_pdf import (
    AUTHOR_FIELD,
    BoardReport,
    render_part_a_pdf,
    render_part_b_pdf,
    unresolved_tokens,
)
from dsvdesk.reporting.parta import PartA, Period, RepeatMatch, part_a_csv

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.export.signing import SigningIdentityLike
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session

log = logging.getLogger("dsvdesk.export")

PART_B = "part_b_report.pdf"
PART_A_PDF = "part_a_data.pdf"
PART_A_CSV = "part_a_data.csv"
CA_FILE = "station_ca.pem"
MANIFEST = "manifest.json"
PACK_FILES = (PART_B, PART_A_PDF, PART_A_CSV, CA_FILE, MANIFEST)
MANIFEST_FORMAT = "dsvdesk-board-pack/1"
BOARD_RECIPIENT = "Domestic and Sexual Violence Board"
# A pack is a few MB; anything far larger is not one of ours (and must not exhaust memory).
MAX_PACK_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 200


class PackError(UserFacingError):
    """The pack could not be written or read (bad report, bad folder, not a pack)."""

    title = "Board pack"


# ------------------------------------------------------------------ writing


@dataclass(frozen=True, slots=True)
class PackResult:
    folder: Path
    zip_path: Path
    manifest: Mapping[str, Any]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(text: str, fallback: str = "report") -> str:
    """A file-name part from user text: ASCII letters, digits, '-' and '_' only (no '/', '..', NUL)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-")
    return cleaned[:40] or fallback


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _prepare_author_field(pdf: bytes, *, embed: tuple[str, bytes] | None = None) -> bytes:
    """Add the one empty author signature field (and the embedded manifest) in a single update, with the
    record PDFs' own preparation (export/signing.py)."""
    from dsvdesk.export import signing

    attachments: tuple[signing.Attachment, ...] = ()
    if embed is not None:
        name, data = embed
        attachments = (
            signing.Attachment(
                name,
                data,
                "Board pack manifest (SHA-256 of every file), covered by this PDF's signature",
                mime_type="application/json",
            ),
        )
    return signing.prepare_signature_fields(pdf, fields=(AUTHOR_FIELD,), attachments=attachments)


def build_pack_files(
    report: BoardReport,
    part_a: PartA,
    *,
    identity: SigningIdentityLike,
    ca_pem: bytes,
    exporter: str,
    exported_at: datetime,
    location: str = "",
    signer_lines: Sequence[str] = (),
) -> dict[str, bytes]:
    """Every file of the pack, in memory: render, sign, build the manifest, embed it, sign Part A.

    Refuses (PackError) a report whose text quotes a Part A figure that does not exist, so the Board
    never reads "[unknown Part A figure]"."""
    from dsvdesk.export import signing

    figures = part_a.figure_map()
    missing = unresolved_tokens(report, figures)
    if missing:
        listed = ", ".join(sorted({f"{{{{partA.{key}}}}}" for _q, key in missing}))
        raise PackError(
            f"The report quotes Part A figures that do not exist: {listed}. Correct the key (the Part A "
            "PDF lists every key beside its figure) or remove the reference, then export again."
        )
    header = report.header
    stamp = list(signer_lines) or [signing.signer_display_name(identity)]
    part_b = render_part_b_pdf(report, figures, document_date=exported_at)
    part_b = signing.sign_pdf(
        _prepare_author_field(part_b),
        identity,
        field=AUTHOR_FIELD,
        reason="Author of the report to the Domestic and Sexual Violence Board",
        location=location,
        stamp_lines=[*stamp, "Author, Part B report"],
    )
    csv_bytes = part_a_csv(part_a).encode("utf-8-sig")  # the BOM makes spreadsheets read UTF-8 names
    files: dict[str, bytes] = {PART_B: part_b, PART_A_CSV: csv_bytes, CA_FILE: ca_pem}
    manifest = {
        "format": MANIFEST_FORMAT,
        "report": {
            "id": header.report_id,
            "revision": header.revision,
            "number": header.report_number,
            "borough": header.borough,
            "meeting_date": header.meeting_date.isoformat() if header.meeting_date else None,
        },
        "period": {"from": part_a.period.start.isoformat(), "to": part_a.period.end.isoformat()},
        "exported_by": exporter,
        "exported_at": exported_at.astimezone(UTC).isoformat(timespec="seconds"),
        "dsvdesk_version": __version__,
        "manifest_signature": f"embedded in {PART_A_PDF} before signing; its PAdES signature covers it",
        "files": [
            *({"name": name, "sha256": _sha256(data), "size": len(data)} for name, data in files.items()),
            {
                "name": PART_A_PDF,
                "sha256": None,
                "size": None,
                "covered_by": "its own PAdES signature (this manifest is embedded in it)",
            },
        ],
    }
    loose = manifest_bytes(manifest)
    part_a_pdf = render_part_a_pdf(part_a, header, document_date=exported_at)
    part_a_pdf = signing.sign_pdf(
        _prepare_author_field(part_a_pdf, embed=(MANIFEST, loose)),
        identity,
        field=AUTHOR_FIELD,
        reason="Part A data and board pack manifest",
        location=location,
        stamp_lines=[*stamp, "Exported for the Board"],
    )
    files[PART_A_PDF] = part_a_pdf
    files[MANIFEST] = loose
    return files


def write_pack(
    files: Mapping[str, bytes], out_dir: Path, *, base_name: str, exported_at: datetime
) -> PackResult:
    """Write `files` into a new folder under `out_dir` and a zip of that folder beside it.

    Nothing existing is overwritten: a second export the same day gets '-2', '-3' ... Raises PackError
    with the folder named when it cannot be written."""
    out_dir = Path(out_dir).expanduser()
    if not out_dir.is_dir():
        raise PackError(f"The folder {out_dir} does not exist. Create it, or choose another with --out.")
    name = safe_name(base_name, "board_pack")
    folder = out_dir / name
    suffix = 2
    while folder.exists() or folder.with_suffix(".zip").exists():
        folder = out_dir / f"{name}-{suffix}"
        suffix += 1
    zip_path = folder.with_name(folder.name + ".zip")
    try:
        folder.mkdir()
        for file_name, data in files.items():
            (folder / file_name).write_bytes(data)
        stamp = exported_at.astimezone(UTC).timetuple()[:6]
        with zipfile.ZipFile(zip_path, "x", compression=zipfile.ZIP_DEFLATED) as archive:
            for file_name in sorted(files):
                info = zipfile.ZipInfo(f"{folder.name}/{file_name}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o640 << 16
                archive.writestr(info, files[file_name])
    except OSError as exc:
        raise PackError(
            f"The board pack could not be written to {out_dir} ({exc.strerror or exc}). Check that the folder "
            "is writable and the disk has space, then export again."
        ) from exc
    manifest = json.loads(files[MANIFEST].decode("utf-8")) if MANIFEST in files else {}
    log.info("board pack written: %s (%d files)", folder.name, len(files))
    return PackResult(folder=folder, zip_path=zip_path, manifest=manifest)


# ------------------------------------------------------------------ verifying


@dataclass(frozen=True, slots=True)
class FileCheck:
    name: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.message}"


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

    def describe(self) -> list[str]:
        return self.lines()

    def lines(self) -> list[str]:
        """One line per file, then the verdict (what `dsvdesk verify` prints)."""
        out = [f.line() for f in self.files]
        out.append(
            f"Pack {self.source}: ALL FILES VERIFIED"
            if self.ok
            else f"Pack {self.source}: VERIFICATION FAILED"
        )
        return out


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


def _describe_pdf(data: bytes, trust_roots: Sequence[Any], *, whole_file: bool) -> tuple[bool, str]:
    from dsvdesk.export.verify import VerificationError, verify_pdf

    try:
        result = verify_pdf(data, trust_roots)
    except VerificationError as exc:
        return False, exc.message
    signers = ", ".join(dict.fromkeys(s.signer for s in result.signatures)) or "unknown signer"
    if not result.all_good:
        bad = next(s for s in result.signatures if not s.ok)
        return False, f"signature by {signers}: {bad.verdict()}"
    if whole_file and any(s.changed_after_signing for s in result.signatures):
        return False, f"signature by {signers} is good, but something was added after signing"
    return True, f"signature by {signers} is good and trusted"


def verify_pack(  # noqa: C901, PLR0912 - checks each kind of file in turn; left whole while this module is changed in parallel (issue 13)
    path: Path, trust_roots: Sequence[Any] | None = None
) -> PackVerification:
    """Check a pack (zip or folder): the signed manifest, every hash and size, every signature.

    `trust_roots` are `cryptography` certificates of station CAs the checker trusts. With None, the
    pack's own station_ca.pem is used and the result says so (a pack cannot vouch for itself against
    a forger who re-signs everything with a new CA; give the CA you hold to rule that out)."""
    from cryptography import x509

    files = read_pack(Path(path))
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

    roots = list(trust_roots or [])
    trust_note = ""
    if not roots and CA_FILE in files:
        try:
            roots = list(x509.load_pem_x509_certificates(files[CA_FILE]))
            trust_note = f" (trusting the pack's own {CA_FILE}; give --trust to use a CA you hold)"
        except ValueError:
            roots = []

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
        good, message = _describe_pdf(files[part_a_name], roots, whole_file=True)
        if part_a_name != PART_A_PDF:
            checks.append(
                FileCheck(part_a_name, False, f"RENAMED: this is {PART_A_PDF} under another name; {message}")
            )
            checks.append(FileCheck(PART_A_PDF, False, f"MISSING (found renamed as {part_a_name})"))
        else:
            checks.append(FileCheck(PART_A_PDF, good, message + "; holds the signed manifest" + trust_note))

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
    present_hashes = {name: _sha256(data) for name, data in files.items()}
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
            good, message = _describe_pdf(data, roots, whole_file=True)
            checks.append(FileCheck(name, good, f"hash matches; {message}"))
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


# ------------------------------------------------------------------ from the store (CLI and app)

PART_A_PURPOSE = "Part A figures for the Board report"
COMBINATION_REASON = (
    "Board report Part A: the same victim (name and date of birth) in an earlier record within 12 months"
)
PACK_JUSTIFICATION = "Board pack export for the Domestic and Sexual Violence Board"


def part_a_source_form(specs: Mapping[str, FormSpec]) -> str:
    """The id of the form whose records Part A counts: the one with `options: part_a_source: true`.

    Until a form says so, the one form whose `columns` provide every Part A column is used; more than
    one candidate is ambiguous and refused with the fix named."""
    from dsvdesk.reporting.parta import COLUMNS

    marked = [form_id for form_id, spec in specs.items() if spec.options.get("part_a_source") is True]
    if len(marked) == 1:
        return marked[0]
    if len(marked) > 1:
        raise PackError(
            f"More than one form says `part_a_source: true` ({', '.join(sorted(marked))}); keep it on the "
            "investigation form only."
        )
    complete = [form_id for form_id, spec in specs.items() if set(COLUMNS) <= set(spec.columns)]
    if len(complete) == 1:
        return complete[0]
    raise PackError(
        "DSVDesk cannot tell which form's records Part A counts. Add `options: {part_a_source: true}` to the "
        "investigation form (forms/124d.yaml) and restart."
    )


def read_part_a(store: Store, session: Session, period: Period, *, spec: FormSpec) -> PartA:
    """Part A for `period` from the store's records of the form `spec` (its vocabulary names the grades,
    bands, criteria and age bands), without linking anything: SQLite counts the approved records
    in groups and hands over only the records whose victim recurs (``queries.fetch_period_counts``);
    `parta` matches those and turns the counts into figures. The read is logged as one consultation."""
    from dsvdesk.engine.vocabulary import vocabulary_of
    from dsvdesk.reporting import parta, queries

    vocabulary = vocabulary_of(spec)
    vocabulary.require_risk("Part A")

    found: list[tuple[list[RepeatMatch], int]] = []

    def match(keys: list[tuple[Any, ...]]) -> list[str]:
        found.append(parta.repeat_matches_of(keys, period))
        return [m.record_id for m in found[-1][0]]

    read = queries.fetch_period_counts(
        store,
        session,
        form_id=spec.id,
        start=period.lookback_start,
        end=period.end,
        purpose=PART_A_PURPOSE,
        shared_columns=parta.SHARED_COLUMNS,
        presence_column=parta.PRESENCE_COLUMN,
        dob_column=parta.DOB_COLUMN,
        age_floors=[floor for floor, _key in parta.age_floors(vocabulary)],
        match=match,
        detail_from=period.start,
    )
    matches, repeat_victims = found[-1]
    return parta.compute_part_a_from_counts(
        read.started, read.groups, read.matched_groups, matches, repeat_victims, period, vocabulary=vocabulary
    )


def part_a_from_store(store: Store, session: Session, period: Period, *, spec: FormSpec) -> PartA:
    """Part A for `period` from the store (`read_part_a`), and "combination" audit events for every
    repeat-victim match (DPA 2018 s.62: records linked to each other), written in one transaction."""
    from dsvdesk.reporting import queries

    part_a = read_part_a(store, session, period, spec=spec)
    queries.record_combinations(  # a pair an earlier run logged is not linked anew (architecture.md)
        store,
        session,
        [[m.record_id, *m.earlier_record_ids] for m in part_a.repeat_matches],
        COMBINATION_REASON,
        only_new=True,
    )
    log.info(
        "Part A computed for %s..%s: %d record(s), %d repeat match(es)",
        period.start.isoformat(),
        period.end.isoformat(),
        part_a.records,
        len(part_a.repeat_matches),
    )
    return part_a


def _report_spec_check(spec: FormSpec, record_id: str) -> None:
    if not any(q.tag_value("board") == "paragraphs" for _s, _p, q in spec.iter_questions()):
        raise PackError(
            f"Record {record_id} is a '{spec.title}', not a Board report, so it has no board pack."
        )


def export_board_pack(
    store: Store,
    session: Session,
    report_id: str,
    out_dir: Path,
    *,
    password: str,
    specs: Mapping[str, FormSpec],
    now: datetime | None = None,
    justification: str | None = None,
) -> PackResult:
    """Everything `dsvdesk pack` and the app's Export do: check, compute, render, sign, log, write.

    `justification` is the reason recorded for the disclosure (what the user typed in the pack dialog);
    None or blank records the standard `PACK_JUSTIFICATION`. The disclosure to the Board is logged
    before the files exist, so a failed write shows as an attempted disclosure, never the other way
    round."""
    from dsvdesk.engine.completeness import evaluate, visible_answers
    from dsvdesk.export.report_pdf import board_report_from_answers
    from dsvdesk.reporting import queries

    queries.require_reporting_role(session, "export board packs")
    reason = " ".join((justification or "").split()) or PACK_JUSTIFICATION
    out_dir = Path(out_dir).expanduser()
    if not out_dir.is_dir():
        raise PackError(f"The folder {out_dir} does not exist. Create it, or choose another with --out.")
    moment = now or datetime.now(UTC).replace(microsecond=0)
    record = store.open_record(session, report_id, justification=PACK_JUSTIFICATION)
    _report_spec_check(record.spec, record.id)
    problems = evaluate(record.spec, record.answers).errors
    if problems:
        listed = "; ".join(p.message.rstrip(".") for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PackError(
            f"The report is not complete yet: {listed}{more}. Finish it in the report wizard, then export."
        )
    settings = store.get_settings()
    report = board_report_from_answers(
        record.spec,
        visible_answers(record.spec, record.answers),
        report_id=record.id,
        revision=record.revision,
        marking=settings.marking or None,
    )
    period = report.header.period
    if period is None:
        raise PackError(
            "The report has no valid period (from and to dates); set it on the report's first page."
        )
    source = specs[part_a_source_form(specs)]
    part_a = part_a_from_store(store, session, period, spec=source).with_entered(report.entered)
    identity = store.unlock_signing_identity(session, password)
    ca_pem = store.station_ca_pem()
    if ca_pem is None:
        raise PackError(
            "This database has no station CA, so nothing can be signed; run `dsvdesk init` first."
        )
    user = session.user
    who = f"{user.full_name} ({user.collar})" if user.collar else user.full_name
    files = build_pack_files(
        report,
        part_a,
        identity=identity,
        ca_pem=ca_pem,
        exporter=f"{user.username} ({user.full_name})",
        exported_at=moment,
        location=settings.station_name or user.station,
        signer_lines=[who],
    )
    store.record_disclosure(
        session,
        record.id,
        BOARD_RECIPIENT,
        reason,
        f"board pack, report revision {record.revision}, Part A {period.start.isoformat()}..{period.end.isoformat()}",
    )
    base = "_".join(
        part
        for part in (
            "board_pack",
            f"report{safe_name(report.header.report_number, '')}",
            safe_name(report.header.borough, ""),
            moment.strftime("%Y%m%d"),
        )
        if part and part != "report"
    )
    return write_pack(files, out_dir, base_name=base, exported_at=moment)
