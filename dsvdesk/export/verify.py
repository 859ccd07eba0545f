"""Check the signatures of a record PDF against trust anchors the checker holds (pyHanko, no network).

A signature is good when it is intact (the signed bytes are unchanged), valid (the cryptography checks
out), trusted (its certificate chains to a given trust root) and nothing but form filling or further
signatures was added after it. pyHanko's `bottom_line` combines these; `valid` alone can still be
True on an altered file (docs/stack.md §5c), so it is never used on its own.

Trust never comes from the file under check: the roots are the force root (``--trust``, or the one
installed at this station) or, at a station not yet certified by a force, its own CA. A result is one
of three `Outcome`s: intact and trusted, intact but signed by someone nobody vouches for (anyone could
have made it), or altered/invalid.
"""

from __future__ import annotations

import enum
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dsvdesk.errors import ExitCode, UserFacingError

log = logging.getLogger("dsvdesk.sign")


class VerificationError(UserFacingError):
    """The file cannot be checked at all (not a PDF, no signature)."""

    title = "Cannot check signatures"
    exit_code = ExitCode.BAD_INPUT


class Outcome(enum.Enum):
    """The three answers a check gives, with the `dsvdesk verify` exit code of each."""

    TRUSTED = ExitCode.OK  # intact, and every signer chains to a root the checker holds
    FAILED = ExitCode.VERIFICATION_FAILED  # altered, invalid or unreadable: do not rely on it
    UNTRUSTED = ExitCode.UNTRUSTED_SIGNER  # intact, but a signer is vouched for by nobody the checker trusts

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode(self.value)


UNTRUSTED_WARNING = (
    "NOT TRUSTED: the file is unchanged since it was signed, but nobody you trust vouches for the signer. "
    "Anyone could have made a document like this; do not rely on it until it checks against the force root "
    "(dsvdesk verify FILE --trust FORCE_ROOT.pem)."
)
FAILED_WARNING = (
    "WARNING: this file has been altered since it was signed, or a signature is broken. Do not rely on it; "
    "ask for a fresh export."
)


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
    distrust: str = ""  # why the signer is not trusted (revoked, expired, unknown root), when known

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
        return self.bottom_line and self.intact and self.valid and self.trusted and not self.distrust

    @property
    def broken(self) -> bool:
        """Altered or invalid: worse than untrusted."""
        return (
            not self.intact
            or not self.valid
            or self.altered_after_signing
            or (self.trusted and not self.distrust and not self.bottom_line)
        )

    def verdict(self) -> str:
        if not self.intact:
            return "ALTERED: the signed content has been changed since it was signed"
        if not self.valid:
            return "INVALID: the signature does not match its certificate"
        if self.distrust:
            return f"NOT TRUSTED: {self.distrust}"
        if not self.trusted:
            return (
                "NOT TRUSTED: the signer's certificate does not lead to a root you trust; anyone could have "
                "made this signature"
            )
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

    @property
    def outcome(self) -> Outcome:
        if not self.signatures or any(s.broken for s in self.signatures):
            return Outcome.FAILED
        return Outcome.TRUSTED if self.all_good else Outcome.UNTRUSTED

    def summary(self) -> str:
        """One sentence for the whole file (the CLI's last line, the app's headline)."""
        outcome = self.outcome
        if outcome is Outcome.TRUSTED:
            return f"All {len(self.signatures)} signature(s) are intact and trusted."
        if outcome is Outcome.UNTRUSTED:
            return UNTRUSTED_WARNING
        return FAILED_WARNING

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


def verify_pdf(
    source: bytes | Path,
    trust_roots: Sequence[Any],
    *,
    intermediates: Sequence[Any] = (),
    revocations: Sequence[Any] = (),
) -> PdfVerification:
    """One `SignatureCheck` per signature, in signing order; an approved document's attached signed
    submission (the officer's) is checked too and listed first, marked with its attachment name.

    `trust_roots` are `cryptography` certificates the checker holds (a force root, or a station's own
    CA); with none, every signature is reported untrusted. `intermediates` may complete a path (the
    station CA certificate the force issued); `revocations` are `forceca.Revocation` entries from a
    revocation list the checker imported. Nothing in the file is ever trusted. Raises
    `VerificationError` for a file that is not a PDF or has no signature.
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

    def to_asn1(cert: Any) -> Any:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    # An explicit (possibly empty) list: never the operating system's trust store, never fetching.
    context_args: dict[str, Any] = {
        "allow_fetching": False,
        "trust_roots": [to_asn1(c) for c in trust_roots],
        "other_certs": [to_asn1(c) for c in intermediates],
    }
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
                distrust=_distrust(sig, cert, revocations, trusted=bool(status.trusted)),
            )
        )
    checks = [*_attached_checks(data, trust_roots, intermediates, revocations), *checks]
    result = PdfVerification(tuple(checks))
    log.info(
        "verified %d signature(s): %s",
        len(checks),
        ", ".join(f"{c.field}={'ok' if c.ok else 'bad'}" for c in checks),
    )
    return result


def _distrust(sig: Any, signing_cert: Any, revocations: Sequence[Any], *, trusted: bool) -> str:
    """Why a signer is not to be trusted when a reason is known: a revoked certificate in its chain,
    or a certificate outside its validity dates ("" otherwise)."""
    from cryptography import x509

    from dsvdesk.store import forceca

    if revocations:
        embedded = [signing_cert]
        try:
            embedded += [c.chosen for c in sig.signed_data["certificates"]]
        except (KeyError, TypeError, AttributeError):
            pass
        for cert in embedded:
            try:
                crypto_cert = x509.load_der_x509_certificate(cert.dump())
            except (ValueError, AttributeError):
                continue
            entry = forceca.revoked_entry(crypto_cert, list(revocations))
            if entry is not None:
                who = _name_attribute(cert, "common_name") or "a certificate in the signer's chain"
                return (
                    f"the certificate of {who} was revoked by the force on {entry.revoked_at:%d/%m/%Y}; "
                    "anyone holding its key could have made this signature"
                )
    if trusted or signing_cert is None:
        return ""
    try:
        validity = signing_cert["tbs_certificate"]["validity"]
        start, end = validity["not_before"].native, validity["not_after"].native
    except (KeyError, TypeError, AttributeError):
        return ""
    now = datetime.now(UTC)
    if end < now:
        return f"the signer's certificate expired on {end:%d/%m/%Y}"
    if start > now:
        return f"the signer's certificate is not valid until {start:%d/%m/%Y}"
    return ""


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


def _attached_checks(
    data: bytes, trust_roots: Sequence[Any], intermediates: Sequence[Any], revocations: Sequence[Any]
) -> list[SignatureCheck]:
    """The signatures of the officer's signed PDF attached to an approved document (none otherwise)."""
    import dataclasses

    from dsvdesk.export.signing import OFFICER_ATTACHMENT, attached_submission

    attached = attached_submission(data)
    if attached is None:
        return []
    try:
        inner = verify_pdf(attached, trust_roots, intermediates=intermediates, revocations=revocations)
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
