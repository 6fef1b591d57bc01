"""Skarp's sandbox LMS: an LTI 1.3 platform simulator (Dynamic Registration, launches, deep linking,
AGS, NRPS, fault injection) for local demos and for testing the LTI tool against a real counterpart.

A development distribution of its own (sandbox_lms/pyproject.toml): the skarp wheel never ships it and
lti_app never imports it, so the LMS cannot quietly agree with the tool by sharing its code.
"""

from __future__ import annotations

from .app import create_sandbox_app
from .db import SandboxState, session_scope, state
from .models import (
    AccessToken,
    Base,
    Course,
    DeepLinkRequest,
    FaultState,
    LaunchHint,
    LineItem,
    Membership,
    PlatformKey,
    RegistrationToken,
    ResourceLink,
    Result,
    Score,
    ServiceRequest,
    Tool,
    User,
)
from .registration import InvalidClientMetadata, issue_registration_token, register_tool
from .store import add_line_item, add_resource_link, get_course, get_resource_link, get_tool, get_user
from .tokens import launch_claims, platform_jwks, sandbox_private_key_pem, sign_id_token

__all__ = [
    "AccessToken",
    "Base",
    "Course",
    "DeepLinkRequest",
    "FaultState",
    "InvalidClientMetadata",
    "LaunchHint",
    "LineItem",
    "Membership",
    "PlatformKey",
    "RegistrationToken",
    "ResourceLink",
    "Result",
    "SandboxState",
    "Score",
    "ServiceRequest",
    "Tool",
    "User",
    "add_line_item",
    "add_resource_link",
    "create_sandbox_app",
    "get_course",
    "get_resource_link",
    "get_tool",
    "get_user",
    "issue_registration_token",
    "launch_claims",
    "platform_jwks",
    "register_tool",
    "sandbox_private_key_pem",
    "session_scope",
    "sign_id_token",
    "state",
]
