"""LTI 1.3 / LTI Advantage vocabulary (claim URIs, scopes, media types, roles) of the sandbox platform.

Every sandbox module takes its URIs from here, so the claims the platform emits and the ones it checks on the
way back can never drift apart, and tests can import the exact URIs instead of retyping them. It is the
sandbox's own copy, not lti_app's: the LMS must not agree with the tool by sharing its code.
"""

from __future__ import annotations

PRODUCT_FAMILY_CODE = "skarp-sandbox"
PLATFORM_NAME = "Skarp sandbox LMS"
PLATFORM_VERSION = "0.1.0"
LTI_VERSION = "1.3.0"
DEPLOYMENT_ID = "deployment-1"

_LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_MESSAGE_TYPE = _LTI + "message_type"
CLAIM_VERSION = _LTI + "version"
CLAIM_DEPLOYMENT_ID = _LTI + "deployment_id"
CLAIM_TARGET_LINK_URI = _LTI + "target_link_uri"
CLAIM_RESOURCE_LINK = _LTI + "resource_link"
CLAIM_ROLES = _LTI + "roles"
CLAIM_CONTEXT = _LTI + "context"
CLAIM_TOOL_PLATFORM = _LTI + "tool_platform"
CLAIM_LAUNCH_PRESENTATION = _LTI + "launch_presentation"
CLAIM_CUSTOM = _LTI + "custom"
CLAIM_AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

_DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLAIM_DL_SETTINGS = _DL + "deep_linking_settings"
CLAIM_DL_CONTENT_ITEMS = _DL + "content_items"
CLAIM_DL_DATA = _DL + "data"
CLAIM_DL_MSG = _DL + "msg"
CLAIM_DL_ERRORMSG = _DL + "errormsg"
CLAIM_DL_LOG = _DL + "log"
CLAIM_DL_ERRORLOG = _DL + "errorlog"

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"

MESSAGE_RESOURCE_LINK = "LtiResourceLinkRequest"
MESSAGE_DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGES_SUPPORTED = (MESSAGE_RESOURCE_LINK, MESSAGE_DEEP_LINKING)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
SUPPORTED_SCOPES = (*AGS_SCOPES, SCOPE_NRPS)

MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MEDIA_MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

MEMBERSHIP_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
CONTEXT_COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")

DL_ACCEPT_TYPES = ("ltiResourceLink",)
DL_ACCEPT_TARGETS = ("iframe", "window")
DOCUMENT_TARGETS = ("iframe", "window")


def membership_role_uris(roles: list[str]) -> list[str]:
    """Context roles as full LIS URIs: tools must not have to guess what a short name like "Learner" means."""
    return [role if "://" in role else MEMBERSHIP_ROLE + role for role in roles]


def institution_role_uri(role: str) -> str:
    """The institution role URI, sent alongside context roles like Moodle and Canvas do."""
    return role if "://" in role else INSTITUTION_ROLE + role
