"""A platform's URLs, checked and normalised before they are stored or put in a header.

A platform's URLs end up in response headers (CSP `frame-ancestors` and `form-action`, the login
redirect's Location) and in outbound requests. A header must be ASCII and an origin must name one
site, so every URL is normalised the same way wherever it comes from (Dynamic Registration, the CLI,
a row stored by an older version): hosts converted with IDNA (UTS 46, the `idna` package, as browsers
do), no wildcards, user info or fragments, bounded lengths, https only (plain http only for a
loopback host, and only outside production). Pure functions: no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

MAX_URL_LENGTH = 1000  # the platforms table's URL columns
_LOOPBACK_NAMES = {"localhost"}
_ASCII_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# RFC 3986 characters kept as they are in a path and a query; anything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_ORIGIN = re.compile(r"^https?://(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::[0-9]{1,5})?$")


class UrlError(ValueError):
    """A URL that cannot be stored or used; the message names the field and what is wrong."""


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    address = _ip(host)
    return host in _LOOPBACK_NAMES or (address is not None and address.is_loopback)


def ascii_host(field: str, host: str) -> str:
    """The host as browsers and DNS see it: an IP literal, or IDNA (UTS 46) A-labels, lower case."""
    if "*" in host:
        raise UrlError(f"{field}: wildcards are not allowed in a host, got {host!r}")
    address = _ip(host)
    if address is not None:
        return str(address)
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise UrlError(f"{field}: {host!r} is not a valid host name ({error})") from None
    if not _ASCII_HOST.match(encoded) or len(encoded) > 253:
        raise UrlError(f"{field}: {host!r} is not a valid host name")
    return encoded


def normalise_url(field: str, value: object, *, allow_http_loopback: bool) -> str:
    """`value` as an absolute https URL (http for loopback only if allowed), ASCII and normalised."""
    if not isinstance(value, str) or not value:
        raise UrlError(f"{field} must be a URL, got {value!r}")
    if len(value) > MAX_URL_LENGTH:
        raise UrlError(f"{field} is longer than {MAX_URL_LENGTH} characters")
    if _CONTROL.search(value):
        raise UrlError(f"{field} must not contain spaces or control characters: {value!r}")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise UrlError(f"{field} is not a valid URL ({error}): {value!r}") from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if not host:
        raise UrlError(f"{field} is not an absolute URL with a host: {value!r}")
    if "@" in parts.netloc:
        raise UrlError(f"{field} must not carry a user name or password: {value!r}")
    if parts.fragment:
        raise UrlError(f"{field} must not have a #fragment: {value!r}")
    host = ascii_host(field, host)
    if scheme != "https" and not (scheme == "http" and allow_http_loopback and is_loopback_host(host)):
        where = "http only for a loopback host outside production" if allow_http_loopback else "production"
        raise UrlError(f"{field} must be an https URL ({where}), got {value!r}")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != (443 if scheme == "https" else 80):
        netloc += f":{port}"
    path = quote(parts.path, safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    normalised = urlunsplit((scheme, netloc, path, query, ""))
    if len(normalised) > MAX_URL_LENGTH:
        raise UrlError(f"{field} is longer than {MAX_URL_LENGTH} characters once encoded")
    return normalised


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL normalised by `normalise_url`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_csp_origin(value: str) -> bool:
    """An origin that is safe in a CSP source list: ASCII, one host, no wildcard, no path."""
    return bool(_ORIGIN.match(value))


def csp_origin(url: str, *, allow_http_loopback: bool) -> str | None:
    """The CSP source for a platform's URL, normalised, or None if it cannot safely be one."""
    try:
        origin = origin_of(normalise_url("url", url, allow_http_loopback=allow_http_loopback))
    except UrlError:
        return None
    return origin if is_csp_origin(origin) else None
