"""Commands for LMS admins and operators, through Flask's click integration.

flask --app lti_app db upgrade
flask --app lti_app platforms invite|invites|revoke-invite|add|list|remove|add-deployment
flask --app lti_app keys list|rotate|retire
flask --app lti_app learners export|erase --platform ID|ISSUER --sub SUB
flask --app lti_app retention purge [--older-than 180d]
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lti_app.adapters import migrations
from lti_app.adapters.db import db
from lti_app.adapters.redis_store import store
from lti_app.lti import keys as tool_keys
from lti_app.services import invites, learners, retention
from lti_app.services.platform_urls import csp_origin
from lti_app.services.platforms import (
    PlatformError,
    PlatformSpec,
    add_deployment,
    add_platform,
    list_platforms,
    remove_platform,
)

db_cli = AppGroup("db", help="The database schema (Alembic migrations).")
platforms_cli = AppGroup("platforms", help="LMS registrations (issuer, client_id, deployments, URLs).")
keys_cli = AppGroup("keys", help="The tool's RSA keys (JWKS at /lti/jwks.json).")
learners_cli = AppGroup("learners", help="One learner's data (GDPR): export it, erase it.")
retention_cli = AppGroup("retention", help="Delete what is kept past its use (expired launches, nonces).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to REVISION (default: the latest)."""
    migrations.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@platforms_cli.command("add")
@click.option("--name", default="", help="A label for admins (default: the issuer).")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://moodle.example.edu")
@click.option("--client-id", required=True, help="The client_id the platform gave this tool.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token endpoint.")
@click.option("--key-set-url", required=True, help="The platform's JWKS URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="A deployment id (repeatable).")
@click.option("--auth-audience", default=None, help="Audience for token requests, if not the token URL.")
def platforms_add(
    name: str, issuer: str, client_id: str, deployment_ids: tuple[str, ...], **urls: str
) -> None:
    """Register an LMS by hand (Moodle's manual registration, Canvas developer keys)."""
    spec = PlatformSpec(name=name, issuer=issuer, client_id=client_id, deployment_ids=deployment_ids, **urls)
    try:
        platform = add_platform(db(), spec, allow_http_loopback=not current_app.config["PRODUCTION"])
    except PlatformError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"added platform {platform.id}: {platform.issuer} (client_id {platform.client_id})")


def _shown(value: str) -> str:
    """A stored value as it is, or quoted with escapes if it holds control characters."""
    return value if value.isprintable() else repr(value)


@platforms_cli.command("list")
def platforms_list() -> None:
    """Every registered LMS with its deployments and every URL stored for it."""
    platforms = list_platforms(db())
    if not platforms:
        click.echo("no platforms registered")
    allow_http = not current_app.config["PRODUCTION"]
    for p in platforms:
        deployments = ", ".join(d.deployment_id for d in p.deployments) or "(none)"
        click.echo(
            f"{p.id}\t{_shown(p.name)}\t{_shown(p.issuer)}\tclient_id={_shown(p.client_id)}"
            f"\tdeployments={_shown(deployments)}"
        )
        for label, value in (
            ("login", p.auth_login_url),
            ("token", p.auth_token_url),
            ("keys", p.key_set_url),
            ("audience", p.auth_audience),
        ):
            if value is not None:
                click.echo(f"\t{label}: {_shown(value)}")
        if csp_origin(p.auth_login_url or "", allow_http_loopback=allow_http) is None:
            click.echo(
                "\tWARNING: the login URL is not a valid origin: left out of the CSP (remove this platform)"
            )


_DURATION = re.compile(r"^(\d+)([mhd])$")


def _duration(value: str) -> timedelta:
    match = _DURATION.match(value.strip().lower())
    if not match:
        raise click.BadParameter(f"{value!r}: use minutes, hours or days, e.g. 30m, 24h, 7d")
    amount, unit = int(match[1]), match[2]
    return (
        timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount if unit == "h" else amount * 24)
    )


