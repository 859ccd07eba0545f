"""PAdES signatures on record PDFs (pyHanko, imported only when signing).

The record PDF gets both empty signature fields (`OfficerSignature`, `SupervisorSignature`) in one
incremental update before anyone signs: a field added after the first signature would count as a
change to the signed document (docs/stack.md §6). The officer signs at submission; the
supervisor countersigns the same bytes as a further incremental update, so the officer's signature
stays valid. No timestamp server, OCSP or CRL is ever contacted (PAdES B-B).

The approved document (issue 21) is a new PDF whose body says what was approved (URN, status Approved,
the supervisor's grade, rationale, QA checklist, MARAC decision, comments). The officer's signed PDF is
embedded in it unchanged as an attachment (`OFFICER_ATTACHMENT`), so the officer's signature stays over
exactly what the officer signed, and the supervisor signs the whole approved document, attachment
included. `prepare_approval_document` adds the attachment, the XMP metadata and the one empty field;
`attached_submission` reads the officer's PDF back out for verification.

Every prepared document carries XMP metadata (title = URN or record id, author = officer, subject,
keywords, and the protective marking as `dsvdesk:ProtectiveMarking`) written with pyHanko in the same
incremental update as the fields, i.e. before anyone signs.

Each signature dictionary carries the audit chain's head at signing time in its build properties
(``/Prop_Build /App`` keys ``/DSVDeskAuditSeq`` and ``/DSVDeskAuditHash``), inside the bytes the signature covers, so
``dsvdesk audit verify --against FILE`` can prove the station's log still holds it. A signer whose
station CA is not certified by a force says so on the stamp.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dsvdesk.errors import UserFacingError
from dsvdesk.export import fonts, page
from dsvdesk.export.page import SIGNATURE_BOXES, SIGNATURE_FIELD_NAMES

log = logging.getLogger("dsvdesk.sign")

OFFICER_FIELD, SUPERVISOR_FIELD = page.OFFICER_FIELD, page.SUPERVISOR_FIELD
# The attachment of the approved document that holds the officer's signed submission.
OFFICER_ATTACHMENT = "officer-signed-submission.pdf"
XMP_NAMESPACE = "https://dsvdesk.invalid/ns/xmp/1.0/"
XMP_PREFIX = "dsvdesk"
SUBMIT_REASON = "Submitted as true and complete"
APPROVE_REASON = "Quality assured"
STAMP_FONT_SIZE = 8
# Characters per stamp line that fit the signature box at STAMP_FONT_SIZE (DejaVu, average glyph).
STAMP_LINE_CHARS = 52
STAMP_MAX_LINES = 9
NOT_CERTIFIED_LINE = "Station CA not certified by a force"


class SigningIdentityLike(Protocol):
    """What signing needs from `dsvdesk.store.pki.SigningIdentity` (cryptography objects)."""

    @property
    def private_key(self) -> Any: ...

    @property
    def certificate(self) -> Any: ...

    @property
    def ca_certificate(self) -> Any: ...

    @property
    def chain(self) -> Sequence[Any]: ...


class SigningFailed(UserFacingError):
    """The PDF could not be signed (not a PDF, field missing or already signed)."""

    title = "Could not sign"


def _reader_error(exc: Exception) -> SigningFailed:
    return SigningFailed(f"This document could not be signed because it is not a readable PDF ({exc}).")


@dataclass(frozen=True, slots=True)
class DocumentMetadata:
    """What `pdfinfo` and the XMP packet say about a prepared document."""

    title: str  # the URN once allocated, else the record id
    author: str  # the officer
    subject: str
    keywords: tuple[str, ...]
    marking: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file embedded in a PDF before it is signed, so the signature covers it."""

    file_name: str
    data: bytes
    description: str
    mime_type: str = "application/pdf"


def _set_metadata(writer: Any, metadata: DocumentMetadata | None) -> None:
    if metadata is None:
        return
    from pyhanko.pdf_utils.metadata import model, xmp_xml

    if model.NS.get(XMP_PREFIX) != XMP_NAMESPACE:  # "dsvdesk:" rather than "ns0:" in the packet
        model.NS[XMP_PREFIX] = XMP_NAMESPACE
        xmp_xml.register_namespaces()  # type: ignore[no-untyped-call] # pyHanko helper is untyped
    meta = writer.document_meta
    meta.title = metadata.title
    meta.author = metadata.author
    meta.subject = metadata.subject
    meta.keywords = list(metadata.keywords)
    marking = model.ExpandedName(ns=XMP_NAMESPACE, local_name="ProtectiveMarking")
    meta.xmp_extra = [model.XmpStructure.of((marking, model.XmpValue(metadata.marking)))]


