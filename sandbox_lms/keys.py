"""The platform's RSA signing key: created on first start, stored in the database, published as a JWKS.

The kid is the RFC 7638 thumbprint of the public key, so it is stable across restarts and anyone holding the
public key can recompute it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import PlatformKey


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def rsa_public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public key's required JWK members (kty, n, e) only, as RFC 7638 hashes them."""
    numbers = public_key.public_numbers()
    return {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}


def rfc7638_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """The SHA-256 JWK thumbprint: members sorted, no whitespace, base64url without padding."""
    canonical = json.dumps(rsa_public_jwk(public_key), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def load_private_key(pem: str | bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("the sandbox signs with RSA keys only")
    return key


@dataclass(frozen=True)
class PlatformKeyPair:
    """The loaded signing key with its kid, ready for PyJWT."""

    kid: str
    private_key: rsa.RSAPrivateKey
    private_pem: str

    @classmethod
    def from_pem(cls, pem: str) -> PlatformKeyPair:
        key = load_private_key(pem)
        return cls(kid=rfc7638_thumbprint(key.public_key()), private_key=key, private_pem=pem)

    def public_jwk(self) -> dict[str, Any]:
        return {
            **rsa_public_jwk(self.private_key.public_key()),
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        }


def generate_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def ensure_platform_key(session: Session) -> PlatformKeyPair:
    """Load the stored key, or create it; a second process racing to create it just loads the winner's."""
    stored = session.scalar(select(PlatformKey).order_by(PlatformKey.id))
    if stored is None:
        pair = PlatformKeyPair.from_pem(generate_private_pem())
        session.add(PlatformKey(id=1, kid=pair.kid, private_pem=pair.private_pem))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            stored = session.scalars(select(PlatformKey).order_by(PlatformKey.id)).one()
        else:
            return pair
    return PlatformKeyPair.from_pem(stored.private_pem)
