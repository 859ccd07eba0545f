"""The signed Board pack: compute Part A, render and sign both PDFs, log the disclosure, write a folder
and a zip of it. The pack's format (its files, the manifest and how it is protected) and its
verification are dsvdesk/export/board_pack.py.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import __version__
from dsvdesk.export.board_pack import (
    MANIFEST,
    MANIFEST_FORMAT,
    PART_A_CSV,
    PART_A_PDF,
    PART_B,
    PackError,
    sha256_hex,
)
from dsvdesk.export.report_pdf import (
    AUTHOR_FIELD,
    BoardReport,
    render_part_a_pdf,
    render_part_b_pdf,
    unresolved_tokens,
)
from dsvdesk.reporting.parta import PartA, Period, RepeatMatch, part_a_csv

if TYPE_CHECKING:
    from dsvdesk.engine.casework import CaseworkPolicy
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.export.signing import SigningIdentityLike
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session

log = logging.getLogger("dsvdesk.export")

BOARD_RECIPIENT = "Domestic and Sexual Violence Board"


# ------------------------------------------------------------------ writing


@dataclass(frozen=True, slots=True)
class PackResult:
    folder: Path
    zip_path: Path
    manifest: Mapping[str, Any]


def safe_name(text: str, fallback: str = "report", *, limit: int = 40) -> str:
    """A file-name part from user text: ASCII letters, digits, '-' and '_' only (no '/', '..', NUL), at
    most ``limit`` characters, never ending in a separator."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-")
    return cleaned[:limit].rstrip("_-") or fallback


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
    exporter: str,
    exported_at: datetime,
    location: str = "",
    signer_lines: Sequence[str] = (),
    audit_head: tuple[int, str] | None = None,
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
        audit_head=audit_head,
    )
    csv_bytes = part_a_csv(part_a).encode("utf-8-sig")  # the BOM makes spreadsheets read UTF-8 names
    files: dict[str, bytes] = {PART_B: part_b, PART_A_CSV: csv_bytes}
    certified = signing.force_certified(identity)
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
        "stations": list(part_a.coverage),  # which stations' records, up to which transfer bundle
        "exported_by": exporter,
        "exported_at": exported_at.astimezone(UTC).isoformat(timespec="seconds"),
        "dsvdesk_version": __version__,
        "audit_head": {"seq": audit_head[0], "hash": audit_head[1]} if audit_head else None,
        "station_ca_certified_by_force": certified,
        "trust_note": "" if certified else signing.NOT_CERTIFIED_LINE,
        "manifest_signature": f"embedded in {PART_A_PDF} before signing; its PAdES signature covers it",
        "files": [
            *({"name": name, "sha256": sha256_hex(data), "size": len(data)} for name, data in files.items()),
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
        audit_head=audit_head,
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
    # the parts are cut to 40 each already; the whole name keeps its date (cutting it at 40 left
    # "..._Islington_" with the date lost, issue 20)
    name = safe_name(base_name, "board_pack", limit=200)
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


# ------------------------------------------------------------------ from the store (CLI and app)

PART_A_PURPOSE = "Part A figures for the Board report"
COMBINATION_REASON = (
    "Board report Part A: the same victim (name and date of birth) in an earlier record within 12 months"
)
PACK_JUSTIFICATION = "Board pack export for the Domestic and Sexual Violence Board"


def casework_policy_of(specs: Mapping[str, FormSpec]) -> CaseworkPolicy | None:
    """The casework policy when the forms hold a casework form (else Part A has no casework figures)."""
    from dsvdesk.engine.casework import casework_policy, is_casework_form

    found = sorted((s for s in specs.values() if is_casework_form(s)), key=lambda s: s.id)
    return casework_policy(found[0]) if found else None


def part_a_source_form(specs: Mapping[str, FormSpec]) -> str:
    """The id of the form whose records Part A counts: the one with `options: part_a_source: true`.

    Until a form says so, the one form whose `columns` provide every Part A column is used; more than
    one candidate is ambiguous and refused with the fix named."""
    from dsvdesk.reporting.parta import FORM_COLUMNS

    marked = [form_id for form_id, spec in specs.items() if spec.options.get("part_a_source") is True]
    if len(marked) == 1:
        return marked[0]
    if len(marked) > 1:
        raise PackError(
            f"More than one form says `part_a_source: true` ({', '.join(sorted(marked))}); keep it on the "
            "investigation form only."
        )
    complete = [form_id for form_id, spec in specs.items() if set(FORM_COLUMNS) <= set(spec.columns)]
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
    part_a = parta.compute_part_a_from_counts(
        read.started, read.groups, read.matched_groups, matches, repeat_victims, period, vocabulary=vocabulary
    )
    # a CSU counts every station it imported (issue 17): say which (nothing counted on a plain station)
    coverage = store.transfer_coverage(imported_only=True)
    if coverage:
        part_a = part_a.with_coverage(c.describe() for c in coverage)
    return part_a


def part_a_from_store(
    store: Store, session: Session, period: Period, *, spec: FormSpec, casework: CaseworkPolicy | None = None
) -> PartA:
    """Part A for `period` from the store (`read_part_a`), and "combination" audit events for every
    repeat-victim match (DPA 2018 s.62: records linked to each other), written in one transaction.
    With the casework policy, the Victims' Code and referral figures of the cases opened in the period
    (``reporting.casework.part_a_figures``) come too."""
    from dsvdesk.reporting import queries

    part_a = read_part_a(store, session, period, spec=spec)
    if casework is not None:
        from dsvdesk.reporting.casework import part_a_figures

        part_a = part_a.with_casework(part_a_figures(store, session, casework, period))
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
    part_a = part_a_from_store(
        store, session, period, spec=source, casework=casework_policy_of(specs)
    ).with_entered(report.entered)
    identity = store.unlock_signing_identity(session, password)
    user = session.user
    who = f"{user.full_name} ({user.collar})" if user.collar else user.full_name
    files = build_pack_files(
        report,
        part_a,
        identity=identity,
        exporter=f"{user.username} ({user.full_name})",
        exported_at=moment,
        location=settings.station_name or user.station,
        signer_lines=[who],
        audit_head=store.audit_head().pair(),
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
