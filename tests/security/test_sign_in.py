"""Sign-in protection: a new session key on sign-in, sign-out everywhere, reauthentication."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

PASSWORD = "pw-for-tests-123"

pytestmark = pytest.mark.django_db


def sign_in(user, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:1000]
    return client


def test_signing_in_rotates_the_session_key(member):
    client = Client()
    session = client.session
    session["planted"] = "by an attacker who fixed this session id"
    session.save()
    planted_key = session.session_key
    client.cookies["sessionid"] = planted_key
    sign_in(member, client)
    new_key = client.cookies["sessionid"].value
    assert new_key != planted_key
    assert not Session.objects.filter(session_key=planted_key).exists()
    assert client.get(reverse("account_settings")).status_code == 200


def test_signing_out_other_sessions_ends_them_and_keeps_this_one(member):
    laptop, phone = sign_in(member), sign_in(member)
    assert phone.get(reverse("account_settings")).status_code == 200
    page = laptop.get(reverse("usersessions_list"))
    assert page.status_code == 200
    response = laptop.post(reverse("usersessions_list"))
    assert response.status_code == 302
    signed_out = phone.get(reverse("account_settings"))
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("account_login"))
    assert laptop.get(reverse("account_settings")).status_code == 200


def test_password_change_asks_for_the_current_password(member, login):
    """allauth's password change is its own reauthentication: the old password is required."""
    client = login(member)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "a-guess",
            "password1": "a-new-long-pass-9",
            "password2": "a-new-long-pass-9",
        },
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_adding_an_email_address_needs_reauthentication(member, login):
    from allauth.account.models import EmailAddress

    client = login(member)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "second@example.org"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="second@example.org").exists()


def test_after_reauthenticating_the_change_goes_through(member):
    client = sign_in(member)  # a real sign-in counts as recent authentication
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-pass-9",
            "password2": "a-new-long-pass-9",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-new-long-pass-9")
