"""The Django admin has no sign-in form of its own: allauth's (rate limits, MFA) is the only way in."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_anonymous_admin_login_is_sent_to_allauth_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_password_posted_to_admin_login_signs_nobody_in(client, staff):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.email, "password": "pw-for-tests-123", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_signed_in_non_staff_member_is_refused_at_admin_login(login, member):
    assert login(member).get("/admin/login/").status_code == 403


def test_staff_still_reach_the_admin(login, staff):
    assert login(staff).get("/admin/").status_code == 200
