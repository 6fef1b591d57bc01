"""Every request the tool sends to a platform goes through one guarded `requests` session.

The URLs the tool calls come from platforms (OpenID configuration, registration endpoint, JWKS,
token endpoint, AGS line items, NRPS memberships), so they are untrusted. In production (or with
OUTBOUND_BLOCK_PRIVATE=1) a request may reach public addresses only:

* the host is resolved and every address checked: loopback, private, link-local, multicast, shared
  (CGNAT), reserved and unspecified addresses are refused, IPv4-mapped IPv6 included;
* the socket then connects to an address that was checked (not to a second DNS answer), so DNS
  rebinding between the check and the connection cannot slip through;
* a redirect is a new request through the same adapter: the same checks, at most MAX_REDIRECTS;
* no proxy from the environment (it would hide the real destination).

Always: a timeout on every request (pylti1p3 passes none), a response size limit (Content-Length
checked first, then counted while reading, after decompression) and a total deadline for reading.
OUTBOUND_ALLOW lets an operator reach named hosts or networks anyway, e.g. a campus LMS on 10.0.0.0/8:
a comma-separated list of host names and CIDR networks. Outside production loopback and private
addresses are allowed: the sandbox LMS runs on 127.0.0.1.
"""

from __future__ import annotations

import contextvars
import ipaddress
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

DEFAULT_MAX_BYTES = 2 * 1024 * 1024  # a JWKS, a token or a page of NRPS members is far smaller
DEFAULT_TIMEOUT = (5.0, 15.0)  # connect, read (per socket operation)
DEFAULT_DEADLINE_SECONDS = 60.0  # reading a whole response, however slowly it trickles in
MAX_REDIRECTS = 5
USER_AGENT = "Skarp-LTI-tool"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(requests.RequestException):
    """A request the guard refused or cut off. A RequestException, so callers (and pylti1p3) that
    handle network failures handle this too; the message is ours, never the remote body."""


class AddressRefused(OutboundError):
    """The destination (or a redirect's) is not allowed: a non-public address, or not https."""


class ResponseTooLarge(OutboundError):
    """The answer is larger than the limit: reading stopped there."""


class ResponseTooSlow(OutboundError):
    """The answer took longer than the total deadline to arrive."""


class _Refused(Exception):
    """Raised inside urllib3 (at connect time); turned into AddressRefused by the adapter. Not an
    OSError on purpose: urllib3 would wrap it and retry."""


@dataclass(frozen=True)
class Policy:
    block_private: bool = False
    https_only: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allowed_hosts


def parse_allow(value: str | list[str] | tuple[str, ...]) -> tuple[frozenset[str], tuple[Network, ...]]:
    """OUTBOUND_ALLOW: "lms.campus.example, 10.20.0.0/16" -> hosts and networks."""
    items = value.split(",") if isinstance(value, str) else list(value)
    hosts, networks = set(), []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower().rstrip("."))
    return frozenset(hosts), tuple(networks)


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}


