"""The station's signing PKI with ``cryptography`` only: a self-signed station CA and one certificate
per user. Private keys are stored encrypted under a key derived (scrypt) from the holder's password.

No certificate carries an AIA or CRL distribution point: nothing may ever try to fetch anything.

``cryptography`` is imported inside the functions that use it, never at module level: the store (and
so the app's sign-in window) imports this module, and ``cryptography.x509`` alone costs a large share
of a cold start. Password hashing (``derive``) is stdlib scrypt and needs none of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsvdesk.store.errors import InvalidInput, WrongPassword

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

CA_KEY_BITS = 3072
USER_KEY_BITS = 2048
CA_VALID_DAYS = 20 * 365
USER_VALID_DAYS = 5 * 365

# scrypt cost for passwords and key encryption: ~16 MiB and ~50 ms per derivation on a station PC.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1


def derive(password: str, salt: bytes, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


@dataclass(frozen=True, slots=True)
class EncryptedKey:
    salt: bytes
    pem: bytes  # PKCS#8, encrypted with a passphrase derived from the password and salt


def encrypt_key(key: rsa.RSAPrivateKey, password: str) -> EncryptedKey:
    from cryptography.hazmat.primitives import serialization

    salt = os.urandom(16)
    passphrase = derive(password, salt).hex().encode("ascii")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    return EncryptedKey(salt, pem)


def decrypt_key(encrypted: EncryptedKey, password: str) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    passphrase = derive(password, encrypted.salt).hex().encode("ascii")
    try:
        key = serialization.load_pem_private_key(encrypted.pem, password=passphrase)
    except (ValueError, TypeError):
        raise WrongPassword() from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput(
            "The stored signing key is not an RSA key; import a new certificate for this user."
        )
    return key


def new_key(bits: int) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_ca(station: str, *, now: dt.datetime | None = None) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed RSA-3072 station CA: BasicConstraints(ca, path 0) and KeyUsage(keyCertSign, cRLSign)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    now = now or _now()
    key = new_key(CA_KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"DSVDesk signing CA - {station}"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, station[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "DSVDesk"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_user_certificate(
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    *,
    full_name: str,
    username: str,
    collar: str,
    role: str,
    station: str,
    now: dt.datetime | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A new RSA-2048 key and its signing certificate (see :func:`reissue_certificate`)."""
    key = new_key(USER_KEY_BITS)
    cert = reissue_certificate(
        ca_key,
        ca_cert,
        key.public_key(),
        full_name=full_name,
        username=username,
        collar=collar,
        role=role,
        station=station,
        now=now,
    )
    return key, cert


def reissue_certificate(
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    public_key: rsa.RSAPublicKey,
    *,
    full_name: str,
    username: str,
    collar: str,
    role: str,
    station: str,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """A signing certificate for ``public_key``: KeyUsage(digitalSignature, contentCommitment) critical,
    EKU emailProtection, SKI/AKI; subject with the name, username (pseudonym), collar number
    (serialNumber), role (title) and station (O)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = now or _now()
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, full_name[:64] or username[:64]),
        x509.NameAttribute(NameOID.TITLE, role[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, station[:64]),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "DSVDesk"),
        x509.NameAttribute(NameOID.PSEUDONYM, username[:128]),
    ]
    if collar:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, collar[:64]))
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=USER_VALID_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
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
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert(pem: bytes) -> x509.Certificate:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)


def load_certs(pem: bytes) -> tuple[x509.Certificate, ...]:
    from cryptography import x509

    return tuple(x509.load_pem_x509_certificates(pem)) if pem.strip() else ()


def read_pkcs12(
    data: bytes, password: str
) -> tuple[rsa.RSAPrivateKey, x509.Certificate, tuple[x509.Certificate, ...]]:
    """(key, certificate, further certificates) from a PKCS#12 file; clear errors for bad input."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password else None
        )
    except ValueError:
        raise InvalidInput(
            "The certificate file could not be opened: either its password is not right or it is not a "
            "PKCS#12 (.p12/.pfx) file. Check both and try again."
        ) from None
    if key is None or cert is None:
        raise InvalidInput(
            "The certificate file holds no private key and certificate pair; ask for a .p12 with both."
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput("The certificate file holds a non-RSA key; DSVDesk signs with RSA keys only.")
    cert_key = cert.public_key()
    if (
        not isinstance(cert_key, rsa.RSAPublicKey)
        or cert_key.public_numbers() != key.public_key().public_numbers()
    ):
        raise InvalidInput("The certificate in the file does not belong to its private key.")
    return key, cert, tuple(extra)


def pkcs12_bytes(
    name: str,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    cas: tuple[x509.Certificate, ...],
    password: str,
) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    return pkcs12.serialize_key_and_certificates(
        name.encode("utf-8"),
        key,
        cert,
        list(cas),
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
