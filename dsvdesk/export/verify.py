"""Check the signatures of a record PDF against the station CA (pyHanko, no network).

A signature is good when it is intact (the signed bytes are unchanged), valid (the cryptography checks
out), trusted (its certificate chains to a given trust root) and nothing but form filling or further
signatures was added after it. pyHanko's `bottom_line` combines these; `valid` alone can still be
True on an altered file (docs/stack.md §5c), so it is never used on its own.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dsvdesk.errors import ExitCode, UserFacingError

log = logging.getLogger("dsvdesk.sign")


class VerificationError(UserFacingError):
    """The file cannot be checked at all (not a PDF, no signature)."""

    title = "Cannot check signatures"
    exit_code = ExitCode.BAD_INPUT


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    field: str
    signer: str  # certificate common name
    collar: str  # certificate serialNumber attribute (collar number), "" when absent
    reason: str
    location: str
    signing_time: datetime | None  # as the signer's computer reported it (no timestamp server)
    intact: bool
    valid: bool
    trusted: bool
    coverage: str  # ENTIRE_FILE | ENTIRE_REVISION | ...
    modification_level: str  # NONE | FORM_FILLING | ANNOTATIONS | OTHER | "" (unknown)
    bottom_line: bool
    # "" for a signature of the file itself; the attachment's name for one inside an attached signed PDF
    # (the officer's signed submission inside an approved document, export/signing.py)
    attachment: str = ""

    @property
    def changed_after_signing(self) -> bool:
        """Anything at all was appended after this signature (e.g. a countersignature)."""
        return self.coverage != "ENTIRE_FILE"

    @property
    def altered_after_signing(self) -> bool:
        """Something other than filling in form fields or adding signatures happened afterwards."""
        return self.modification_level not in ("NONE", "LTA_UPDATES", "FORM_FILLING")

    @property
    def ok(self) -> bool:
        return self.bottom_line and self.intact and self.valid and self.trusted

    def verdict(self) -> str:
        if not self.intact:
            return "ALTERED: the signed content has been changed since it was signed"
        if not self.valid:
            return "INVALID: the signature does not match its certificate"
        if not self.trusted:
            return "NOT TRUSTED: the signer's certificate is not from a trusted station CA"
        if self.altered_after_signing:
            return "CHANGED AFTER SIGNING: the document was modified after this signature"
        if not self.bottom_line:
            return "NOT VALID: the signature failed a check"
        if self.changed_after_signing:
            return "GOOD (later signatures were added; the signed content is unchanged)"
        return "GOOD"


@dataclass(frozen=True, slots=True)
class PdfVerification:
    signatures: tuple[SignatureCheck, ...]

    @property
    def all_good(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures)

    def describe(self) -> list[str]:
        """Human-readable lines, one block per signature (CLI and UI)."""
        lines: list[str] = []
        for number, sig in enumerate(self.signatures, start=1):
            when = (
                sig.signing_time.strftime("%d/%m/%Y %H:%M:%S %Z").strip() if sig.signing_time else "unknown"
            )
            signer = f"{sig.signer} (collar {sig.collar})" if sig.collar else sig.signer
            lines += [
                f"Signature {number}: {sig.field}"
                + (f" (in the attached signed submission {sig.attachment})" if sig.attachment else ""),
                f"  Signer:   {signer}",
                f"  Reason:   {sig.reason or '-'}",
                f"  Location: {sig.location or '-'}",
                f"  Signed:   {when}",
                f"  Intact: {_yes(sig.intact)}   Valid: {_yes(sig.valid)}   Trusted: {_yes(sig.trusted)}   "
                f"Changed after signing: {_changes(sig)}",
                f"  Verdict:  {sig.verdict()}",
            ]
        return lines


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _changes(sig: SignatureCheck) -> str:
    if not sig.changed_after_signing:
        return "no"
    if sig.altered_after_signing:
        return "YES (content)"
    return "only later signatures/form fields"


def _read(source: bytes | Path) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except FileNotFoundError:
        raise VerificationError(f"There is no file at {source}.") from None
    except IsADirectoryError:
        raise VerificationError(f"{source} is a folder, not a PDF file.") from None
    except OSError as exc:
        raise VerificationError(f"{source} could not be read ({exc.strerror}).") from None


def _name_attribute(cert: Any, attribute: str) -> str:
    try:
        return str(cert.subject.native.get(attribute, "") or "")
    except (AttributeError, ValueError):
        return ""


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


def verify_pdf(source: bytes | Path, trust_roots: Sequence[Any]) -> PdfVerification:
    """One `SignatureCheck` per signature, in signing order; an approved document's attached signed
    submission (the officer's) is checked too and listed first, marked with its attachment name.

    `trust_roots` are `cryptography` certificates (the station CA); with none, every signature is
    reported untrusted. Raises `VerificationError` for a file that is not a PDF or has no signature.
    """
    data = _read(source)
    name = source.name if isinstance(source, Path) else "The file"
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise VerificationError(f"{name} is not a PDF file.")

    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    # pyHanko logs a failed certificate path with the certificate subject (a person's name) and a
    # traceback; names must never reach a log, and an untrusted signer is reported in the result anyway.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust_roots]
    # An explicit (possibly empty) list: never the operating system's trust store, never fetching.
    context_args: dict[str, Any] = {"allow_fetching": False, "trust_roots": roots}
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError) as exc:
        raise VerificationError(f"{name} is damaged and cannot be read as a PDF ({exc}).") from None
    if not embedded:
        raise VerificationError(f"{name} has no digital signature.")

    checks: list[SignatureCheck] = []
    for sig in embedded:
        context = ValidationContext(**context_args)
        try:
            status = validate_pdf_signature(sig, context)
        except (PdfError, ValueError) as exc:
            log.info("signature in field %s could not be validated: %s", sig.field_name, type(exc).__name__)
            checks.append(_broken(sig))
            continue
        sig_dict = sig.sig_object
        cert = status.signing_cert
        level = status.modification_level
        checks.append(
            SignatureCheck(
                field=_text(sig.field_name),
                signer=_name_attribute(cert, "common_name") or _text(sig_dict.get("/Name")),
                collar=_name_attribute(cert, "serial_number"),
                reason=_text(sig_dict.get("/Reason")),
                location=_text(sig_dict.get("/Location")),
                signing_time=status.signer_reported_dt,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted),
                coverage=status.coverage.name if status.coverage is not None else "",
                modification_level=level.name if level is not None else "",
                bottom_line=bool(status.bottom_line),
            )
        )
    checks = [*_attached_checks(data, trust_roots), *checks]
    result = PdfVerification(tuple(checks))
    log.info(
        "verified %d signature(s): %s",
        len(checks),
        ", ".join(f"{c.field}={'ok' if c.ok else 'bad'}" for c in checks),
    )
    return result


def _broken(sig: Any) -> SignatureCheck:
    sig_dict = sig.sig_object
    return SignatureCheck(
        field=_text(sig.field_name),
        signer=_text(sig_dict.get("/Name")),
        collar="",
        reason=_text(sig_dict.get("/Reason")),
        location=_text(sig_dict.get("/Location")),
        signing_time=None,
        intact=False,
        valid=False,
        trusted=False,
        coverage="",
        modification_level="",
        bottom_line=False,
    )


def _attached_checks(data: bytes, trust_roots: Sequence[Any]) -> list[SignatureCheck]:
    """The signatures of the officer's signed PDF attached to an approved document (none otherwise)."""
    import dataclasses

    from dsvdesk.export.signing import OFFICER_ATTACHMENT, attached_submission

    attached = attached_submission(data)
    if attached is None:
        return []
    try:
        inner = verify_pdf(attached, trust_roots)
    except VerificationError:
        return [
            SignatureCheck(
                field="OfficerSignature",
                signer="",
                collar="",
                reason="",
                location="",
                signing_time=None,
                intact=False,
                valid=False,
                trusted=False,
                coverage="",
                modification_level="",
                bottom_line=False,
                attachment=OFFICER_ATTACHMENT,
            )
        ]
    return [dataclasses.replace(check, attachment=OFFICER_ATTACHMENT) for check in inner.signatures]
