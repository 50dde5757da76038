from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from community.models import Invitation, Membership, User


def signup(client, email, invitation=""):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "display_name": "Ngozi Example",
            "password1": "a-long-and-unusual-passphrase-42",
            "password2": "a-long-and-unusual-passphrase-42",
            "invitation": invitation,
        },
    )


@pytest.mark.django_db
def test_signup_with_disallowed_domain_is_refused(client, settings):
    settings.ALLOWED_EMAIL_DOMAINS = ["nhs.net"]
    response = signup(client, "someone@gmail.com")
    assert response.status_code == 200
    assert "participating organisations" in response.content.decode()
    assert not User.objects.filter(email="someone@gmail.com").exists()


@pytest.mark.django_db
def test_signup_with_allowed_domain_requires_email_confirmation(client, settings):
    settings.ALLOWED_EMAIL_DOMAINS = ["nhs.net"]
    response = signup(client, "leader@nhs.net")
    assert response.status_code == 302
    user = User.objects.get(email="leader@nhs.net")
    assert user.display_name == "Ngozi Example"
    assert len(mail.outbox) == 1
    # Not signed in until the address is confirmed.
    assert client.get(reverse("space_list")).status_code == 302


@pytest.mark.django_db
def test_invitation_lets_other_domain_sign_up_and_join_space(client, settings, moderator, space):
    settings.ALLOWED_EMAIL_DOMAINS = ["nhs.net"]
    invitation = Invitation.objects.create(space=space, created_by=moderator)
    response = signup(client, "guest@charity.org", invitation=invitation.token)
    assert response.status_code == 302
    user = User.objects.get(email="guest@charity.org")
    invitation.refresh_from_db()
    assert invitation.used_by == user
    assert Membership.objects.get(user=user, space=space).status == Membership.Status.ACTIVE


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["used", "expired", "revoked"])
def test_unusable_invitation_is_refused(client, settings, moderator, space, state):
    settings.ALLOWED_EMAIL_DOMAINS = ["nhs.net"]
    invitation = Invitation.objects.create(space=space, created_by=moderator)
    if state == "used":
        invitation.used_at = timezone.now()
    elif state == "expired":
        invitation.expires_at = timezone.now() - timedelta(minutes=1)
    else:
        invitation.revoked = True
    invitation.save()
    response = signup(client, "guest@charity.org", invitation=invitation.token)
    assert response.status_code == 200
    assert "expired or has already been used" in response.content.decode()
    assert not User.objects.filter(email="guest@charity.org").exists()


@pytest.mark.django_db
def test_invitation_for_another_address_is_refused(client, moderator, space):
    invitation = Invitation.objects.create(space=space, created_by=moderator, email="right@nhs.net")
    response = signup(client, "wrong@nhs.net", invitation=invitation.token)
    assert response.status_code == 200
    assert not User.objects.filter(email="wrong@nhs.net").exists()


@pytest.mark.django_db
def test_invitation_link_remembers_token_for_signup(client, moderator, space):
    invitation = Invitation.objects.create(space=space, created_by=moderator)
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 302
    assert invitation.token in client.get(reverse("account_signup")).content.decode()


@pytest.mark.django_db
def test_existing_member_accepts_invitation_to_invite_only_space(
    login, outsider, moderator, make_space
):
    space = make_space(join_policy="invite")
    from tests.conftest import make_member

    mod = make_member(space, is_moderator=True)
    invitation = Invitation.objects.create(space=space, created_by=mod)
    client = login(outsider)
    client.post(invitation.get_absolute_url())
    assert Membership.objects.get(user=outsider, space=space).status == Membership.Status.ACTIVE
    # Single use.
    assert client.get(invitation.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_moderator_creates_space_invitation(login, moderator, space):
    login(moderator).post(reverse("space_invitation_create", args=[space.slug]), {"email": ""})
    assert Invitation.objects.filter(space=space, created_by=moderator).count() == 1


@pytest.mark.django_db
def test_member_cannot_create_space_invitation(login, member, space):
    response = login(member).post(reverse("space_invitation_create", args=[space.slug]), {})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_outsider_gets_404_creating_invitation_to_unlisted_space(login, outsider, unlisted_space):
    response = login(outsider).post(
        reverse("space_invitation_create", args=[unlisted_space.slug]), {}
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_only_staff_create_site_invitations(login, member, staff):
    assert login(member).post(reverse("site_invitation_create"), {}).status_code == 403
    login(staff).post(reverse("site_invitation_create"), {})
    assert Invitation.objects.filter(space__isnull=True).count() == 1


@pytest.mark.django_db
def test_login_is_rate_limited(client):
    User.objects.create_user(
        email="target@example.org", password="right-password-123", display_name="T"
    )
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "target@example.org", "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": "target@example.org", "password": "wrong"}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
