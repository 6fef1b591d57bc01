"""Platform registrations (LMSs) and their deployments: add, list, remove. Used by the CLI and
by Dynamic Registration."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lti_app.adapters.orm import Deployment, Platform


class PlatformError(ValueError):
    """A registration that cannot be stored; the message names the field."""


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...] = ()
    auth_audience: str | None = None
    product_family: str | None = None


def _check_url(field: str, value: str) -> None:
    parts = urlsplit(value)
    local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise PlatformError(f"{field} must be an https URL (http only for localhost), got {value!r}")
    if not parts.netloc:
        raise PlatformError(f"{field} is not a URL: {value!r}")


def add_platform(session: Session, spec: PlatformSpec) -> Platform:
    if not spec.client_id.strip():
        raise PlatformError("client_id must not be empty")
    for field in ("issuer", "auth_login_url", "auth_token_url", "key_set_url"):
        _check_url(field, getattr(spec, field))
    existing = find_platform(session, spec.issuer, spec.client_id)
    if existing is not None:
        raise PlatformError(f"issuer {spec.issuer} with client_id {spec.client_id} is already registered")
    platform = Platform(
        name=spec.name or spec.issuer,
        issuer=spec.issuer,
        client_id=spec.client_id,
        auth_login_url=spec.auth_login_url,
        auth_token_url=spec.auth_token_url,
        key_set_url=spec.key_set_url,
        auth_audience=spec.auth_audience,
        product_family=spec.product_family,
        deployments=[Deployment(deployment_id=d) for d in dict.fromkeys(spec.deployment_ids) if d],
    )
    session.add(platform)
    session.commit()
    _forget_origins()
    return platform


def find_platform(session: Session, issuer: str, client_id: str) -> Platform | None:
    query = select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    return session.scalar(query)


def list_platforms(session: Session) -> list[Platform]:
    query = select(Platform).options(selectinload(Platform.deployments)).order_by(Platform.id)
    return list(session.scalars(query))


def add_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment:
    if not deployment_id.strip():
        raise PlatformError("deployment_id must not be empty")
    if any(d.deployment_id == deployment_id for d in platform.deployments):
        raise PlatformError(f"deployment {deployment_id!r} is already registered for {platform.issuer}")
    deployment = Deployment(deployment_id=deployment_id)
    platform.deployments.append(deployment)
    session.commit()
    return deployment


def remove_platform(session: Session, platform_id: int) -> Platform:
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise PlatformError(f"no platform with id {platform_id}")
    session.delete(platform)
    session.commit()
    _forget_origins()
    return platform


def _forget_origins() -> None:
    """CSP frame-ancestors lists the platforms: drop the cached list when it changes."""
    from flask import has_app_context

    if has_app_context():
        from lti_app.security import forget_platform_origins

        forget_platform_origins()
