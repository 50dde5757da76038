"""An invitation expires between an hour and 90 days from when it is made."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from community import services
from community.forms import InvitationForm
from community.models import Invitation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "lifetime",
    [timedelta(minutes=30), timedelta(days=90, minutes=5), timedelta(days=-1)],
    ids=["half an hour", "just over 90 days", "yesterday"],
)
def test_the_service_refuses_an_expiry_outside_an_hour_to_90_days(moderator, space, lifetime):
    expires_at = timezone.now() + lifetime
    with pytest.raises(ValidationError) as refused:
        services.create_invitation(actor=moderator, space=space, expires_at=expires_at)
    assert "expires_at" in refused.value.message_dict
    assert not Invitation.objects.exists()


def test_the_service_refuses_the_last_moment_of_year_9999(moderator, space):
    far = timezone.make_aware(timezone.datetime(9999, 12, 31, 23, 59, 59))
    with pytest.raises(ValidationError):
        services.create_invitation(actor=moderator, space=space, expires_at=far)
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "lifetime", [timedelta(hours=1, minutes=1), timedelta(days=14), timedelta(days=89, hours=23)]
)
def test_the_service_accepts_an_expiry_within_the_bounds(moderator, space, lifetime):
    expires_at = timezone.now() + lifetime
    invitation = services.create_invitation(actor=moderator, space=space, expires_at=expires_at)
    assert invitation.expires_at == expires_at


def test_the_form_refuses_a_date_in_year_9999_and_nothing_is_created(login, moderator, space):
    client = login(moderator)
    response = client.post(
        reverse("space_invitation_create", args=[space.slug]),
        {"email": "", "expires_at": "9999-12-31"},
        follow=True,
    )
    assert response.status_code == 200
    assert "90 days" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_form_accepts_the_90th_day_and_the_service_agrees(login, moderator, space):
    last_day = timezone.localdate() + timedelta(days=90)
    form = InvitationForm({"email": "", "expires_at": last_day.isoformat()})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expires_at"] <= timezone.now() + timedelta(days=90)
    response = login(moderator).post(
        reverse("space_invitation_create", args=[space.slug]),
        {"email": "", "expires_at": last_day.isoformat()},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert timezone.localtime(invitation.expires_at).date() == last_day


def test_the_form_refuses_the_91st_day():
    form = InvitationForm(
        {"email": "", "expires_at": (timezone.localdate() + timedelta(days=91)).isoformat()}
    )
    assert not form.is_valid()
    assert "90 days" in form.errors["expires_at"][0]


def test_the_form_refuses_a_date_in_the_past():
    form = InvitationForm(
        {"email": "", "expires_at": (timezone.localdate() - timedelta(days=1)).isoformat()}
    )
    assert not form.is_valid()