def prepare_signature_fields(
    pdf_bytes: bytes,
    *,
    fields: Sequence[str] = SIGNATURE_FIELD_NAMES,
    metadata: DocumentMetadata | None = None,
    attachments: Sequence[Attachment] = (),
) -> bytes:
    """Add the empty signature fields to the last page (in the boxes the renderer left free), the XMP
    metadata and any attachments, in one incremental update (the record PDFs and the Board pack's PDFs)."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
        _set_metadata(writer, metadata)
        for item in attachments:
            stream = embed.EmbeddedFileObject.from_file_data(
                writer,
                item.data,
                params=embed.EmbeddedFileParams(embed_size=True, embed_checksum=True),
                mime_type=item.mime_type,
            )
            spec = embed.FileSpec(
                file_spec_string=item.file_name,
                file_name=item.file_name,
                embedded_data=stream,
                description=item.description,
            )
            embed.embed_file(writer, spec)
        for name in fields:
            append_signature_field(writer, SigFieldSpec(name, on_page=-1, box=SIGNATURE_BOXES[name]))
        out = io.BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call] # pyHanko's writer is untyped
    except PdfError as exc:
        raise _reader_error(exc) from exc
    return out.getvalue()


def prepare_approval_document(approved_pdf: bytes, officer_pdf: bytes, metadata: DocumentMetadata) -> bytes:
    """The approved document ready for the supervisor: the officer's signed PDF attached unchanged, XMP
    metadata, and the one empty `SupervisorSignature` field."""
    return prepare_signature_fields(
        approved_pdf,
        fields=(SUPERVISOR_FIELD,),
        metadata=metadata,
        attachments=(
            Attachment(
                OFFICER_ATTACHMENT,
                officer_pdf,
                "The officer's signed submission, exactly as the officer signed it",
            ),
        ),
    )


def attached_submission(pdf_bytes: bytes) -> bytes | None:
    """The officer's signed PDF embedded in an approved document, or None (a submission has none)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    def deref(value: Any) -> Any:
        return value.get_object() if hasattr(value, "get_object") else value

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        names = deref(reader.root.get("/Names"))
        tree = deref(names.get("/EmbeddedFiles")) if names is not None else None
        entries: Any = (deref(tree.get("/Names")) if tree is not None else None) or ()
        for index in range(0, len(entries) - 1, 2):
            if str(deref(entries[index])) == OFFICER_ATTACHMENT:
                spec: Any = deref(entries[index + 1])
                stream = deref(deref(spec["/EF"])["/F"])
                return bytes(stream.data)
    except (PdfError, KeyError, TypeError, ValueError, AttributeError):
        return None
    return None


def _stamp_text(lines: Sequence[str]) -> str:
    """Stamp lines wrapped to the box; `%` escaped because pyHanko %-formats the template."""
    wrapped: list[str] = []
    for line in lines:
        text = " ".join(line.split())  # no line breaks or tabs from user text inside one stamp line
        while len(text) > STAMP_LINE_CHARS:
            cut = text.rfind(" ", 0, STAMP_LINE_CHARS)
            cut = cut if cut > STAMP_LINE_CHARS // 2 else STAMP_LINE_CHARS
            wrapped.append(text[:cut].rstrip())
            text = text[cut:].lstrip()
        wrapped.append(text)
    if len(wrapped) > STAMP_MAX_LINES:
        wrapped = [
            *wrapped[: STAMP_MAX_LINES - 1],
            wrapped[STAMP_MAX_LINES - 1][: STAMP_LINE_CHARS - 1] + "…",
        ]
    return "\n".join(w.replace("%", "%%") for w in wrapped)


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters (for a rationale on a stamp)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _pyhanko_signer(identity: SigningIdentityLike) -> Any:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_der = identity.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    def to_asn1(cert: Any) -> Any:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    others = [to_asn1(c) for c in (identity.ca_certificate, *identity.chain) if c is not None]
    return signers.SimpleSigner(
        signing_cert=to_asn1(identity.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(others),  # type: ignore[no-untyped-call]
    )


def _bytes_reserved(identity: SigningIdentityLike) -> int:
    """Room for the CMS blob: the certificates it embeds plus signature and attributes, with margin.

    Giving pyHanko the size up front spares it a dry-run signature (half the signing time).
    """
    from cryptography.hazmat.primitives import serialization

    certs = [identity.certificate, identity.ca_certificate, *identity.chain]
    der_total = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certs if c is not None)
    return 2 * (8192 + der_total)  # pyHanko counts the hex digits of /Contents: two per byte


