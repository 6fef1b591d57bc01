"""Registration invites: the operator's consent to one LTI Dynamic Registration.

`flask --app lti_app platforms invite` creates one and prints its URL (/lti/register/<token>), which
the LMS admin pastes where the LMS asks for the tool's registration URL (Moodle's "Tool URL", Canvas's
"Dynamic Registration URL"). A path segment, not a query parameter, so it survives however an LMS
appends its own parameters. The token is stored only as a SHA-256 hash; an invite expires, and is
used once: claimed with a compare-and-set (two tabs cannot both use it), released again if the
registration fails (so the admin can retry with the same URL), spent when a platform is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_app.adapters.orm import RegistrationInvite, utcnow
from lti_app.services.platform_urls import UrlError, normalise_url
from lti_app.services.platforms import PlatformError, check_text

DEFAULT_LIFETIME = timedelta(hours=24)
MAX_LIFETIME = timedelta(days=30)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class InviteError(Exception):
    """No valid invite (unknown, used, expired) or a bad invite option; the message says which."""

    status = 403


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/lti/register/{token}"


def create_invite(
    session: Session,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    label: str = "",
    issuer: str | None = None,
    allow_http_loopback: bool = True,
) -> tuple[RegistrationInvite, str]:
    """A new one-time invite; returns it and its secret token (shown once, stored only hashed)."""
    if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
        raise InviteError(f"an invite lasts from 1 minute to {MAX_LIFETIME.days} days")
    try:
        label = check_text("label", label, required=False)[:200]
        if issuer:
            issuer = normalise_url("issuer", issuer, allow_http_loopback=allow_http_loopback)
    except (PlatformError, UrlError) as error:
        raise InviteError(str(error)) from None
    token = secrets.token_urlsafe(24)
    invite = RegistrationInvite(
        token_hash=_hash(token), label=label, issuer=issuer or None, expires_at=utcnow() + lifetime
    )
    session.add(invite)
    session.commit()
    return invite, token


def _unusable(invite: RegistrationInvite | None, now: datetime) -> str | None:
    if invite is None:
        return "this registration URL is unknown"
    if invite.used_at is not None:
        return "this registration URL was already used (or is being used right now)"
    if invite.expires_at <= now:
        return f"this registration URL expired at {invite.expires_at:%Y-%m-%d %H:%M} UTC"
    return None


def find_invite(session: Session, token: str) -> RegistrationInvite:
    """The invite behind `token` if it can still be used; InviteError (403) saying why not."""
    invite = None
    if _TOKEN.match(token or ""):
        invite = session.scalar(
            select(RegistrationInvite).where(RegistrationInvite.token_hash == _hash(token))
        )
    reason = _unusable(invite, utcnow())
    if reason:
        raise InviteError(
            f"{reason}. Ask the Skarp operator for a new one (flask --app lti_app platforms invite)."
        )
    return invite


def claim_invite(session: Session, token: str) -> RegistrationInvite:
    """Take the invite for this registration: one compare-and-set, so only one request can."""
    invite = find_invite(session, token)
    claimed = session.execute(
        update(RegistrationInvite)
        .where(
            RegistrationInvite.id == invite.id,
            RegistrationInvite.used_at.is_(None),
            RegistrationInvite.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:
        raise InviteError("this registration URL was already used (or is being used right now)")
    session.refresh(invite)
    return invite


def release_invite(session: Session, invite_id: int) -> None:
    session.rollback()
    session.execute(
        update(RegistrationInvite)
        .where(RegistrationInvite.id == invite_id, RegistrationInvite.platform_id.is_(None))
        .values(used_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def list_invites(session: Session) -> list[RegistrationInvite]:
    return list(session.scalars(select(RegistrationInvite).order_by(RegistrationInvite.id)))


def revoke_invite(session: Session, invite_id: int) -> RegistrationInvite:
    invite = session.get(RegistrationInvite, invite_id)
    if invite is None:
        raise InviteError(f"no invite with id {invite_id}")
    session.delete(invite)
    session.commit()
    return invite


def state_of(invite: RegistrationInvite) -> str:
    """For the operator's list: open until …, used (platform N), or expired."""
    if invite.used_at is not None:
        platform = f"platform {invite.platform_id}" if invite.platform_id else "in progress or removed"
        return f"used {invite.used_at:%Y-%m-%d %H:%M} UTC ({platform})"
    if invite.expires_at <= utcnow():
        return f"expired {invite.expires_at:%Y-%m-%d %H:%M} UTC"
    return f"open until {invite.expires_at:%Y-%m-%d %H:%M} UTC"
