"""LTI Platform Storage (1EdTech "Client Side postMessages"): the OIDC state without cookies.

Inside an LMS iframe most browsers block third-party cookies, so the state cookie that ties a
launch to its login never comes back. When the platform offers storage (`lti_storage_target` in
the login request, as Canvas does), the login page stores the state and nonce in the platform's
window with `lti.put_data`, and the launch page reads them back with `lti.get_data` before posting
the launch. Only a browser that went through this login, in this platform's window, can do that.
The server also keeps each issued state once (with its nonce), so a state is good for one launch.
"""

from __future__ import annotations

import base64
import uuid
from urllib.parse import urlencode, urlsplit

from pylti1p3.registration import Registration

from lti_app.lti.storage import RedisLaunchDataStorage

PREFIX = "ps."
LIFETIME_SECONDS = 600


def new_state(target: str) -> str:
    """A state that also names the storage frame, so the launch page knows where to look."""
    encoded = base64.urlsafe_b64encode(target.encode()).decode().rstrip("=")
    return f"{PREFIX}{encoded}.{uuid.uuid4().hex}"


def target_of(state: str | None) -> str | None:
    if not state or not state.startswith(PREFIX) or state.count(".") != 2:
        return None
    encoded = state.split(".")[1]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def state_key(state: str) -> str:
    return f"ps-state-{state}"


def begin_login(
    storage: RedisLaunchDataStorage, registration: Registration, params: dict[str, str], redirect_uri: str
) -> dict[str, str]:
    """Issue state and nonce, remember them server-side, and build the platform's auth URL."""
    state, nonce = new_state(params["lti_storage_target"]), uuid.uuid4().hex + uuid.uuid4().hex
    storage.set_value(state_key(state), nonce, LIFETIME_SECONDS)
    storage.set_value(f"lti1p3-nonce-{nonce}", True, LIFETIME_SECONDS)
    auth = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.get_client_id(),
        "redirect_uri": redirect_uri,
        "state": state,
        "nonce": nonce,
        "login_hint": params["login_hint"],
    }
    if params.get("lti_message_hint"):
        auth["lti_message_hint"] = params["lti_message_hint"]
    login_url = registration.get_auth_login_url()
    parts = urlsplit(login_url)
    return {
        "state": state,
        "nonce": nonce,
        "target": params["lti_storage_target"],
        "platform_origin": f"{parts.scheme}://{parts.netloc}",
        "auth_url": f"{login_url}{'&' if parts.query else '?'}{urlencode(auth)}",
    }


def confirm(
    storage: RedisLaunchDataStorage, state: str, proof_state: str, proof_nonce: str, nonce: str
) -> bool:
    """The state was issued here and not used yet, and the platform's storage gave back both values."""
    stored_nonce = storage.get_value(state_key(state))
    if stored_nonce is None or not storage.consume(state_key(state)):
        return False
    return proof_state == state and proof_nonce == nonce == stored_nonce
