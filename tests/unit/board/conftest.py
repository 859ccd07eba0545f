"""Board-report test helpers: a test station CA and a supervisor's signing identity (real pki code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from dsvdesk.store import pki


@dataclass(frozen=True)
class BoardPki:
    ca_key: Any
    ca: Any
    identity: Any
    ca_pem: bytes


@pytest.fixture(scope="session")
def test_pki() -> BoardPki:
    from dsvdesk.store.models import SigningIdentity

    ca_key, ca = pki.create_ca("Islington")
    key, cert = pki.issue_user_certificate(
        ca_key,
        ca,
        full_name="Jane Smith",
        username="di_smith",
        collar="DI 101",
        role="supervisor",
        station="Islington",
    )
    identity = SigningIdentity(private_key=key, certificate=cert, ca_certificate=ca, chain=(ca,))
    return BoardPki(ca_key, ca, identity, pki.cert_pem(ca))


@pytest.fixture(scope="session")
def other_ca() -> Any:
    return pki.create_ca("Somewhere Else")[1]
