"""ALLOWED_EMAIL_DOMAINS holds for addresses added in the account area too, except for members
who joined by invitation."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from community.models import Invitation

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302
    response = client.post(reverse("account_reauthenticate"), {"password": "pw-for-tests-123"})
    assert response.status_code == 302
    return client


def add_email(client: Client, email: str):
    return client.post(reverse("account_email"), {"action_add": "", "email": email})


@pytest.fixture(autouse=True)
def _allow_nhs_only(settings):
    settings.ALLOWED_EMAIL_DOMAINS = ["nhs.net"]


def test_an_address_outside_the_allowed_domains_is_refused_with_a_reason(member):
    response = add_email(signed_in(member), "me@gmail.com")
    assert response.status_code == 200
    assert "participating organisations" in response.content.decode()
    assert not EmailAddress.objects.filter(email="me@gmail.com").exists()


def test_an_address_in_an_allowed_domain_is_added(member):
    response = add_email(signed_in(member), "Me@NHS.net")
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=member, email="me@nhs.net").exists()


def test_a_member_who_joined_by_invitation_may_add_any_address(member, moderator, space):
    Invitation.objects.create(space=space, created_by=moderator, used_by=member)
    response = add_email(signed_in(member), "me@charity.org")
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=member, email="me@charity.org").exists()


def test_an_unused_invitation_for_the_member_does_not_count(member, moderator, space):
    Invitation.objects.create(space=space, created_by=moderator, email=member.email)
    response = add_email(signed_in(member), "me@charity.org")
    assert response.status_code == 200
    assert not EmailAddress.objects.filter(email="me@charity.org").exists()


def test_with_no_allow_list_any_address_may_be_added(settings, member):
    settings.ALLOWED_EMAIL_DOMAINS = []
    assert add_email(signed_in(member), "me@gmail.com").status_code == 302
    assert EmailAddress.objects.filter(user=member, email="me@gmail.com").exists()


def test_password_reset_still_works_for_an_address_outside_the_list(client, member, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[member.email]]