def policy_for(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Policy:
    """The policy from the app's config, falling back to the environment (OUTBOUND_* variables)."""
    env = os.environ if environ is None else environ

    def setting(name: str, default: Any) -> Any:
        return config[name] if name in config else env.get(name, default)

    production = bool(config.get("PRODUCTION"))
    hosts, networks = parse_allow(setting("OUTBOUND_ALLOW", ""))
    read_timeout = float(config.get("LMS_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT[1])
    return Policy(
        block_private=_flag(setting("OUTBOUND_BLOCK_PRIVATE", production)),
        https_only=_flag(setting("OUTBOUND_HTTPS_ONLY", production)),
        allowed_hosts=hosts,
        allowed_networks=networks,
        max_bytes=int(setting("OUTBOUND_MAX_BYTES", DEFAULT_MAX_BYTES)),
        timeout=(min(DEFAULT_TIMEOUT[0], read_timeout), read_timeout),
        deadline_seconds=float(setting("OUTBOUND_DEADLINE_SECONDS", DEFAULT_DEADLINE_SECONDS)),
    )


def current_policy() -> Policy:
    """The running app's policy; outside an app, the environment's (SKARP_ENV=production blocks)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return policy_for(current_app.config)
    return policy_for({"PRODUCTION": os.environ.get("SKARP_ENV") == "production"})


def _kind(address: Address) -> str:
    for kind in ("loopback", "link_local", "multicast", "private", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-public"


def refusal(host: str, address: Address, policy: Policy) -> str | None:
    """Why `policy` refuses `address` (what `host` resolved to), or None if it may be reached."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not policy.block_private or policy.allows_host(host):
        return None
    if any(address in network for network in policy.allowed_networks):
        return None
    if address.is_global and not address.is_multicast:
        return None
    return (
        f"{host} resolves to {address}, a {_kind(address)} address: the tool does not send requests "
        "there (an operator can allow it with OUTBOUND_ALLOW)"
    )


def vetted_addresses(host: str, port: int, policy: Policy) -> list[str]:
    """The addresses of `host`, all checked; _Refused if any one is not allowed (socket.gaierror if
    the name does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    for text in addresses:
        reason = refusal(host, ipaddress.ip_address(text), policy)
        if reason:
            raise _Refused(reason)
    return addresses


_active_policy: contextvars.ContextVar[Policy | None] = contextvars.ContextVar("outbound", default=None)


class _GuardedConnectionMixin:
    """Connects only to addresses that were checked just now, by this connection, for this host."""

    def _new_conn(self) -> socket.socket:
        policy = _active_policy.get() or current_policy()
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        try:
            addresses = vetted_addresses(host, port, policy)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[attr-defined,arg-type]
        last: OSError | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (address, port),
                    self.timeout,  # type: ignore[attr-defined]
                    source_address=self.source_address,  # type: ignore[attr-defined]
                    socket_options=self.socket_options,  # type: ignore[attr-defined]
                )
            except OSError as error:
                last = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")  # type: ignore[arg-type]


class _HTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _HTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def check_url(url: str, policy: Policy) -> None:
    """Before any connection: the scheme, and (when blocking) where the host resolves."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        raise AddressRefused(f"{url}: only absolute http(s) URLs are fetched")
    if policy.https_only and parts.scheme != "https" and not policy.allows_host(host):
        raise AddressRefused(f"{url}: only https URLs are fetched in production")
    if not policy.block_private:
        return
    try:
        vetted_addresses(host, parts.port or (443 if parts.scheme == "https" else 80), policy)
    except socket.gaierror as error:
        raise requests.ConnectionError(f"{host} does not resolve: {error}") from None
    except _Refused as refused:
        raise AddressRefused(str(refused)) from None


def _read_some(response: requests.Response) -> bytes:
    """The next bytes that arrived (read1, decoded), with urllib3's errors as requests' ones."""
    try:
        return response.raw.read1(64 * 1024, decode_content=True)
    except urllib3_exceptions.ReadTimeoutError as error:
        raise requests.ReadTimeout(str(error), request=response.request) from None
    except urllib3_exceptions.DecodeError as error:
        raise requests.exceptions.ContentDecodingError(str(error)) from None
    except urllib3_exceptions.SSLError as error:
        raise requests.exceptions.SSLError(str(error)) from None
    except (urllib3_exceptions.ProtocolError, OSError) as error:
        raise requests.exceptions.ChunkedEncodingError(str(error)) from None


def read_bounded(response: requests.Response, policy: Policy) -> None:
    """Read the body into `response` (so `.content`, `.json()` work), up to the size limit and the
    deadline; past either the connection is closed and an OutboundError raised."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > policy.max_bytes:
        response.close()
        raise ResponseTooLarge(
            f"{response.url}: the answer would be {declared} bytes, over the {policy.max_bytes}-byte limit",
            response=None,
        )
    deadline = time.monotonic() + policy.deadline_seconds
    body = bytearray()
    try:
        while chunk := _read_some(response):  # whatever has arrived: a trickle cannot hide the deadline
            body += chunk
            if len(body) > policy.max_bytes:
                raise ResponseTooLarge(
                    f"{response.url}: the answer is over the {policy.max_bytes}-byte limit; reading stopped"
                )
            if time.monotonic() > deadline:
                raise ResponseTooSlow(
                    f"{response.url}: the answer took over {policy.deadline_seconds:g} s; reading stopped"
                )
    except BaseException:
        response.close()
        raise
    response._content = bytes(body)
    response._content_consumed = True


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter that applies a Policy (or the running app's) to every request it sends."""

    def __init__(self, policy: Policy | None = None, **kwargs: Any):
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # type: ignore[no-untyped-def]
        policy = self.policy or current_policy()
        check_url(request.url, policy)
        token = _active_policy.set(policy)
        try:
            response = super().send(
                request, stream=True, timeout=timeout or policy.timeout, verify=verify, cert=cert, proxies={}
            )
        except _Refused as refused:
            raise AddressRefused(str(refused), request=request) from None
        finally:
            _active_policy.reset(token)
        read_bounded(response, policy)
        return response


def guarded_session(policy: Policy | None = None, *, pool_size: int = 20) -> requests.Session:
    """A Session whose every request (and redirect) is guarded; `policy` None: the app's, per request."""
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment
    session.max_redirects = MAX_REDIRECTS
    session.headers["User-Agent"] = USER_AGENT
    adapter = GuardedAdapter(policy, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


http = guarded_session()  # shared by the process: connections are reused, the policy is per request


def describe(error: BaseException) -> str:
    """A short account of a failed request for a page or a log: never the remote body."""
    if isinstance(error, OutboundError):
        return str(error)
    url = getattr(getattr(error, "request", None), "url", None)
    where = urlsplit(url).netloc if url else "the platform"
    if isinstance(error, requests.Timeout):
        return f"{where} did not answer in time"
    if isinstance(error, requests.TooManyRedirects):
        return f"{where} redirected more than {MAX_REDIRECTS} times"
    if isinstance(error, requests.exceptions.SSLError):
        return f"the TLS connection to {where} failed (is its certificate valid?)"
    if isinstance(error, requests.ConnectionError):
        text = str(error)
        if "does not resolve" in text or "NameResolutionError" in text:
            return f"{where}: the host name does not resolve"
        if "Connection refused" in text:
            return f"{where} refused the connection"
        return f"could not connect to {where}"
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"{where} answered HTTP {error.response.status_code}"
    if isinstance(error, ValueError):
        return "the answer is not valid JSON"
    return type(error).__name__
