"""pylti1p3's launch data, state and nonces in Redis, with nonces that can be used only once."""

from __future__ import annotations

import json
from typing import Any

import redis
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService


class SecureFlaskRequest(FlaskRequest):
    """Cookies are always `Secure; SameSite=None`: the tool lives in a cross-site LMS iframe.

    Behind a TLS-terminating proxy, ProxyFix makes request.is_secure true; on http://localhost,
    browsers accept Secure cookies too, so one setting serves production and local runs.
    """

    def is_secure(self) -> bool:
        return True


class RedisLaunchDataStorage(LaunchDataStorage[Any]):
    def __init__(self, client: redis.Redis, *, cookieless: bool = False):
        super().__init__()
        self.client = client
        self.cookieless = cookieless

    def get_session_cookie_name(self) -> str | None:
        """No browser cookie to key by when the state travels through LTI Platform Storage."""
        return None if self.cookieless else super().get_session_cookie_name()

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        raw = self.client.get(self._prepare_key(key))
        return json.loads(raw) if raw is not None else None

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self.client.set(self._prepare_key(key), json.dumps(value), ex=exp or None)

    def check_value(self, key: str) -> bool:
        return bool(self.client.exists(self._prepare_key(key)))

    def consume(self, key: str) -> bool:
        """Delete the key; true only for the one caller that removed it (atomic in Redis)."""
        return self.client.delete(self._prepare_key(key)) == 1


class OneTimeNonceSessionService(SessionService):
    """pylti1p3 checks that a nonce exists but never removes it, so a captured launch could be
    replayed: here the check consumes it."""

    data_storage: RedisLaunchDataStorage

    def check_nonce(self, nonce: str) -> bool:
        return self.data_storage.consume(self._get_key("nonce", nonce))
