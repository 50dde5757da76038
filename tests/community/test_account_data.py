import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Membership, User
from community.site import account_data


def signed_in_with_password(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302
    response = client.post(reverse("account_reauthenticate"), {"password": "pw-for-tests-123"})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_export_is_a_json_download_of_the_members_own_data(login, member, space):
    response = login(member).get(reverse("account_export"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == member.email
    assert data["memberships"][0]["space"] == space.name
    for key in ["threads", "posts", "reactions", "follows", "flags_filed", "live_messages"]:
        assert key in data


@pytest.mark.django_db
def test_export_holds_nothing_of_other_members(login, member, other_member):
    body = login(member).get(reverse("account_export")).content.decode()
    assert other_member.email not in body
    assert other_member.display_name not in body


@pytest.mark.django_db
def test_suspended_member_can_still_export(login, suspended_member):
    assert login(suspended_member).get(reverse("account_export")).status_code == 200


@pytest.mark.django_db
def test_visitor_cannot_export(client):
    assert client.get(reverse("account_export")).status_code == 302


@pytest.mark.django_db
def test_delete_asks_to_reauthenticate_first(login, member):
    response = login(member).post(reverse("account_delete"), {"confirm": "on"})
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    member.refresh_from_db()
    assert member.deletion_requested_at is None


@pytest.mark.django_db
def test_delete_without_confirmation_changes_nothing(member):
    client = signed_in_with_password(member)
    response = client.post(reverse("account_delete"), {})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.deletion_requested_at is None


@pytest.mark.django_db
def test_deletion_waits_for_grace_period_and_can_be_cancelled(member, mailoutbox):
    client = signed_in_with_password(member)
    client.post(reverse("account_delete"), {"confirm": "on"})
    member.refresh_from_db()
    assert member.deletion_requested_at is not None
    assert len(mailoutbox) == 1
    assert account_data.erase_due_accounts() == 0
    client.post(reverse("account_delete_cancel"))
    member.refresh_from_db()
    assert member.deletion_requested_at is None


@pytest.mark.django_db
def test_erasure_removes_personal_data_and_keeps_content_as_former_member(member, space):
    email = member.email
    account_data.request_deletion(actor=member, remove_content=False)
    User.objects.filter(pk=member.pk).update(
        deletion_requested_at=timezone.now() - timedelta(days=8)
    )
    assert account_data.erase_due_accounts() == 1
    assert account_data.erase_due_accounts() == 0  # idempotent
    member.refresh_from_db()
    assert member.display_name == "Former member"
    assert member.email != email and not member.is_active
    assert not member.has_usable_password()
    assert not Membership.objects.filter(user=member).exists()
    assert not User.objects.filter(email=email).exists()


@pytest.mark.django_db
def test_erasure_can_remove_posts_too(member, space):
    from threads.models import Post

    thread_posts = Post.objects.filter(author=member)
    account_data.request_deletion(actor=member, remove_content=True)
    User.objects.filter(pk=member.pk).update(
        deletion_requested_at=timezone.now() - timedelta(days=8)
    )
    account_data.erase_due_accounts()
    assert all(p.is_deleted and "Removed" in p.body for p in thread_posts)


@pytest.mark.django_db
def test_erase_accounts_command(member):
    account_data.request_deletion(actor=member, remove_content=False)
    User.objects.filter(pk=member.pk).update(
        deletion_requested_at=timezone.now() - timedelta(days=8)
    )
    call_command("erase_accounts")
    member.refresh_from_db()
    assert member.erased_at is not None


@pytest.mark.django_db
def test_erasure_keeps_audit_entries_but_removes_the_name(moderator, member, space):
    from community.models import AuditEntry
    from community.sanctions import warn_member

    warn_member(actor=moderator, space=space, member=member, reason="Please keep to the guidelines")
    entry = AuditEntry.objects.get(action__startswith="member.warn")
    assert entry.actor_label == moderator.display_name
    account_data.request_deletion(actor=moderator, remove_content=False)
    User.objects.filter(pk=moderator.pk).update(
        deletion_requested_at=timezone.now() - timedelta(days=8)
    )
    account_data.erase_due_accounts()
    entry.refresh_from_db()
    assert entry.actor_label == "Former member"
    assert entry.reason == "Please keep to the guidelines"
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_erasure_removes_the_name_of_an_audited_member(moderator, member, space):
    from community.models import AuditEntry
    from community.sanctions import warn_member

    warn_member(actor=moderator, space=space, member=member, reason="Please keep to the guidelines")
    assert member.display_name in AuditEntry.objects.get().target_label
    account_data.request_deletion(actor=member, remove_content=False)
    User.objects.filter(pk=member.pk).update(
        deletion_requested_at=timezone.now() - timedelta(days=8)
    )
    account_data.erase_due_accounts()
    entry = AuditEntry.objects.get()
    assert entry.target_label == "Former member"
    assert entry.actor_label == moderator.display_name
