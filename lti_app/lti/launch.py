"""Launch validation that is stricter than pylti1p3 2.0.0, through its extension points.

pylti1p3 accepts some launches that must be refused; this module closes each one:
  * a replayed nonce (it never deletes nonces): the nonce is consumed, once, after the signature;
  * an id_token without `exp` or `iat`, with `alg: none`, or with an `aud` list but no `azp`;
  * a missing or foreign `target_link_uri`;
  * an unknown issuer (a bare Exception there): a clear, actionable error;
  * no clock leeway: a small leeway is allowed for clocks that drift;
  * an unknown `kid` with a cached key set: the platform's JWKS is fetched again (rate-limited);
  * claims of the wrong type or size, NUL bytes (crashes further on, or 500s from PostgreSQL): every claim
    is validated into LaunchClaims (lti_app/lti/claims.py) first, before any lookup uses one.
Every failure is a LaunchError: a 4xx status and a message an LMS admin can act on.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import jwt
import requests
from jwt.algorithms import RSAAlgorithm
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin
from pylti1p3.contrib.flask.cookie import FlaskCookieService
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import DisableSessionId

from lti_app.adapters import outbound
from lti_app.errors import LaunchError
from lti_app.lti import platform_storage
from lti_app.lti.claims import DL, LTI, ClaimError, LaunchClaims, parse_claims
from lti_app.lti.storage import OneTimeNonceSessionService, RedisLaunchDataStorage, SecureFlaskRequest
from lti_app.lti.tool_conf import DatabaseToolConf

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)


def _services(request: SecureFlaskRequest, store: RedisLaunchDataStorage):
    session_service = OneTimeNonceSessionService(request)
    return {
        "session_service": session_service,
        "cookie_service": FlaskCookieService(request),
        "launch_data_storage": store,
    }


class StrictOIDCLogin(FlaskOIDCLogin):
    """Third-party initiated login; unknown platforms get a clear error, not an exception trace."""

    def __init__(self, request, tool_config, store: RedisLaunchDataStorage):
        super().__init__(request, tool_config, **_services(request, store))
        self._found = None

    def validate_oidc_login(self):
        """Looked up once: the view asks first (to fail before any cookie check), pylti1p3 asks again."""
        if self._found is None:
            self._found = self._lookup_registration()
        return self._found

    def _lookup_registration(self):
        try:
            return super().validate_oidc_login()
        except OIDCException as error:
            iss = self._get_request_param("iss") or "(none)"
            client_id = self._get_request_param("client_id") or "(none)"
            raise LaunchError(
                "This LMS is not registered with Skarp",
                f"{error}. Issuer {iss}, client_id {client_id}.",
                "Register the platform (Dynamic Registration at /lti/register, or "
                "`flask --app lti_app platforms add`), then launch again.",
            ) from None


class StrictMessageLaunch(FlaskMessageLaunch):
    def __init__(
        self,
        request: SecureFlaskRequest,
        tool_config: DatabaseToolConf,
        store: RedisLaunchDataStorage,
        *,
        tool_base_url: str,
        leeway: int,
        key_set_ttl: int,
    ):
        # The platform's JWKS is fetched through the outbound guard (addresses, size, timeouts).
        super().__init__(request, tool_config, **_services(request, store), requests_session=outbound.http)
        self.tool_base_url = tool_base_url.rstrip("/")
        self.leeway = leeway
        self.store = store
        self.claims: LaunchClaims | None = None
        self.set_public_key_caching(store, cache_lifetime=key_set_ttl)

    # --- order: nothing is consumed or trusted before the signature holds ------------------------

    def validate(self) -> StrictMessageLaunch:
        try:
            self._validated = True
            (
                self.validate_jwt_format()
                .validate_state()
                .validate_registration()
                .validate_jwt_signature()
                .validate_deployment()
                .validate_message()
                .validate_nonce()
                .save_launch_data()
            )
            return self
        except LtiException as error:
            self._validated = False
            raise LaunchError("The launch was refused", str(error)) from None
        except LaunchError:
            self._validated = False
            raise

    def save_launch_data(self) -> StrictMessageLaunch:
        """Only the state's id_token hash (pylti1p3's check when a state comes back without its
        cookie). The launch itself is kept by the tool (services.launches: the database and a
        compact Redis copy) and this tool never reloads pylti1p3's copy, so storing the whole
        id_token again (2.7 KB per launch for a day) would only cost Redis memory at cohort scale."""
        self._session_service.set_state_valid(self._get_request_param("state"), self._get_id_token_hash())
        return self

    def validate_state(self) -> StrictMessageLaunch:
        """The state cookie set at login, or, where the platform offers it, LTI Platform Storage."""
        state = self._get_request_param("state")
        if platform_storage.target_of(state) is None:
            return super().validate_state()
        nonce = self._jwt.get("body", {}).get("nonce") or ""
        proof_state = self._get_request_param("lti_storage_state") or ""
        proof_nonce = self._get_request_param("lti_storage_nonce") or ""
        if not platform_storage.confirm(self.store, state, proof_state, proof_nonce, nonce):
            raise LaunchError(
                "The launch was refused",
                "the platform's storage did not confirm this launch's state and nonce (a replayed or "
                "forged launch, or one older than 10 minutes)",
            )
        return self

    def validate_jwt_format(self) -> StrictMessageLaunch:
        """The token's shape, header and claims: all checked before anything is looked up with them
        (refusing an unverified token early trusts nothing; the signature is still checked next)."""
        super().validate_jwt_format()
        header = self._jwt.get("header")
        if not isinstance(header, dict):
            raise LaunchError("The launch was refused", "the id_token header is not a JSON object")
        if header.get("alg") != "RS256":
            alg = header.get("alg")
            raise LaunchError("The launch was refused", f"id_token alg {alg!r}: only RS256 is accepted")
        if not header.get("kid"):
            raise LaunchError("The launch was refused", "id_token header has no kid (key id)")
        if not isinstance(header["kid"], str):
            raise LaunchError("The launch was refused", "id_token header kid must be a string")
        try:
            self.claims = parse_claims(self._jwt.get("body"))
        except ClaimError as error:
            raise LaunchError("The launch was refused", str(error)) from None
        return self

    def validate_registration(self) -> StrictMessageLaunch:
        body = self._jwt.get("body", {})
        iss, client_id = body.get("iss"), client_id_of(body)
        if not iss:
            raise LaunchError("The launch was refused", "id_token has no iss (issuer)")
        registration = self._tool_config.find_registration_by_params(iss, client_id)
        if registration is None:
            raise LaunchError(
                "This LMS is not registered with Skarp",
                f"no registration for issuer {iss} and client_id {client_id}",
                "Register the platform (Dynamic Registration or `flask --app lti_app platforms add`).",
                status=403,
            )
        self._registration = registration
        return self

    def get_public_key(self) -> tuple[Any, str]:
        try:
            return self._matching_key()
        except LtiException as error:
            if not _is_unknown_kid(error):
                raise
            if not self._may_refetch():
                raise self._unknown_kid_error() from None
        # An unknown kid: the platform may have rotated its keys since we cached them.
        key_set_url = self._registration.get_key_set_url()
        self._registration.set_key_set(self._fetch_fresh_key_set(key_set_url))
        try:
            return self._matching_key()
        except LtiException as error:
            if not _is_unknown_kid(error):
                raise
            raise self._unknown_kid_error() from None

    def _matching_key(self) -> tuple[Any, str]:
        """pylti1p3's get_public_key, but the key comes back parsed, and parsed once per process: its
        JWK -> PEM -> key round trip on every launch cost more than the RS256 verify itself."""
        key_set = self._registration.get_key_set()
        if not key_set:
            url = self._registration.get_key_set_url() or ""
            if not url.startswith(("http://", "https://")):
                raise LtiException(f"Invalid URL: {url}")
            key_set = self.fetch_public_key(url)
            self._registration.set_key_set(key_set)
        keys = key_set.get("keys") if isinstance(key_set, dict) else None
        if not isinstance(keys, list):
            raise LtiException("The platform's key set has no list of keys")
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        for key in keys:
            if isinstance(key, dict) and key.get("kid") == kid and key.get("alg", "RS256") == alg:
                try:
                    return _public_key(json.dumps(key, sort_keys=True)), alg
                except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
                    raise LtiException("Can't convert JWT key to PEM format") from error
        raise LtiException("Unable to find public key")

    def _unknown_kid_error(self) -> LaunchError:
        """pylti1p3 says only "Unable to find public key": name the kid and where we looked for it."""
        kid = self._jwt.get("header", {}).get("kid")
        return LaunchError(
            "The launch was refused",
            f"no key with kid {kid!r} in the platform's key set {self._registration.get_key_set_url()}",
            "If the LMS has just rotated its keys, launch again in a minute. Otherwise check the key set "
            "URL registered for this platform.",
        )

    def _may_refetch(self) -> bool:
        """At most one forced JWKS fetch per platform per minute, so bad tokens can't flood the LMS."""
        url = self._registration.get_key_set_url() or ""
        key = "lti1p3-jwks-refetch-" + hashlib.sha256(url.encode()).hexdigest()
        return bool(self.store.client.set(key, "1", nx=True, ex=60))

    def fetch_public_key(self, key_set_url: str) -> dict:
        """pylti1p3's fetch, with an error that never quotes the platform's answer."""
        try:
            return super().fetch_public_key(key_set_url)
        except LtiException as error:
            cause = error.__cause__ or error
            raise LtiException(
                f"Could not fetch the platform's keys from {key_set_url}: {outbound.describe(cause)}"
            ) from None

    def _fetch_fresh_key_set(self, url: str) -> dict:
        try:
            response = self._requests_session.get(url, timeout=10)
            response.raise_for_status()
            key_set = response.json()
        except (requests.RequestException, ValueError) as error:
            message = f"Could not fetch the platform's keys from {url}: {outbound.describe(error)}"
            raise LtiException(message) from error
        cache_key = "key-set-url-" + hashlib.md5(url.encode()).hexdigest()  # noqa: S324 - pylti1p3's key
        # The key set is shared by every launch, as pylti1p3 caches it: not under this browser's session
        # id, or the next launch (another session) would still read the old keys and be refused.
        with DisableSessionId(self.store):
            self.store.set_value(cache_key, key_set, self._public_key_cache_lifetime)
        return key_set

    def validate_jwt_signature(self) -> StrictMessageLaunch:
        public_key, algorithm = self.get_public_key()
        client_id = self._registration.get_client_id()
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=["RS256"] if algorithm == "RS256" else [],
                audience=client_id,
                issuer=self._registration.get_issuer(),
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.InvalidTokenError as error:
            raise LaunchError("The launch was refused", f"id_token did not verify: {error}") from None
        self._check_azp(self._jwt["body"], client_id)
        return self

    @staticmethod
    def _check_azp(body: dict, client_id: str) -> None:
        aud, azp = body.get("aud"), body.get("azp")
        if isinstance(aud, list) and len(aud) > 1 and not azp:
            raise LaunchError("The launch was refused", "id_token has several audiences but no azp")
        if azp is not None and azp != client_id:
            raise LaunchError("The launch was refused", f"id_token azp {azp!r} is not this tool's client_id")

    def validate_deployment(self) -> StrictMessageLaunch:
        body = self._jwt["body"]
        deployment_id = body.get(LTI + "deployment_id")
        if not deployment_id:
            raise LaunchError("The launch was refused", "id_token has no deployment_id claim")
        found = self._tool_config.find_deployment_by_params(
            self._registration.get_issuer(), deployment_id, self._registration.get_client_id()
        )
        if found is None:
            raise LaunchError(
                "This deployment is not registered with Skarp",
                f"deployment_id {deployment_id!r} of {self._registration.get_issuer()} is unknown",
                "Add it: `flask --app lti_app platforms add-deployment`, or register again.",
                status=403,
            )
        return self

    def validate_message(self) -> StrictMessageLaunch:
        body = self._jwt["body"]
        _require_claims(body)
        target = body.get(LTI + "target_link_uri") or ""
        if not (target == self.tool_base_url or target.startswith(self.tool_base_url + "/")):
            raise LaunchError(
                "The launch was refused",
                f"target_link_uri {target or '(missing)'} is not a URL of this tool ({self.tool_base_url})",
            )
        return super().validate_message()

    def validate_nonce(self) -> StrictMessageLaunch:
        nonce = self._jwt["body"].get("nonce")
        if not nonce or not self._session_service.check_nonce(nonce):
            raise LaunchError(
                "The launch was refused",
                "the nonce is unknown or was already used (a replayed or expired launch)",
            )
        return self


