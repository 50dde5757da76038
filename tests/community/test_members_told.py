"""Members are told: join requests approved or declined; invitations emailed, listed, revoked."""

from __future__ import annotations

import pytest
from django.core import mail
from django.http import Http404
from django.urls import reverse

from community.models import Invitation, Membership
from community.services import revoke_invitation
from threads.models import Notification


def _act(client, space, membership, name, **data):
    return client.post(reverse("membership_action", args=[space.slug, membership.pk, name]), data)


def test_approved_request_is_told_in_app_and_by_email(
    login, moderator, pending_member, space, django_capture_on_commit_callbacks
):
    membership = Membership.objects.get(user=pending_member)
    with django_capture_on_commit_callbacks(execute=True):
        _act(login(moderator), space, membership, "approve")
    note = Notification.objects.get(recipient=pending_member)
    assert f"Your request to join {space.name} was approved" in note.text
    assert [m.to for m in mail.outbox] == [[pending_member.email]]
    assert space.get_absolute_url() in mail.outbox[0].body
    assert moderator.display_name not in note.text + mail.outbox[0].body


def test_declined_request_is_told_with_the_reason(
    login, moderator, pending_member, space, django_capture_on_commit_callbacks
):
    membership = Membership.objects.get(user=pending_member)
    with django_capture_on_commit_callbacks(execute=True):
        _act(login(moderator), space, membership, "decline", reason="This space is for managers")
    note = Notification.objects.get(recipient=pending_member)
    assert "was declined" in note.text and "This space is for managers" in note.text
    assert "This space is for managers" in mail.outbox[0].body


def test_member_cannot_approve_and_nobody_is_told(
    login, member, pending_member, space, django_capture_on_commit_callbacks
):
    membership = Membership.objects.get(user=pending_member)
    with django_capture_on_commit_callbacks(execute=True):
        _act(login(member), space, membership, "approve")
    assert not Notification.objects.filter(recipient=pending_member).exists()
    assert not mail.outbox


def test_invitation_with_an_address_is_emailed(
    login, moderator, space, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(moderator).post(
            reverse("space_invitation_create", args=[space.slug]), {"email": "New@NHS.net"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert [m.to for m in mail.outbox] == [["new@nhs.net"]]
    assert invitation.get_absolute_url() in mail.outbox[0].body
    assert space.name in mail.outbox[0].subject


def test_invitation_without_an_address_sends_nothing(
    login, moderator, space, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(moderator).post(reverse("space_invitation_create", args=[space.slug]), {})
    assert Invitation.objects.count() == 1 and not mail.outbox


def test_invitation_link_prefills_the_address_at_sign_up(client, moderator, space):
    invitation = Invitation.objects.create(space=space, created_by=moderator, email="ade@nhs.net")
    client.get(invitation.get_absolute_url())
    html = client.get(reverse("account_signup")).content.decode()
    assert 'value="ade@nhs.net"' in html


def test_maker_lists_and_revokes_their_invitation(login, moderator, space):
    invitation = Invitation.objects.create(space=space, created_by=moderator, email="a@nhs.net")
    client = login(moderator)
    assert "a@nhs.net" in client.get(reverse("invitation_list")).content.decode()
    response = client.post(reverse("invitation_revoke", args=[invitation.pk]), follow=True)
    assert "revoked" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked and not invitation.is_usable
    # revoking again changes nothing and says so
    response = client.post(reverse("invitation_revoke", args=[invitation.pk]), follow=True)
    assert "already used or revoked" in response.content.decode()


def test_someone_elses_invitation_is_neither_listed_nor_revocable(
    login, moderator, space, make_space
):
    from tests.conftest import make_member

    co_moderator = make_member(space, "Cora Comod", is_moderator=True)
    invitation = Invitation.objects.create(space=space, created_by=moderator, email="a@nhs.net")
    client = login(co_moderator)
    assert "a@nhs.net" not in client.get(reverse("invitation_list")).content.decode()
    assert client.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 404
    with pytest.raises(Http404, match="No such invitation"):
        revoke_invitation(actor=co_moderator, invitation=invitation)
    invitation.refresh_from_db()
    assert not invitation.revoked


def test_staff_see_and_revoke_any_invitation(login, moderator, staff, space):
    invitation = Invitation.objects.create(space=space, created_by=moderator)
    client = login(staff)
    assert "Anyone with the link" in client.get(reverse("invitation_list")).content.decode()
    client.post(reverse("invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked


def test_revoke_is_post_only_and_list_runs_constant_queries(
    login, moderator, space, django_assert_max_num_queries
):
    for n in range(3):
        Invitation.objects.create(space=space, created_by=moderator, email=f"p{n}@nhs.net")
    client = login(moderator)
    first = Invitation.objects.first()
    assert client.get(reverse("invitation_revoke", args=[first.pk])).status_code == 405
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("invitation_list"))
    for n in range(3, 20):
        Invitation.objects.create(space=space, created_by=moderator, email=f"p{n}@nhs.net")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("invitation_list")).content.decode()
    assert html.count(">Revoke<") == 20
