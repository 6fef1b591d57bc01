"""Id tokens the platform sends to tools: the claim set and its RS256 signature.

The /auth endpoint uses exactly these functions, and tests use them too, to craft deliberately broken
id_tokens (a missing claim, a wrong kid, an expired token) signed with the platform's real key.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from sqlalchemy.orm import Session

from . import claims
from .db import SandboxState, session_scope, state
from .keys import PlatformKeyPair, load_private_key, rfc7638_thumbprint
from .models import Course, DeepLinkRequest, ResourceLink, Tool, User, utcnow
from .store import (
    get_course,
    get_membership,
    get_resource_link,
    get_tool,
    get_user,
    lineitem_url,
    lineitems_url,
    memberships_url,
)

ID_TOKEN_LIFETIME = 300
DEEP_LINK_DATA_LIFETIME = timedelta(hours=1)


def platform_key(app: Flask) -> PlatformKeyPair:
    key = state(app).key
    if key is None:
        raise RuntimeError("the sandbox app has no signing key yet")
    return key


def sandbox_private_key_pem(app: Flask) -> str:
    """The platform's private key (PKCS#8 PEM): tests sign with it to impersonate the platform exactly."""
    return platform_key(app).private_pem


def platform_jwks(app: Flask) -> dict[str, Any]:
    return {"keys": [platform_key(app).public_jwk()]}


def _signing_key(app_or_key: Flask | PlatformKeyPair | rsa.RSAPrivateKey | str | bytes) -> tuple[Any, str]:
    if isinstance(app_or_key, Flask):
        pair = platform_key(app_or_key)
        return pair.private_key, pair.kid
    if isinstance(app_or_key, PlatformKeyPair):
        return app_or_key.private_key, app_or_key.kid
    key = app_or_key if isinstance(app_or_key, rsa.RSAPrivateKey) else load_private_key(app_or_key)
    return key, rfc7638_thumbprint(key.public_key())


def sign_id_token(
    app_or_key: Flask | PlatformKeyPair | rsa.RSAPrivateKey | str | bytes,
    claims: dict[str, Any],
    headers: dict[str, Any] | None = None,
    *,
    algorithm: str = "RS256",
) -> str:
    """Sign ``claims`` as the platform would (header kid = key thumbprint, typ JWT).

    ``headers`` override the defaults; a header set to ``None`` is removed, so ``{"kid": None}`` makes a
    token without a kid and ``{"kid": "nope"}`` one with an unknown kid.
    """
    key, kid = _signing_key(app_or_key)
    merged = {"kid": kid, "typ": "JWT", **(headers or {})}
    return jwt.encode(
        claims, key, algorithm=algorithm, headers={k: v for k, v in merged.items() if v is not None}
    )


def new_deep_link_data(session: Session, tool: Tool, user: User, course: Course) -> str:
    """Store a fresh opaque ``data`` value for a deep linking request; the return must echo it once."""
    data = secrets.token_urlsafe(24)
    session.add(
        DeepLinkRequest(
            data=data,
            tool_id=tool.id,
            user_id=user.id,
            course_id=course.id,
            expires_at=utcnow() + DEEP_LINK_DATA_LIFETIME,
        )
    )
    session.flush()
    return data


def _substitutions(user: User, course: Course, link: ResourceLink | None) -> dict[str, str]:
    """The LTI variables the sandbox can fill in custom parameters; unknown ones stay as written."""
    values = {
        "$User.id": user.sub,
        "$User.username": user.sub,
        "$Person.name.full": user.name,
        "$Person.name.given": user.given_name,
        "$Person.name.family": user.family_name,
        "$Person.email.primary": user.email,
        "$Context.id": course.context_id,
        "$Context.title": course.title,
        "$Context.label": course.label,
        "$CourseSection.title": course.title,
    }
    if link is not None:
        values |= {"$ResourceLink.id": link.link_id, "$ResourceLink.title": link.title}
    return values


def _custom_claim(
    tool: Tool, message_type: str, user: User, course: Course, link: ResourceLink | None
) -> dict:
    """Tool-level, then message-level, then link-level custom parameters, variables substituted."""
    merged: dict[str, Any] = {
        **tool.custom_parameters,
        **tool.message(message_type).get("custom_parameters", {}),
        **(link.custom if link else {}),
    }
    values = _substitutions(user, course, link)
    return {
        name: values.get(value, value) if isinstance(value, str) else value for name, value in merged.items()
    }


def _roles_claim(session: Session, course: Course, user: User) -> list[str]:
    membership = get_membership(session, course, user)
    roles = membership.roles if membership else []
    return [*claims.membership_role_uris(roles), claims.institution_role_uri(user.institution_role)]


