"""The id_token's claims, validated into typed values before anything reads, trusts or stores them.

A signature proves who sent a launch, not that its content is sane: LMSs send long names and activity
titles, and a buggy or hostile platform can send any JSON. So, before the tool looks anything up:
  * every string in the token (keys too) is valid Unicode without NUL, which PostgreSQL cannot store;
  * each claim the tool uses has the JSON type LTI 1.3 gives it (an object, a list of strings, ...);
  * identifiers (sub, deployment_id, context.id, resource_link.id, roles) are at most 255 characters,
    as LTI 1.3 and OpenID Connect bound them, and URLs at most 1000: shortening either would merge two
    people or links, or break a URL, so a longer one is refused;
  * display text (names, course and activity titles) is never a reason to refuse a launch: it is shortened
    to TEXT_MAX characters, which fits every column it is stored in.
A problem is a ClaimError naming the claim (`https://purl.imsglobal.org/spec/lti/claim/roles[1]`), which
the launch turns into a 400 page. Claims the tool does not use are not checked beyond the first point.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

# The one place for the LTI 1.3 URIs the tool uses (claims, scopes, vocabularies): every other module of
# lti_app imports them from here (sandbox_lms, the development LMS, keeps its own in sandbox_lms/claims.py).
LTI = "https://purl.imsglobal.org/spec/lti/claim/"  # core claims: LTI + "roles", LTI + "custom", ...
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"  # deep linking claims
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = DL + "deep_linking_settings"
AGS_SCOPES = "https://purl.imsglobal.org/spec/lti-ags/scope/"  # AGS_SCOPES + "score", + "lineitem", ...
AGS_SCORE_SCOPE = AGS_SCOPES + "score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"  # Dynamic Registration
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"  # role vocabulary (see lti_app.lti.roles)
ID_MAX = 255
URL_MAX = 1000
TEXT_MAX = 200
ROLES_MAX = 100
ELLIPSIS = "…"


class ClaimError(ValueError):
    """A claim the tool cannot use: which one (its JSON path in the token) and what is wrong with it."""

    def __init__(self, claim: str, problem: str) -> None:
        super().__init__(f"claim {claim} {problem}")
        self.claim = claim
        self.problem = problem


def shorten(text: str, limit: int = TEXT_MAX) -> str:
    """At most `limit` characters; a cut is marked with an ellipsis so readers know there was more."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


Id = Annotated[str, StringConstraints(max_length=ID_MAX)]
Url = Annotated[str, StringConstraints(max_length=URL_MAX)]
Text = Annotated[str, AfterValidator(shorten)]


class _Claim(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class Context(_Claim):
    id: Id | None = None
    label: Text | None = None
    title: Text | None = None


class ResourceLink(_Claim):
    id: Id | None = None
    title: Text | None = None
    description: Text | None = None


class GradeService(_Claim):
    """The AGS endpoint claim; its URLs end up in columns of 1000 characters."""

    scope: list[Url] = Field(default_factory=list)
    lineitems: Url | None = None
    lineitem: Url | None = None


class RosterService(_Claim):
    context_memberships_url: Url | None = None
    service_versions: Any = None


class DeepLinkingSettings(_Claim):
    """Where the deep linking response goes, and the platform's `data` that it must echo: all the tool
    keeps (pylti1p3 checks accept_types and the rest on the token itself)."""

    deep_link_return_url: Url | None = None
    data: Annotated[str, StringConstraints(max_length=4096)] | None = None


class LaunchClaims(_Claim):
    """The claims of a launch as the tool uses them. Presence is checked by the launch (its messages are the
    1EdTech certification's); here every field may be missing, but never of the wrong type or size."""

    iss: Annotated[str, StringConstraints(max_length=500)] | None = None
    aud: Any = None
    azp: Annotated[str, StringConstraints(max_length=500)] | None = None
    nonce: Annotated[str, StringConstraints(max_length=ID_MAX)] | None = None
    sub: Id | None = None
    name: Text | None = None
    given_name: Text | None = None
    family_name: Text | None = None
    email: Text | None = None
    message_type: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, alias=LTI + "message_type"
    )
    version: str | None = Field(None, alias=LTI + "version")
    deployment_id: Id | None = Field(None, alias=LTI + "deployment_id")
    target_link_uri: Url | None = Field(None, alias=LTI + "target_link_uri")
    roles: Annotated[list[Id], Field(max_length=ROLES_MAX)] | None = Field(None, alias=LTI + "roles")
    context: Context | None = Field(None, alias=LTI + "context")
    resource_link: ResourceLink | None = Field(None, alias=LTI + "resource_link")
    custom: dict[str, Any] | None = Field(None, alias=LTI + "custom")
    launch_presentation: dict[str, Any] | None = Field(None, alias=LTI + "launch_presentation")
    tool_platform: dict[str, Any] | None = Field(None, alias=LTI + "tool_platform")
    grades: GradeService | None = Field(None, alias=AGS)
    roster: RosterService | None = Field(None, alias=NRPS)
    deep_linking: DeepLinkingSettings | None = Field(None, alias=DL_SETTINGS)

    @field_validator("aud")
    @classmethod
    def _audience(cls, value: Any) -> Any:
        """One client_id, or a list of them (then `azp` says which is us)."""
        ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(a, str) for a in value))
        if value is not None and not ok:
            raise ValueError("must be a string or a list of strings")
        return value

    def stored(self) -> dict[str, Any]:
        """The claims kept with the launch for later use (AGS, NRPS, deep linking, custom...), as checked
        and shortened here, under their LTI names."""
        names = ("custom", "resource_link", "tool_platform", "launch_presentation", "grades", "roster")
        return self.model_dump(by_alias=True, exclude_none=True, include={*names, "deep_linking"})


def parse_claims(body: object) -> LaunchClaims:
    """The token body as LaunchClaims, or a ClaimError for the first thing wrong with it."""
    if not isinstance(body, dict):
        raise ClaimError("set", "must be a JSON object (the id_token's payload)")
    _check_text(body, "")
    try:
        return LaunchClaims.model_validate(body)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise ClaimError(_path(first["loc"]), _problem(first)) from None


def _check_text(value: object, path: str) -> None:
    """Every string, key or value, at any depth: valid Unicode (no lone surrogate) and no NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ClaimError(path or "set", "contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ClaimError(path or "set", "is not valid Unicode text (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{path}[{index}]")


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


JSON_TYPES = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "an object",
}


def _problem(error: dict) -> str:
    given = (
        "null" if error.get("input") is None else JSON_TYPES.get(type(error.get("input")), "another value")
    )
    kind, limits = error["type"], error.get("ctx") or {}
    if kind == "string_type":
        return f"must be a string, not {given}"
    if kind == "list_type":
        return f"must be a list, not {given}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a JSON object, not {given}"
    if kind == "bool_type":
        return f"must be true or false, not {given}"
    if kind == "string_too_long":
        return f"is longer than {limits.get('max_length')} characters"
    if kind == "too_long":
        return f"has more than {limits.get('max_length')} entries"
    return str(error.get("msg", "is not valid")).removeprefix("Value error, ")