@platforms_cli.command("invite")
@click.option("--expires", default="24h", show_default=True, help="How long the URL works: 30m, 24h, 7d.")
@click.option("--label", default="", help="A note for you, e.g. the LMS and who asked.")
@click.option("--issuer", default=None, help="Only this platform (its issuer URL) may use the invite.")
def platforms_invite(expires: str, label: str, issuer: str | None) -> None:
    """Print a one-time Dynamic Registration URL to paste into the LMS (Moodle's "Tool URL",
    Canvas's "Dynamic Registration URL"). Without one no platform can register itself."""
    try:
        invite, token = invites.create_invite(
            db(),
            lifetime=_duration(expires),
            label=label,
            issuer=issuer,
            allow_http_loopback=not current_app.config["PRODUCTION"],
        )
    except invites.InviteError as error:
        raise click.ClickException(str(error)) from None
    click.echo(invites.invite_url(current_app.config["TOOL_BASE_URL"], token))
    click.echo(
        f"invite {invite.id}: one registration, until {invite.expires_at:%Y-%m-%d %H:%M} UTC"
        + (f", only for {invite.issuer}" if invite.issuer else ""),
        err=True,
    )


@platforms_cli.command("invites")
def platforms_invites() -> None:
    """Every invite: open, used (by which platform) or expired."""
    rows = invites.list_invites(db())
    if not rows:
        click.echo("no invites")
    for invite in rows:
        click.echo(
            f"{invite.id}\t{invites.state_of(invite)}\t{invite.label!r}\t{invite.issuer or '(any issuer)'}"
        )


@platforms_cli.command("revoke-invite")
@click.argument("invite_id", type=int)
def platforms_revoke_invite(invite_id: int) -> None:
    """Delete an invite so its URL no longer works."""
    try:
        invites.revoke_invite(db(), invite_id)
    except invites.InviteError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"revoked invite {invite_id}")


@platforms_cli.command("add-deployment")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
def platforms_add_deployment(platform_id: int, deployment_id: str) -> None:
    """Allow launches from another deployment of a registered LMS."""
    platform = next((p for p in list_platforms(db()) if p.id == platform_id), None)
    if platform is None:
        raise click.ClickException(f"no platform with id {platform_id}")
    try:
        add_deployment(db(), platform, deployment_id)
    except PlatformError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"platform {platform_id} accepts deployment {deployment_id}")


@platforms_cli.command("remove")
@click.argument("platform_id", type=int)
@click.confirmation_option(prompt="Remove this platform, its deployments, launches and attempts?")
def platforms_remove(platform_id: int) -> None:
    """Remove a registration (and what was recorded under it)."""
    try:
        platform = remove_platform(db(), platform_id)
    except PlatformError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed platform {platform_id}: {platform.issuer}")


