"""Bare-dependency floors: what sqlite3, reportlab + pyHanko and PySide6 do at best for each path.

Each floor does the same work as DSVDesk's path with nothing of DSVDesk in between: the same SQL on
the same database file and pragmas, the same story content in a plain reportlab document signed by a
plain pyHanko signer, a bare QApplication + QMainWindow. Floors never import dsvdesk beyond
``dsvdesk.paths`` (to find the shipped fonts, which both sides embed).
"""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsvdesk import paths

CHILDREN = Path(__file__).resolve().parent / "children"

# ------------------------------------------------------------------------------------------ processes


class ChildFailed(RuntimeError):
    """A benchmark child process did not reach its marker line."""


def time_to_marker(
    argv: Sequence[str], *, marker: str = "SHOWN", env: dict[str, str] | None = None, timeout: float = 60.0
) -> tuple[float, str]:
    """Wall time (ms) from spawning ``argv`` to the child printing a line starting with ``marker``.

    The parent's clock includes interpreter start-up and imports: that is what a user waits for.
    Returns the time and the marker line; the child is killed as soon as the marker arrives.
    """
    start = time.perf_counter()
    with subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if line.startswith(marker):
                    elapsed = (time.perf_counter() - start) * 1000.0
                    return elapsed, line.strip()
                if time.perf_counter() - start > timeout:
                    break
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=timeout)
        stderr = proc.stderr.read() if proc.stderr else ""
    tail = "\n".join(stderr.strip().splitlines()[-8:])
    raise ChildFailed(f"{Path(argv[-1]).name if argv else '?'} exited without '{marker}': {tail}")


def bare_window_start(env: dict[str, str]) -> float:
    """Cold start of a bare PySide6 QApplication + QMainWindow, to its first paint (ms)."""
    elapsed, _ = time_to_marker([sys.executable, str(CHILDREN / "bare_window.py")], env=env)
    return elapsed


# ------------------------------------------------------------------------------------------- sqlite


@dataclass
class RawUpdate:
    """The autosave floor: one UPDATE of a record's JSON document, committed, on its own connection.

    ``sql`` and the parameters come from the caller (who read the store's schema), so floor and path
    write the same column of the same row in the same file with the same pragmas.
    """

    connection: sqlite3.Connection
    sql: str

    def run(self, params: Sequence[Any]) -> None:
        with self.connection:  # commit, as an autosave must
            self.connection.execute(self.sql, params)


def raw_query(connection: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """The list/search floor: the same query, fully fetched."""
    return connection.execute(sql, params).fetchall()


# ---------------------------------------------------------------------------------- reportlab + sign

StoryPage = tuple[str, list[tuple[str, str, str]]]  # (heading, [(number, label, answer)])


_FONTS_READY = False


def _register_fonts() -> None:
    global _FONTS_READY  # noqa: PLW0603 - reportlab's font registry is process-wide too
    if _FONTS_READY:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = paths.fonts_dir()
    pdfmetrics.registerFont(TTFont("FloorSans", str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("FloorSans-Bold", str(fonts / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont("FloorCJK", str(fonts / "WenQuanYiMicroHei-upem1000.ttf")))
    _FONTS_READY = True


def _cjk_runs(text: str) -> str:
    from xml.sax.saxutils import escape

    out: list[str] = []
    for char in text:
        piece = escape(char) if char != "\n" else "<br/>"
        if 0x3000 <= ord(char) <= 0x9FFF or 0xAC00 <= ord(char) <= 0xD7AF:
            piece = f'<font name="FloorCJK">{piece}</font>'
        out.append(piece)
    return "".join(out)


def bare_story_pdf(title: str, marking: str, pages: list[StoryPage]) -> bytes:
    """A plain reportlab document with the same content: title, a heading and a 3-column table per
    page, the marking in every page header, DejaVu embedded (as DSVDesk's PDFs are)."""
    _register_fonts()
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    body = ParagraphStyle("body", fontName="FloorSans", fontSize=9, leading=11)
    heading = ParagraphStyle("heading", fontName="FloorSans-Bold", fontSize=12, leading=15, spaceBefore=6)
    buffer = io.BytesIO()

    def header(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("FloorSans-Bold", 9)
        canvas.setFillColor(colors.red)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, marking)
        canvas.drawCentredString(A4[0] / 2, 8 * mm, f"{marking} — page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        invariant=1,
        initialFontName="FloorSans",
        topMargin=20 * mm,
        bottomMargin=18 * mm,
    )
    story: list[Any] = [Paragraph(_cjk_runs(title), heading)]
    for page_title, rows in pages:
        story.append(Paragraph(_cjk_runs(page_title), heading))
        if rows:
            data = [
                [Paragraph(n, body), Paragraph(_cjk_runs(q), body), Paragraph(_cjk_runs(a), body)]
                for n, q, a in rows
            ]
            table = Table(data, colWidths=[12 * mm, 80 * mm, 78 * mm], repeatRows=0)
            table.setStyle(
                TableStyle(
                    [
                        ("FONT", (0, 0), (-1, -1), "FloorSans", 9),
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(table)
        story.append(Spacer(1, 4 * mm))
    doc.build(story, onFirstPage=header, onLaterPages=header)
    return buffer.getvalue()


@dataclass
class BareSigner:
    """A pyHanko signer over a throw-away RSA-2048 key and self-signed certificate (made once)."""

    signer: Any
    stamp_font: Path

    @classmethod
    def create(cls, common_name: str = "Floor Officer") -> BareSigner:
        import datetime

        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        asn_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        key_der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        signer = signers.SimpleSigner(
            signing_cert=asn_cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([asn_cert]),
        )
        return cls(signer=signer, stamp_font=paths.fonts_dir() / "DejaVuSans-upem1000.ttf")

    def sign(self, pdf: bytes, field_name: str = "OfficerSignature") -> bytes:
        """Two empty signature fields in one incremental update, then a PAdES B-B signature with a visible
        stamp in an embedded TTF into the first: the same steps DSVDesk takes, with nothing around them."""
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.sign import fields, signers
        from pyhanko.stamp import TextStampStyle

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        for index, name in enumerate((field_name, "SupervisorSignature")):
            left = 40 + index * 260
            fields.append_signature_field(
                writer, fields.SigFieldSpec(name, on_page=-1, box=(left, 40, left + 250, 110))
            )
        prepared = io.BytesIO()
        writer.write(prepared)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="I certify this assessment is accurate",
            location="Benchmark station",
        )
        style = TextStampStyle(
            stamp_text="Digitally signed by %(signer)s\nDate: %(ts)s",
            text_box_style=TextBoxStyle(
                font=GlyphAccumulatorFactory(str(self.stamp_font), font_size=7.5), font_size=7.5, leading=9
            ),
        )
        out = io.BytesIO()
        signing_writer = IncrementalPdfFileWriter(io.BytesIO(prepared.getvalue()))
        # The room for the signature given up front, as DSVDesk does (export/signing._bytes_reserved:
        # 8 KB plus the certificates, in hex digits): without it pyHanko makes a dry-run signature first,
        # and the floor was slower than DSVDesk (issue 22: a 0.80x ratio).
        reserved = 2 * (8192 + len(self.signer.signing_cert.dump()))
        signers.PdfSigner(meta, signer=self.signer, stamp_style=style).sign_pdf(
            signing_writer, output=out, bytes_reserved=reserved
        )
        return out.getvalue()
