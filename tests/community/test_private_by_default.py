import pytest
from django.urls import reverse

PUBLIC = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/healthz"]
PRIVATE = [
    "/spaces/",
    "/account/",
    "/account/profile/",
    "/guidelines/",
    "/members/1/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_answer_a_visitor(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PRIVATE)
def test_visitor_is_sent_to_sign_in_for_everything_else(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.django_db
def test_visitor_gets_no_space_inside(client, space):
    response = client.get(space.get_absolute_url())
    assert response.status_code == 302
    assert space.name not in response.content.decode()


@pytest.mark.django_db
def test_pages_load_nothing_from_another_origin(login, member):
    html = login(member).get("/").content.decode()
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html.replace("https://www.w3.org", "")


@pytest.mark.django_db
def test_not_found_page_uses_house_design(login, member):
    response = login(member).get("/no-such-page/")
    assert response.status_code == 404
    assert b"nhsuk-header" in response.content
    assert b"Page not found" in response.content


@pytest.mark.django_db
def test_every_response_carries_security_headers(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_vendored_design_system_loads_nothing_from_another_origin():
    import re
    from pathlib import Path

    from community.assets import strip_remote

    remote = re.compile(r"url\(\s*['\"]?https?://")
    sample = "@font-face{font-family:X;src:url(https://assets.nhs.uk/f.woff2)}body{color:red}"
    assert strip_remote(sample) == "body{color:red}"
    css = Path(__file__).resolve().parents[2] / "static/vendor/nhsuk/nhsuk-frontend.min.css"
    if not css.exists():
        pytest.skip("run `make setup` to vendor the NHS.UK assets")
    assert not remote.search(css.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_account_pages_use_sentence_case(client):
    body = client.get("/accounts/login/").content.decode()
    assert "Sign in" in body and "Remember me" in body
    assert "Sign In" not in body and "Remember Me" not in body
