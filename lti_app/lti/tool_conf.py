"""pylti1p3's ToolConfAbstract backed by the database: many platforms, many deployments each.

One instance serves one request. Platforms, deployments and the signing key come from this process's
registry snapshot (adapters.registry: checked against Redis once per instance, reloaded from the
database when anything changed), so a launch reads no registration table; the signing key comes as
PEM, converted once per snapshot.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy.orm import Session

from lti_app.adapters.orm import Platform
from lti_app.adapters.registry import KeyEntry, PlatformEntry, Registry, Snapshot
from lti_app.lti import keys


class DatabaseToolConf(ToolConfAbstract):
    """Registrations by (issuer, client_id); an issuer with one registration may omit client_id."""

    def __init__(self, session: Session, registry: Registry):
        super().__init__()
        self.session = session
        self.registry = registry
        self.issuers_relation_types = {}  # per instance: the class attribute is shared in pylti1p3
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self._snapshot = self.registry.current(self.session)
        return self._snapshot

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> PlatformEntry | None:
        return self.snapshot().find(iss, client_id)

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration | None:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Registration | None:
        platform = self.platform(iss, client_id)
        return self.registration(platform) if platform else None

    def registration(self, platform: PlatformEntry | Platform) -> Registration:
        key = self.snapshot().signing_key or _first_key(self.session)
        return (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_auth_audience(platform.auth_audience)
            .set_key_set_url(platform.key_set_url)
            .set_tool_private_key(key.private_pem)
            .set_tool_public_key(key.public_pem)
        )

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        platform = self.platform(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any) -> dict:
        return keys.jwks(self.session)


def _first_key(session: Session) -> KeyEntry:
    """No key yet (a new installation): make it now; its commit makes every snapshot reload."""
    key = keys.signing_key(session)
    return KeyEntry.of(key)