def message_launch(
    request: SecureFlaskRequest,
    tool_config: DatabaseToolConf,
    store: RedisLaunchDataStorage,
    *,
    tool_base_url: str,
    leeway: int,
    key_set_ttl: int,
) -> StrictMessageLaunch:
    """The launch, validated; every pylti1p3 refusal as a LaunchError an LMS admin can act on."""
    try:
        launch = StrictMessageLaunch(
            request, tool_config, store, tool_base_url=tool_base_url, leeway=leeway, key_set_ttl=key_set_ttl
        )
    except LtiException as error:
        if "cookie" not in str(error):
            raise LaunchError("The launch was refused", str(error)) from None
        # pylti1p3 says "Missing %s cookie session-id" (sic): say what it means and what to do.
        raise LaunchError(
            "The launch was refused",
            "the browser did not send back the cookie set at login (lti1p3-session-id), so this launch "
            "cannot be matched to its login",
            "The browser may block cookies in the LMS frame: open the activity in a new window, or allow "
            "cookies for this site, then launch again from the LMS.",
        ) from None
    return launch.validate()


def login_redirect(login: StrictOIDCLogin, launch_url: str) -> Any:
    """pylti1p3's answer to the login: the redirect to the platform, after its check that the browser
    keeps cookies in the LMS frame (a Flask response)."""
    try:
        return login.enable_check_cookies().redirect(launch_url)
    except LtiException as error:
        raise LaunchError("The login was refused", str(error)) from None