@keys_cli.command("list")
def keys_list() -> None:
    """Active keys, oldest first; the last one signs."""
    active = tool_keys.active_keys(db()) or [tool_keys.signing_key(db())]
    for key in active:
        role = "signing" if key is active[-1] else "published"
        click.echo(f"{key.kid}\t{role}\tcreated {key.created_at:%Y-%m-%d %H:%M}Z")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Add a new signing key; the previous ones stay in the JWKS until retired."""
    key = tool_keys.rotate(db())
    click.echo(f"new signing key {key.kid}")


# A kid is a JWK thumbprint (base64url), which may begin with "-": never read it as an option.
@keys_cli.command("retire", context_settings={"ignore_unknown_options": True})
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Remove an old key from the JWKS (never the signing key)."""
    try:
        tool_keys.retire(db(), kid)
    except tool_keys.KeyRetirementError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"retired {kid}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--batch", default=32, show_default=True, help="Grades leased per round.")
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Deliveries in flight at once.",
)
@click.option("--idle", default=1.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option(
    "--lease",
    default=30.0,
    show_default=True,
    envvar="GRADE_LEASE_SECONDS",
    type=click.FloatRange(min=1.0),
    help="Seconds before a dead worker's grades go to another (a live worker renews its leases).",
)
def worker_command(once: bool, batch: int, concurrency: int, idle: float, lease: float) -> None:
    """Deliver queued grades to the LMS gradebooks (run several: they share the queue safely).

    Never exits on a fault it can expect (LMS, Redis, database): it logs, backs off and goes on.
    SIGTERM or SIGINT: finish the grade in hand, release the rest, exit 0."""
    import signal

    from lti_app.adapters.redis_store import store
    from lti_app.services.delivery import worker_name
    from lti_app.services.grade_worker import StopFlag, WorkerSettings, serve

    stop = StopFlag()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop.set)
    name = worker_name()
    timeout = current_app.config["LMS_TIMEOUT_SECONDS"]
    settings = WorkerSettings(
        batch=batch, concurrency=concurrency, idle=idle, timeout=timeout, lease=lease, once=once
    )
    click.echo(f"grade worker {name} started")
    extensions = current_app.extensions
    status = serve(extensions["db_session"], extensions["db_engine"], store(), name, settings, stop)
    click.echo(f"grade worker {name} stopped")
    raise SystemExit(status)


def _learner(platform: str, sub: str) -> learners.Learner:
    try:
        return learners.find_learner(db(), platform, sub)
    except learners.LearnerError as error:
        raise click.ClickException(str(error)) from None


LEARNER_OPTIONS = (
    click.option("--platform", required=True, help="The registration's id or the platform's issuer URL."),
    click.option("--sub", required=True, help="The learner's LTI user id (the id_token's sub)."),
)


def _learner_options(command):
    for option in reversed(LEARNER_OPTIONS):
        command = option(command)
    return command


@learners_cli.command("export")
@_learner_options
@click.option(
    "--output", "-o", default="-", show_default=True, help="A file (created mode 0600) or - for stdout."
)
def learners_export(platform: str, sub: str, output: str) -> None:
    """Write everything held about one learner as JSON (a subject access / portability request)."""
    document = learners.export(db(), store(), _learner(platform, sub))
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data
    except OSError as error:
        raise click.ClickException(f"{output}: {error.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    counts = ", ".join(f"{n} {name}" for name, n in document["counts"].items())
    click.echo(f"wrote {output}: {counts}", err=True)


@learners_cli.command("erase")
@_learner_options
@click.confirmation_option(prompt="Erase everything held about this learner? This cannot be undone.")
def learners_erase(platform: str, sub: str) -> None:
    """Delete one learner's launches, attempts, answers, grades on their way, review cards and logs,
    mastery snapshots, and their copies in Redis. Class reports are computed from what remains."""
    counts = learners.erase(db(), store(), _learner(platform, sub))
    if not any(counts.values()):
        click.echo(f"nothing held about {sub}")
        return
    click.echo("erased " + ", ".join(f"{n} {name}" for name, n in counts.items()))


@retention_cli.command("purge")
@click.option(
    "--older-than",
    default=retention.DEFAULT_RETENTION,
    show_default=True,
    help="Delete launch records that expired longer ago than this (e.g. 180d, 12h, 2w).",
)
def retention_purge(older_than: str) -> None:
    """Delete expired launch records past the retention period, and nonces without an expiry.
    Run it daily (deploy/README.md has a systemd timer)."""
    try:
        age = retention.parse_age(older_than)
    except retention.RetentionError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None
    purged = retention.purge(db(), store(), age)
    click.echo(
        f"purged {purged.launches} launch records expired before {purged.cutoff:%Y-%m-%d %H:%M}Z "
        f"and {purged.nonces} nonces without an expiry"
    )


def init_app(app: Flask) -> None:
    for group in (db_cli, platforms_cli, keys_cli, learners_cli, retention_cli):
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
