"""The tool's RSA keys: kept in the database, published as a JWKS, rotated without downtime.

Rotation: `rotate` adds a new key that signs from then on; the previous keys stay in the JWKS (so
platforms that cached it keep verifying in-flight messages) until `retire` removes them.
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.adapters.orm import ToolKey, utcnow


class KeyRetirementError(ValueError):
    """Retiring this key is refused: it is unknown, or it signs (retiring it would break signing).

    Not named after the builtin KeyError (a missing mapping key), which it has nothing to do with."""


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = JWK.from_pem(pem.encode())
    kid = jwk.thumbprint()
    public = json.loads(jwk.export_public()) | {"kid": kid, "alg": "RS256", "use": "sig"}
    return ToolKey(kid=kid, private_pem=pem, public_jwk=public)


def active_keys(session: Session) -> list[ToolKey]:
    query = select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.created_at, ToolKey.id)
    return list(session.scalars(query))


def signing_key(session: Session) -> ToolKey:
    """The newest active key, created on first use."""
    keys = active_keys(session)
    if keys:
        return keys[-1]
    key = _new_key()
    session.add(key)
    session.commit()
    return key


def jwks(session: Session) -> dict:
    signing_key(session)
    return {"keys": [key.public_jwk for key in active_keys(session)]}


def rotate(session: Session) -> ToolKey:
    key = _new_key()
    session.add(key)
    session.commit()
    return key


def retire(session: Session, kid: str) -> ToolKey:
    keys = active_keys(session)
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise KeyRetirementError(f"no active key with kid {kid!r}")
    if key is keys[-1]:
        raise KeyRetirementError(f"key {kid!r} is the signing key: rotate first, then retire it")
    key.retired_at = utcnow()
    session.commit()
    return key
