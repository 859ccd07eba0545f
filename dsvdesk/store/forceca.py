"""The force certificate hierarchy with ``cryptography`` only: a force root CA kept by force ICT on an
offline machine, station CA certificates it issues from a station's certificate request, and a signed
revocation list (an X.509 CRL) carried into stations by file.

The chain a verifier walks: a user's certificate -> the station CA (issued by the force root) -> the
force root. The station CA certificate the force issues has the same subject and key as the station's
own self-signed one, so certificates issued before the station was certified still chain to the root.

A revocation list may name certificates the force root did not issue itself (a user's certificate,
issued by a station CA): such entries carry the X.509 ``CertificateIssuer`` entry extension and the
list is marked indirect. DSVDesk checks these lists itself (`revoked_entry`); nothing is ever fetched.
Pure functions: no SQL, no files (the ``ca`` command reads and writes them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsvdesk.store.errors import InvalidInput

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

ROOT_KEY_BITS = 4096
ROOT_VALID_DAYS = 25 * 365
STATION_VALID_DAYS = 10 * 365
CRL_VALID_DAYS = 90
DSVDESK_OU = "DSVDesk"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, as upper-case hex pairs (what certutil and browsers show)."""
    from cryptography.hazmat.primitives import serialization

    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint typed or pasted in any usual form (colons, spaces, lower case) -> `fingerprint` form."""
    hexits = "".join(ch for ch in str(text) if ch not in ": \t\r\n").upper()
    if len(hexits) != 64 or any(ch not in "0123456789ABCDEF" for ch in hexits):
        raise InvalidInput(
            "A force root fingerprint is 64 hexadecimal digits (SHA-256), usually written in pairs with "
            "colons, as `dsvdesk ca publish` prints it. Copy it again from force ICT's letter."
        )
    return ":".join(hexits[i : i + 2] for i in range(0, 64, 2))


def load_one_certificate(data: bytes, what: str) -> x509.Certificate:
    """The one certificate in ``data`` (PEM or DER); ``what`` names the file in the refusal."""
    from cryptography import x509

    try:
        certs = (
            x509.load_pem_x509_certificates(data)
            if b"-----BEGIN" in data
            else [x509.load_der_x509_certificate(data)]
        )
    except ValueError:
        certs = []
    if len(certs) != 1:
        raise InvalidInput(f"{what} does not hold exactly one certificate (PEM or DER).")
    return certs[0]


def grouped(fingerprint_text: str, *, per_line: int = 8) -> list[str]:
    """A fingerprint as numbered lines of hex pairs, for reading aloud and comparing with a letter:
    ["1.  AB CD EF 01 23 45 67 89", ...]."""
    pairs = normalise_fingerprint(fingerprint_text).split(":")
    return [
        f"{n}.  " + " ".join(pairs[i : i + per_line])
        for n, i in enumerate(range(0, len(pairs), per_line), start=1)
    ]


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def create_root(force: str, *, now: dt.datetime | None = None) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed RSA-4096 force root: BasicConstraints(ca, path length 1: station CAs below it,
    users below those), KeyUsage(keyCertSign, cRLSign)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from dsvdesk.store.pki import new_key

    force = " ".join(str(force).split())
    if not force or len(force) > 64:
        raise InvalidInput("A force name of 1 to 64 characters is needed, e.g. 'Metropolitan Police'.")
    now = now or _now()
    key = new_key(ROOT_KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"DSVDesk force root - {force}"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, force),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DSVDESK_OU),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=ROOT_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def station_request(ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate) -> x509.CertificateSigningRequest:
    """The station's certificate request: its CA's subject and public key, signed with the CA key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(ca_cert.subject)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )


def load_request(data: bytes) -> x509.CertificateSigningRequest:
    from cryptography import x509

    try:
        request = x509.load_pem_x509_csr(data) if b"-----BEGIN" in data else x509.load_der_x509_csr(data)
    except ValueError:
        raise InvalidInput(
            "This file is not a certificate request. Use the station_request.csr that `dsvdesk init` "
            "(or `dsvdesk trust request`) wrote at the station."
        ) from None
    if not request.is_signature_valid:
        raise InvalidInput("The certificate request's own signature is not valid: it was altered. Ask again.")
    return request