def _service_claims(st: SandboxState, tool: Tool, course: Course, link: ResourceLink | None) -> dict:
    """AGS and NRPS endpoint claims, only for the services the tool was granted at registration."""
    payload: dict[str, Any] = {}
    ags_scopes = [scope for scope in tool.scopes if scope in claims.AGS_SCOPES]
    if ags_scopes:
        endpoint: dict[str, Any] = {"scope": ags_scopes, "lineitems": lineitems_url(st, course)}
        items = [item for item in (link.line_items if link else []) if item.tool_id == tool.id]
        if items:
            endpoint["lineitem"] = lineitem_url(st, items[0])
        payload[claims.CLAIM_AGS_ENDPOINT] = endpoint
    if claims.SCOPE_NRPS in tool.scopes:
        payload[claims.CLAIM_NRPS] = {
            "context_memberships_url": memberships_url(st, course),
            "service_versions": ["2.0"],
        }
    return payload


def _deep_linking_settings(st: SandboxState, data: str) -> dict[str, Any]:
    return {
        "deep_link_return_url": st.url("/deep_link_return"),
        "accept_types": list(claims.DL_ACCEPT_TYPES),
        "accept_presentation_document_targets": list(claims.DL_ACCEPT_TARGETS),
        "accept_multiple": False,
        "accept_lineitem": True,
        "auto_create": True,
        "title": "Add an activity",
        "data": data,
    }


def _target_link_uri(tool: Tool, message_type: str, link: ResourceLink | None) -> str:
    if link is not None and link.url:
        return link.url
    return tool.message(message_type).get("target_link_uri") or tool.target_link_uri


def build_launch_claims(
    st: SandboxState,
    session: Session,
    tool: Tool,
    user: User,
    link: ResourceLink | None,
    nonce: str,
    *,
    deep_link_data: str | None = None,
    document_target: str = "iframe",
    now: int | None = None,
) -> dict[str, Any]:
    """The complete id_token claim set; a deep linking request when ``link`` is None."""
    course = link.course if link is not None else get_course(session)
    if course is None:
        raise LookupError("the sandbox course is missing")
    message_type = claims.MESSAGE_RESOURCE_LINK if link is not None else claims.MESSAGE_DEEP_LINKING
    issued = int(time.time()) if now is None else now
    payload: dict[str, Any] = {
        "iss": st.base_url,
        "sub": user.sub,
        "aud": tool.client_id,
        "azp": tool.client_id,
        "exp": issued + ID_TOKEN_LIFETIME,
        "iat": issued,
        "nonce": nonce,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        claims.CLAIM_MESSAGE_TYPE: message_type,
        claims.CLAIM_VERSION: claims.LTI_VERSION,
        claims.CLAIM_DEPLOYMENT_ID: tool.deployment_id,
        claims.CLAIM_TARGET_LINK_URI: _target_link_uri(tool, message_type, link),
        claims.CLAIM_ROLES: _roles_claim(session, course, user),
        claims.CLAIM_CONTEXT: {
            "id": course.context_id,
            "label": course.label,
            "title": course.title,
            "type": [claims.CONTEXT_COURSE_OFFERING],
        },
        claims.CLAIM_TOOL_PLATFORM: {
            "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, st.base_url)),
            "name": claims.PLATFORM_NAME,
            "product_family_code": claims.PRODUCT_FAMILY_CODE,
            "version": claims.PLATFORM_VERSION,
        },
        claims.CLAIM_LAUNCH_PRESENTATION: {
            "document_target": document_target,
            "return_url": st.url("/launch/return"),
            "locale": "en",
        },
        claims.CLAIM_CUSTOM: _custom_claim(tool, message_type, user, course, link),
        **_service_claims(st, tool, course, link),
    }
    if link is not None:
        payload[claims.CLAIM_RESOURCE_LINK] = {
            "id": link.link_id,
            "title": link.title,
            "description": link.text,
        }
    else:
        data = deep_link_data or new_deep_link_data(session, tool, user, course)
        payload[claims.CLAIM_DL_SETTINGS] = _deep_linking_settings(st, data)
    return payload


def launch_claims(
    app: Flask,
    tool: Tool | str,
    user: User | str,
    resource_link: ResourceLink | str | None,
    nonce: str,
    *,
    deep_link_data: str | None = None,
    document_target: str = "iframe",
    now: int | None = None,
) -> dict[str, Any]:
    """A complete, valid claim set for a launch, by model or by id (client_id, user sub, resource link id).

    ``resource_link=None`` builds a deep linking request; its ``data`` is stored (so the sandbox accepts the
    tool's echo) unless ``deep_link_data`` is given.
    """
    with session_scope(app) as session:
        tool_row = get_tool(session, tool if isinstance(tool, str) else tool.client_id)
        user_row = get_user(session, user if isinstance(user, str) else user.sub)
        link_row = None
        if resource_link is not None:
            link_id = resource_link if isinstance(resource_link, str) else resource_link.link_id
            link_row = get_resource_link(session, link_id)
            if link_row is None:
                raise LookupError(f"no resource link {link_id!r}")
        if tool_row is None or user_row is None:
            raise LookupError("unknown tool or user")
        return build_launch_claims(
            state(app),
            session,
            tool_row,
            user_row,
            link_row,
            nonce,
            deep_link_data=deep_link_data,
            document_target=document_target,
            now=now,
        )
