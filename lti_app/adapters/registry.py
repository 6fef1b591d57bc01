"""The trust registry in each process's memory: platforms, their deployments and the tool's keys.

Every launch looks up its platform twice (login, then launch), its deployment and the tool's signing
key: reads of tables that change a few times a year, and a third of a launch's time when each was a
query. Each process keeps a snapshot of them and, once per request, checks that it is current against
a generation token in Redis. Every commit that touches a platform, a deployment or a tool key replaces
the token (a listener on the session factory, so no use case has to remember it), so a platform the
operator removes is refused on the very next request, in every process. The token is random, not a
counter: after a Redis flush a process can never mistake a new token for the one it saw (and a
flushed Redis, with no token at all, is given a new one, so every process reloads). A snapshot
is also reloaded after MAX_AGE_SECONDS whatever the token says, the bound if a token write was lost.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass

import redis
from jwcrypto.jwk import JWK
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from lti_app.adapters import platform_origins
from lti_app.adapters.orm import Deployment, Platform, ToolKey

GENERATION_KEY = "skarp:registry:generation"
MAX_AGE_SECONDS = 60.0
_CHANGED = "skarp_registry_changed"


@dataclass(frozen=True)
class PlatformEntry:
    """A registered platform as the launch needs it (a plain value: safe to share between threads)."""

    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    origin: str  # scheme://host[:port] of the LMS (Platform.origin)
    deployment_ids: frozenset[str]


@dataclass(frozen=True)
class KeyEntry:
    """The tool's signing key as pylti1p3 takes it: private PEM (it signs with it) and public PEM."""

    kid: str
    private_pem: str
    public_pem: str

    @classmethod
    def of(cls, key: ToolKey) -> KeyEntry:
        """Converted once per snapshot, not once per request."""
        public_pem = JWK.from_json(json.dumps(key.public_jwk)).export_to_pem().decode()
        return cls(key.kid, key.private_pem, public_pem)


@dataclass(frozen=True)
class Snapshot:
    generation: bytes | None
    loaded_at: float
    platforms: dict[tuple[str, str], PlatformEntry]
    signing_key: KeyEntry | None  # None until the first key is made (lti_app.lti.keys)

    def find(self, issuer: str, client_id: str | None) -> PlatformEntry | None:
        """By issuer and client_id; an issuer with a single registration may omit the client_id."""
        if client_id:
            return self.platforms.get((issuer, client_id))
        matches = [entry for (iss, _), entry in self.platforms.items() if iss == issuer]
        return matches[0] if len(matches) == 1 else None


class Registry:
    """One per app (each process has its own): hands out the current snapshot."""

    def __init__(self, cache: redis.Redis):
        self.cache = cache
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def current(self, session: Session) -> Snapshot:
        """The snapshot, reloaded from `session` if the generation changed or it is too old. The token is
        read before the tables, so a snapshot is never labelled newer than what it holds."""
        generation = self.cache.get(GENERATION_KEY)
        if generation is None:  # a new or flushed Redis: a token now, so the next flush is seen too
            self.cache.set(GENERATION_KEY, uuid.uuid4().hex, nx=True)
            generation = self.cache.get(GENERATION_KEY)
        snapshot = self._snapshot
        if snapshot is not None and _fresh(snapshot, generation):
            return snapshot
        with self._lock:  # one reload per process, however many threads ask at once
            snapshot = self._snapshot
            if snapshot is None or not _fresh(snapshot, generation):
                snapshot = self._snapshot = _load(session, generation)
        return snapshot


def _fresh(snapshot: Snapshot, generation: bytes | None) -> bool:
    return snapshot.generation == generation and time.monotonic() - snapshot.loaded_at < MAX_AGE_SECONDS


def _load(session: Session, generation: bytes | None) -> Snapshot:
    platforms = session.scalars(select(Platform).options(selectinload(Platform.deployments)))
    entries = {
        (p.issuer, p.client_id): PlatformEntry(
            id=p.id,
            name=p.name,
            issuer=p.issuer,
            client_id=p.client_id,
            auth_login_url=p.auth_login_url,
            auth_token_url=p.auth_token_url,
            key_set_url=p.key_set_url,
            auth_audience=p.auth_audience,
            origin=p.origin,
            deployment_ids=frozenset(d.deployment_id for d in p.deployments),
        )
        for p in platforms
    }
    newest = session.scalar(
        select(ToolKey)
        .where(ToolKey.retired_at.is_(None))
        .order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
    )
    key = KeyEntry.of(newest) if newest is not None else None
    return Snapshot(generation, time.monotonic(), entries, key)


def new_generation(cache: redis.Redis) -> None:
    """Tell every process that the registry changed."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex)


def watch(factory: sessionmaker, cache: redis.Redis) -> None:
    """After every commit of a session from `factory` that touched a platform, a deployment or a tool
    key: a new generation (every process reloads) and no cached CSP origins."""

    @event.listens_for(factory, "after_flush")
    def _note(session: Session, _context: object) -> None:
        touched = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, Platform | Deployment | ToolKey) for obj in touched):
            session.info[_CHANGED] = True

    @event.listens_for(factory, "after_commit")
    def _announce(session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            new_generation(cache)
            platform_origins.forget(cache)

    @event.listens_for(factory, "after_rollback")
    def _discard(session: Session) -> None:
        session.info.pop(_CHANGED, None)
