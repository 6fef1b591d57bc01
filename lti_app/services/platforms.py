"""Platform registrations (LMSs) and their deployments: add, list, remove. Used by the CLI and
by Dynamic Registration; and the registered origins that the CSP header allows to frame the tool.

The cached origins are dropped by the session factory's listener (adapters.registry.watch) when a
commit touches a platform, so nothing here needs to know about the cache when it writes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lti_app.adapters import platform_origins as origins_cache
from lti_app.adapters.orm import Deployment, Platform
from lti_app.services.platform_urls import UrlError, csp_origin, is_csp_origin, normalise_url

URL_FIELDS = ("issuer", "auth_login_url", "auth_token_url", "key_set_url")
LIMITS = {"name": 200, "issuer": 500, "client_id": 500, "deployment_id": 500, "product_family": 100}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
log = logging.getLogger(__name__)


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


def check_text(field: str, value: object, *, required: bool = True) -> str:
    """A short identifier or label: a string, within its column, without control characters."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise PlatformError(f"{field} must be a string, got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise PlatformError(f"{field} must not be empty")
    if len(text) > LIMITS.get(field, 1000):
        raise PlatformError(f"{field} is longer than {LIMITS.get(field, 1000)} characters")
    if _CONTROL.search(text):
        raise PlatformError(f"{field} must not contain control characters")
    return text


def normalised_spec(spec: PlatformSpec, *, allow_http_loopback: bool = True) -> PlatformSpec:
    """The spec with checked, normalised URLs (ASCII hosts, https) and bounded texts."""
    try:
        urls = {
            field: normalise_url(field, getattr(spec, field), allow_http_loopback=allow_http_loopback)
            for field in URL_FIELDS
        }
    except UrlError as error:
        raise PlatformError(str(error)) from None
    return replace(
        spec,
        **urls,
        name=check_text("name", spec.name, required=False),
        client_id=check_text("client_id", spec.client_id),
        deployment_ids=tuple(check_text("deployment_id", d) for d in spec.deployment_ids),
        auth_audience=check_text("auth_audience", spec.auth_audience) if spec.auth_audience else None,
        product_family=(
            check_text("product_family", spec.product_family, required=False) or None
            if spec.product_family
            else None
        ),
    )


def add_platform(session: Session, spec: PlatformSpec, *, allow_http_loopback: bool = True) -> Platform:
    """Store a registration; `allow_http_loopback` is False in production (https everywhere)."""
    spec = normalised_spec(spec, allow_http_loopback=allow_http_loopback)
    existing = find_platform(session, spec.issuer, spec.client_id)
    if existing is not None:
        raise PlatformError(f"issuer {spec.issuer} with client_id {spec.client_id} is already registered")
    platform = Platform(
        name=(spec.name or spec.issuer)[: LIMITS["name"]],
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
    return platform


def find_platform(session: Session, issuer: str, client_id: str) -> Platform | None:
    query = select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    return session.scalar(query)


def list_platforms(session: Session) -> list[Platform]:
    query = select(Platform).options(selectinload(Platform.deployments)).order_by(Platform.id)
    return list(session.scalars(query))


def add_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment:
    deployment_id = check_text("deployment_id", deployment_id)
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
    return platform


def _stored_origins(session: Session, *, allow_http_loopback: bool) -> list[str]:
    origins = set()
    for platform_id, url in session.execute(select(Platform.id, Platform.auth_login_url)):
        origin = csp_origin(url or "", allow_http_loopback=allow_http_loopback)
        if origin is None:
            log.warning(
                "platform %s: its login URL %r is not a valid origin; left out of the CSP", platform_id, url
            )
        else:
            origins.add(origin)
    return sorted(origins)


def platform_origins(session: Session, cache: redis.Redis, *, allow_http_loopback: bool) -> list[str]:
    """Origins of every registered LMS (cached briefly: read on every response). The cache is
    checked too: whatever is in Redis, only well-formed origins reach the header."""
    cached = origins_cache.cached(cache)
    if cached is not None and all(isinstance(o, str) and is_csp_origin(o) for o in cached):
        return cached
    origins = _stored_origins(session, allow_http_loopback=allow_http_loopback)
    origins_cache.remember(cache, origins)
    return origins
