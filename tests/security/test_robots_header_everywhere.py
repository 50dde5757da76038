"""Every response says ``X-Robots-Tag: noindex, nofollow``: static files, the HTTPS redirect and
the 400 for a host not in ALLOWED_HOSTS included."""

from __future__ import annotations

import pytest
from django.test import Client

ROBOTS = "noindex, nofollow"

pytestmark = pytest.mark.django_db


def test_static_files_carry_the_header(client):
    response = client.get("/static/forum/forum.css")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == ROBOTS


def test_a_missing_static_file_carries_the_header(client):
    response = client.get("/static/forum/no-such-file.css")
    assert response.status_code == 404
    assert response["X-Robots-Tag"] == ROBOTS


def test_the_whitenoise_headers_hook_adds_it_to_every_file(settings):
    headers: dict[str, str] = {}
    settings.WHITENOISE_ADD_HEADERS_FUNCTION(
        headers, "/srv/static/forum/forum.css", "/static/forum/forum.css"
    )
    assert headers["X-Robots-Tag"] == ROBOTS


def test_the_https_redirect_carries_the_header(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/spaces/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert response["X-Robots-Tag"] == ROBOTS


def test_the_bad_host_response_carries_the_header():
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["X-Robots-Tag"] == ROBOTS


def test_the_bad_host_response_with_https_redirect_on_carries_the_header(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["X-Robots-Tag"] == ROBOTS


def test_the_header_middleware_is_outermost(settings):
    assert settings.MIDDLEWARE[0] == "community.middleware.SecurityHeadersMiddleware"
