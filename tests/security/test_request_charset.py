"""A form posted in a charset other than UTF-8 (``charset=utf-7`` and the like) gets a 400,
never a 500."""

from __future__ import annotations

import pytest
from django.test import AsyncClient, Client

pytestmark = pytest.mark.django_db

BAD = ["utf-7", "UTF-7", "utf-16", "utf-32", "latin-1", "utf8", "rot13", "nonsense", ""]


def with_csrf() -> tuple[Client, str]:
    """A client holding a real CSRF cookie, as a browser does, so the CSRF check reads the body."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/accounts/login/")
    return client, client.cookies["csrftoken"].value


def urlencoded(token: str) -> bytes:
    return f"csrfmiddlewaretoken={token}&login=someone%40example.org&password=x".encode()


def multipart(token: str) -> bytes:
    return (
        '--BB\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{token}\r\n--BB--\r\n"
    ).encode()


@pytest.mark.parametrize("charset", BAD)
def test_a_urlencoded_form_in_another_charset_is_a_400(charset):
    client, token = with_csrf()
    response = client.generic(
        "POST",
        "/accounts/login/",
        data=urlencoded(token),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "UTF-8" in response.content.decode()


@pytest.mark.parametrize("charset", ["utf-7", "rot13", "utf-16"])
def test_a_multipart_form_in_another_charset_is_a_400(charset):
    client, token = with_csrf()
    response = client.generic(
        "POST",
        "/accounts/login/",
        data=multipart(token),
        content_type=f"multipart/form-data; charset={charset}; boundary=BB",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded; charset=UTF-8",
        'application/x-www-form-urlencoded; charset="utf-8"',
    ],
)
def test_utf_8_forms_go_through(content_type):
    client, token = with_csrf()
    response = client.generic(
        "POST", "/accounts/login/", data=urlencoded(token), content_type=content_type
    )
    assert response.status_code == 200  # the sign-in form again, with "wrong password"


async def test_under_asgi_too():
    client = AsyncClient(raise_request_exception=False)
    response = await client.generic(
        "POST",
        "/accounts/login/",
        data=b"login=a%40b.c&password=x",
        content_type="application/x-www-form-urlencoded; charset=utf-7",
    )
    assert response.status_code == 400