def force_certified(identity: SigningIdentityLike) -> bool:
    """True when the signer's chain holds a station CA issued by someone else (the force root)."""
    from cryptography import x509

    for cert in (identity.ca_certificate, *identity.chain):
        if cert is None:
            continue
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if is_ca and cert.issuer != cert.subject:
            return True
    return False


def _build_props(audit_head: tuple[int, str] | None) -> Any:
    """pyHanko build properties naming DSVDesk, with the audit head as an extra key."""
    from dataclasses import dataclass

    from pyhanko.pdf_utils import generic
    from pyhanko.sign.signers.pdf_byterange import BuildProps

    from dsvdesk import __version__

    @dataclass(frozen=True)
    class _Props(BuildProps):
        head: tuple[int, str] | None = None

        def as_pdf_object(self) -> generic.DictionaryObject:
            props = super().as_pdf_object()
            if self.head:
                props[generic.NameObject("/DSVDeskAuditSeq")] = generic.NumberObject(self.head[0])  # type: ignore[no-untyped-call]
                props[generic.NameObject("/DSVDeskAuditHash")] = generic.TextStringObject(self.head[1])
            return props

    return _Props(name="DSVDesk", revision=__version__, head=audit_head)


def signer_display_name(identity: SigningIdentityLike) -> str:
    from cryptography.x509.oid import NameOID

    names = identity.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else identity.certificate.subject.rfc4514_string()


def sign_pdf(
    pdf_bytes: bytes,
    identity: SigningIdentityLike,
    *,
    field: str,
    reason: str,
    location: str,
    stamp_lines: Sequence[str],
    metadata: DocumentMetadata | None = None,
    audit_head: tuple[int, str] | None = None,
) -> bytes:
    """Sign into an existing empty field as an incremental update (PAdES B-B, visible stamp).

    `metadata` is written again with the signature (pyHanko rewrites the XMP packet when it signs and
    would otherwise drop the protective marking).

    `stamp_lines` are printed in the stamp (name, collar number, reason, station ...), followed by
    "Station CA not certified by a force" when that is so, and the signing time. `audit_head`
    ((seq, hash), `AuditHead.pair()`) goes into the signature's build properties. Returns the whole
    signed file.
    """
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields as sig_fields
    from pyhanko.sign import signers
    from pyhanko.sign.general import SigningError
    from pyhanko.stamp import TextStampStyle

    if field not in SIGNATURE_FIELD_NAMES:
        raise ValueError(f"unknown signature field {field!r}")
    extra = [] if force_certified(identity) else [NOT_CERTIFIED_LINE]
    text = _stamp_text([*stamp_lines, *extra])
    font_file = fonts.stamp_font_path(text)
    style = TextStampStyle(
        stamp_text=text + "\nSigned: %(ts)s",
        timestamp_format="%d/%m/%Y %H:%M %Z",
        border_width=1,
        text_box_style=TextBoxStyle(
            font=GlyphAccumulatorFactory(str(font_file), font_size=STAMP_FONT_SIZE),
            font_size=STAMP_FONT_SIZE,
            leading=STAMP_FONT_SIZE + 2,
        ),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=sig_fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name=signer_display_name(identity),
        app_build_props=_build_props(audit_head),
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
        _set_metadata(writer, metadata)
        existing = {name: value for name, value, _ref in sig_fields.enumerate_sig_fields(writer)}
        if field not in existing:
            raise SigningFailed(
                f"The document has no '{field}' signature box. It was not prepared for signing; "
                "produce it again from the record."
            )
        if existing[field] is not None:
            raise SigningFailed(f"The '{field}' box of this document is already signed.")
        out = io.BytesIO()
        pdf_signer = signers.PdfSigner(meta, signer=_pyhanko_signer(identity), stamp_style=style)
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=_bytes_reserved(identity))
    except (PdfError, SigningError) as exc:
        raise _reader_error(exc) from exc
    log.info("signed field %s (%d bytes)", field, len(out.getvalue()))
    return out.getvalue()


def countersign_pdf(
    pdf_bytes: bytes,
    identity: SigningIdentityLike,
    *,
    location: str,
    stamp_lines: Sequence[str],
    audit_head: tuple[int, str] | None = None,
) -> bytes:
    """The supervisor's approval signature, into the `SupervisorSignature` field."""
    return sign_pdf(
        pdf_bytes,
        identity,
        field=SUPERVISOR_FIELD,
        reason=APPROVE_REASON,
        location=location,
        stamp_lines=stamp_lines,
        audit_head=audit_head,
    )
