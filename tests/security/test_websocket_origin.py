"""The WebSocket handshake accepts the site's own origin (scheme, host and port) and
``CSRF_TRUSTED_ORIGINS``, nothing else."""

from __future__ import annotations

import pytest

from community.site.origins import origin_allowed
from tests.realtime.conftest import in_memory_channel_layer, open_room  # noqa: F401


def scope(origin: str | None, host: str | None = "localhost", scheme: str | None = None, **headers):
    pairs = []
    if origin is not None:
        pairs.append((b"origin", origin.encode("latin1")))
    if host is not None:
        pairs.append((b"host", host.encode("latin1")))
    for name, value in headers.items():
        pairs.append((name.replace("_", "-").encode(), value.encode()))
    result = {"type": "websocket", "path": "/ws/live/1/", "headers": pairs}
    if scheme is not None:
        result["scheme"] = scheme
    return result


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://localhost", "localhost", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://LOCALHOST:80", "localhost", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", False),  # another port of an allowed host
        ("http://127.0.0.1:9999", "127.0.0.1", False),
        ("http://localhost", "127.0.0.1", False),  # an allowed host, but not this handshake's
        ("https://localhost", "localhost", False),  # not over TLS
        ("ws://localhost", "localhost", False),
        ("http://evil.example", "evil.example", False),  # Host not in ALLOWED_HOSTS
        ("https://evil.example", "localhost", False),
        ("null", "localhost", False),
        ("http://localhost/path", "localhost", False),
        ("http://user@localhost", "localhost", False),
        ("http://localhost:notaport", "localhost", False),
        (None, "localhost", False),
        ("http://localhost", None, False),
    ],
)
def test_only_the_handshakes_own_origin_is_accepted(origin, host, allowed):
    assert origin_allowed(scope(origin, host)) is allowed


def test_over_wss_the_origin_must_be_https():
    assert origin_allowed(scope("https://localhost", "localhost", scheme="wss"))
    assert not origin_allowed(scope("http://localhost", "localhost", scheme="wss"))


def test_x_forwarded_proto_counts_only_when_a_proxy_is_declared(settings):
    behind_tls = {"x_forwarded_proto": "https"}
    settings.SECURE_PROXY_SSL_HEADER = None
    assert not origin_allowed(scope("https://localhost", "localhost", **behind_tls))
    assert origin_allowed(scope("http://localhost", "localhost", **behind_tls))
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(scope("https://localhost", "localhost", **behind_tls))
    assert not origin_allowed(scope("http://localhost", "localhost", **behind_tls))
    assert not origin_allowed(scope("https://localhost", "localhost"))


def test_csrf_trusted_origins_match_scheme_host_and_port(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://forum.example.nhs.uk", "https://*.trust.nhs.uk"]
    internal = "10.0.0.5:8001"  # the Host a proxy might pass on
    for origin, allowed in [
        ("https://forum.example.nhs.uk", True),
        ("https://forum.example.nhs.uk:443", True),
        ("http://forum.example.nhs.uk", False),
        ("https://forum.example.nhs.uk:8443", False),
        ("https://evil-forum.example.nhs.uk", False),
        ("https://a.trust.nhs.uk", True),
        ("https://trust.nhs.uk", True),
        ("http://a.trust.nhs.uk", False),
        ("https://a.trust.nhs.uk:444", False),
        ("https://atrust.nhs.uk", False),
    ]:
        assert origin_allowed(scope(origin, internal)) is allowed, origin


@pytest.mark.django_db(transaction=True)
async def test_another_port_of_an_allowed_host_fails_the_handshake(member):
    _, connected, _ = await open_room(member, 1, origin=b"http://localhost:9999")
    assert not connected
    _, connected, _ = await open_room(member, 1, origin=b"https://localhost")
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_the_sites_own_origin_gets_through_to_the_consumer(member):
    room, connected, _ = await open_room(member, 1, path="/ws/live/999999/")
    try:
        assert connected
        assert (await room.comm.receive_output(2))["code"] == 4404  # the consumer answered
    finally:
        await room.close()
