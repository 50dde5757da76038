"""Sign-up costs the same for a taken address as for a free one: a password is hashed in both."""

from __future__ import annotations

import pytest
from django.contrib.auth import hashers
from django.core import mail
from django.urls import reverse

from community.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-42"


def signup(client, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "display_name": "Ngozi Example",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The passwords the configured hasher encoded during the test."""
    seen: list[str] = []
    hasher_class = type(hashers.get_hasher())
    original = hasher_class.encode

    def encode(self, password, salt, *args, **kwargs):
        seen.append(password)
        return original(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(hasher_class, "encode", encode)
    return seen


def test_signup_with_a_free_address_hashes_the_password(client, hashed):
    response = signup(client, "new.person@example.org")
    assert response.status_code == 302
    assert User.objects.filter(email="new.person@example.org").exists()
    assert hashed == [PASSWORD]


def test_signup_with_a_taken_address_hashes_the_password_too(client, member, hashed):
    response = signup(client, member.email)
    assert response.status_code == 302
    assert User.objects.filter(email=member.email).count() == 1
    assert hashed == [PASSWORD]
    # The owner is told someone tried; the visitor sees the same page as for a free address.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]


def test_taken_and_free_addresses_answer_alike(member):
    from django.test import Client

    free = signup(Client(), "someone.else@example.org")
    taken = signup(Client(), member.email)
    assert (free.status_code, free["Location"]) == (taken.status_code, taken["Location"])