def request_station(request: x509.CertificateSigningRequest) -> str:
    """The station named in a request (its O attribute); refuses a request DSVDesk did not make."""
    from cryptography.x509.oid import NameOID

    subject = request.subject
    ou = [a.value for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    org = [a.value for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if ou != [DSVDESK_OU] or len(org) != 1:
        raise InvalidInput(
            "This certificate request was not made by a DSVDesk station (its subject is "
            f"{subject.rfc4514_string()!r}); only station requests from `dsvdesk init` are issued."
        )
    return str(org[0])


def issue_station(
    root_key: rsa.RSAPrivateKey,
    root_cert: x509.Certificate,
    request: x509.CertificateSigningRequest,
    *,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """The station CA certificate for a request: its subject and key, issued by the force root,
    BasicConstraints(ca, path 0), KeyUsage(keyCertSign, cRLSign), SKI/AKI."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa

    request_station(request)
    public_key = request.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidInput("The certificate request holds a non-RSA key; DSVDesk stations use RSA keys.")
    now = now or _now()
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(root_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=STATION_VALID_DAYS), root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s key signed ``cert`` (and the names agree)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError):
        return False
    except Exception as exc:  # cryptography raises InvalidSignature, not a ValueError
        from cryptography.exceptions import InvalidSignature

        if isinstance(exc, InvalidSignature):
            return False
        raise
    return True


def check_validity(cert: x509.Certificate, what: str, *, now: dt.datetime | None = None) -> None:
    """Refuse an expired or not-yet-valid certificate with a sentence naming the dates."""
    now = now or _now()
    if cert.not_valid_before_utc > now:
        raise InvalidInput(
            f"{what} is not valid yet: it starts on {cert.not_valid_before_utc:%d/%m/%Y %H:%M} UTC. "
            "Check this PC's clock, or ask force ICT for a certificate valid from today."
        )
    if cert.not_valid_after_utc < now:
        raise InvalidInput(
            f"{what} expired on {cert.not_valid_after_utc:%d/%m/%Y}. Ask force ICT for a new one."
        )


def is_ca(cert: x509.Certificate) -> bool:
    """True when ``cert`` may issue certificates (BasicConstraints ca=True)."""
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def path_to_root(
    cert: x509.Certificate,
    roots: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    *,
    max_intermediates: int = 2,
) -> list[x509.Certificate] | None:
    """The certificates from ``cert`` up to (and including) one of ``roots``, each issued by the next,
    every issuer a CA; None when no such path exists. ``intermediates`` may fill the gap (the station
    CA certificate the force issued)."""
    for root in roots:
        if is_ca(root) and issued_by(cert, root):
            return [cert, root]
    if max_intermediates <= 0:
        return None
    for middle in intermediates:
        if middle == cert or not is_ca(middle) or not issued_by(cert, middle):
            continue
        rest = [c for c in intermediates if c != middle]
        upper = path_to_root(middle, roots, rest, max_intermediates=max_intermediates - 1)
        if upper is not None:
            return [cert, *upper]
    return None


def revoked_in_path(
    path: Sequence[x509.Certificate], entries: Sequence[Revocation], *, at: dt.datetime | None = None
) -> tuple[x509.Certificate, Revocation] | None:
    """The first certificate of ``path`` revoked (by ``at``, when given: a signature made before the
    revocation stays good) and its entry, or None."""
    for cert in path:
        entry = revoked_entry(cert, list(entries))
        if entry is not None and (at is None or at >= entry.revoked_at):
            return cert, entry
    return None


def common_name(cert: x509.Certificate) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


# ------------------------------------------------------------------------------------- revocation
@dataclass(frozen=True, slots=True)
class Revocation:
    serial: int
    issuer: str  # RFC 4514 name of the certificate's issuer
    revoked_at: dt.datetime


def build_crl(
    root_key: rsa.RSAPrivateKey,
    root_cert: x509.Certificate,
    revoked: list[tuple[x509.Certificate, dt.datetime]],
    *,
    number: int,
    now: dt.datetime | None = None,
) -> x509.CertificateRevocationList:
    """A CRL signed by the force root listing ``revoked`` (station CAs or users' certificates)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = now or _now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + dt.timedelta(days=CRL_VALID_DAYS))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.IssuingDistributionPoint(
                full_name=None,
                relative_name=None,
                only_contains_user_certs=False,
                only_contains_ca_certs=False,
                only_some_reasons=None,
                indirect_crl=True,
                only_contains_attribute_certs=False,
            ),
            critical=True,
        )
    )
    for cert, when in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(when)
            .add_extension(x509.CertificateIssuer([x509.DirectoryName(cert.issuer)]), critical=True)
        )
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(root_key, hashes.SHA256())


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    from cryptography import x509

    try:
        return x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
    except ValueError:
        raise InvalidInput(
            "This file is not a revocation list. Use the force_revocations.crl that `dsvdesk ca revoke` wrote."
        ) from None


def check_crl(crl: x509.CertificateRevocationList, root: x509.Certificate) -> None:
    """Refuse a revocation list not signed by ``root`` (the force root this station trusts)."""
    if crl.issuer != root.subject or not crl.is_signature_valid(root.public_key()):  # type: ignore[arg-type]
        raise InvalidInput(
            "This revocation list was not signed by the force root this station trusts; it was not used."
        )


def revocations(crl: x509.CertificateRevocationList) -> list[Revocation]:
    """Every entry, with the issuer each names (the list's own issuer when an entry names none)."""
    from cryptography import x509

    out: list[Revocation] = []
    for entry in crl:
        issuer = crl.issuer
        try:
            names = entry.extensions.get_extension_for_class(x509.CertificateIssuer).value
            directory = [n.value for n in names if isinstance(n, x509.DirectoryName)]
            if directory:
                issuer = directory[0]
        except x509.ExtensionNotFound:
            pass
        out.append(Revocation(entry.serial_number, issuer.rfc4514_string(), entry.revocation_date_utc))
    return out


def revoked_entry(cert: x509.Certificate, entries: list[Revocation]) -> Revocation | None:
    """The entry revoking ``cert`` (same issuer and serial), or None."""
    issuer = cert.issuer.rfc4514_string()
    for entry in entries:
        if entry.serial == cert.serial_number and entry.issuer == issuer:
            return entry
    return None
