"""pylti1p3's ToolConfAbstract backed by the database: many platforms, many deployments each.

One instance serves one request. pylti1p3 asks for the same registration several times in a launch
(registration, deployment, then the view): each platform is looked up once per instance, and the
tool's public key is converted to PEM once per process (key ids never change their key).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.adapters.orm import Deployment, Platform
from lti_app.lti.keys import signing_key


class DatabaseToolConf(ToolConfAbstract):
    """Registrations by (issuer, client_id); an issuer with one registration may omit client_id."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        self.issuers_relation_types = {}  # per instance: the class attribute is shared in pylti1p3
        self._platforms: dict[tuple[str, str | None], Platform | None] = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        if (iss, client_id) not in self._platforms:
            self._platforms[iss, client_id] = self._find_platform(iss, client_id)
        return self._platforms[iss, client_id]

    def _find_platform(self, iss: str, client_id: str | None) -> Platform | None:
        query = select(Platform).where(Platform.issuer == iss)
        if client_id:
            return self.session.scalar(query.where(Platform.client_id == client_id))
        matches = list(self.session.scalars(query.limit(2)))
        return matches[0] if len(matches) == 1 else None

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration | None:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Registration | None:
        platform = self.platform(iss, client_id)
        return self.registration(platform) if platform else None

    def registration(self, platform: Platform) -> Registration:
        key = signing_key(self.session)
        return (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_auth_audience(platform.auth_audience)
            .set_key_set_url(platform.key_set_url)
            .set_tool_private_key(key.private_pem)
            .set_tool_public_key(_public_pem(json.dumps(key.public_jwk, sort_keys=True)))
        )

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        platform = self.platform(iss, client_id)
        if platform is None:
            return None
        query = select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
        found = self.session.scalar(query)
        return LtiDeployment().set_deployment_id(found.deployment_id) if found else None

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any) -> dict:
        from lti_app.lti.keys import jwks

        return jwks(self.session)


@functools.lru_cache(maxsize=16)
def _public_pem(public_jwk_json: str) -> str:
    from jwcrypto.jwk import JWK

    return JWK.from_json(public_jwk_json).export_to_pem().decode()
