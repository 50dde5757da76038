"""The WebSocket handshake's ``Origin`` check: scheme, host and port must be the site's own.

channels' ``AllowedHostsOriginValidator`` compares host names only, so a page on another port
or over plain http of an allowed host (``http://127.0.0.1:9999``) could open a member's socket.
This accepts what Django's CSRF origin check accepts for a form post: the origin of the
handshake itself (its ``Host`` header, which must be in ``ALLOWED_HOSTS``, with the scheme it
came over) and the origins listed in ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.org`` for
subdomains).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in, or None if malformed."""
    if scheme not in DEFAULT_PORTS:
        return None
    try:
        parsed = urlsplit(f"{scheme}://{netloc}")
        host, port = parsed.hostname, parsed.port
    except ValueError:
        return None
    if not host:
        return None
    return scheme, host.lower(), port or DEFAULT_PORTS[scheme]


def _handshake_is_secure(scope: dict) -> bool:
    """Over wss (the server's own TLS), or behind a proxy that says so in the header named by
    ``SECURE_PROXY_SSL_HEADER``, the same trust Django gives it for ``request.is_secure()``
    (daphne's ``--proxy-headers`` does not put the scheme in a WebSocket scope)."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, secure_value = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        value = _header(scope, header)
        return value is not None and value.split(",", 1)[0].strip() == secure_value
    return False


def _own_origin(scope: dict) -> tuple[str, str, int] | None:
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _ = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed_hosts):
        return None
    return _origin("https" if _handshake_is_secure(scope) else "http", host)


def origin_allowed(scope: dict) -> bool:
    """Whether the handshake's ``Origin`` is the site's own or a trusted one."""
    value = _header(scope, b"origin")
    if not value:
        return False
    try:
        parsed = urlsplit(value)
    except ValueError:
        return False
    if parsed.path or parsed.query or parsed.fragment or parsed.username or parsed.password:
        return False
    origin = _origin(parsed.scheme, parsed.netloc)
    if origin is None:
        return False
    if origin == _own_origin(scope):
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        pattern = urlsplit(trusted)
        if pattern.netloc.startswith("*."):
            # As for Django's CSRF check, https://*.example.org is the domain and its subdomains.
            base = _origin(pattern.scheme, pattern.netloc[2:])
            if (
                base is not None
                and (origin[0], origin[2]) == (base[0], base[2])
                and is_same_domain(origin[1], "." + base[1])
            ):
                return True
        elif origin == _origin(pattern.scheme, pattern.netloc):
            return True
    return False


class SiteOriginValidator:
    """ASGI middleware: a WebSocket handshake from any other origin is refused (HTTP 403)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SiteOriginValidator is for WebSocket connections only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