def client_id_of(body: dict) -> str | None:
    aud = body.get("aud")
    if isinstance(aud, list):
        return body.get("azp") or (aud[0] if len(aud) == 1 else None)
    return aud


@functools.lru_cache(maxsize=64)
def _public_key(jwk_json: str) -> Any:
    """A platform's RSA public key from its JWK (canonical JSON: the same key, the same entry)."""
    return RSAAlgorithm.from_jwk(jwk_json)


def _is_unknown_kid(error: LtiException) -> bool:
    """pylti1p3 raises a plain LtiException for an unmatched kid: only its message tells the case apart."""
    return "Unable to find public key" in str(error)


def _require_claims(body: dict[str, Any]) -> None:
    """The LTI 1.3 claims every launch must carry (1EdTech certification's 'known bad' payloads)."""
    message_type = body.get(LTI + "message_type")
    problems = []
    if not message_type:
        problems.append("message_type claim is missing")
    elif message_type not in SUPPORTED_MESSAGES:
        problems.append(f"message_type {message_type!r} is not supported")
    if body.get(LTI + "version") != "1.3.0":
        problems.append(f"version claim is {body.get(LTI + 'version')!r}, expected '1.3.0'")
    if not body.get("sub"):
        problems.append("sub (the user) is missing")
    if not isinstance(body.get(LTI + "roles"), list):
        problems.append("roles claim is missing")
    if message_type == RESOURCE_LINK_REQUEST and not (body.get(LTI + "resource_link") or {}).get("id"):
        problems.append("resource_link.id is missing")
    if message_type == DEEP_LINKING_REQUEST and not (body.get(DL + "deep_linking_settings") or {}).get(
        "deep_link_return_url"
    ):
        problems.append("deep_linking_settings.deep_link_return_url is missing")
    if problems:
        raise LaunchError("The launch was refused", "; ".join(problems))
