import pytest
from django.urls import reverse

from community.models import AuditEntry, Membership
from tests.conftest import make_user


def join(client, space, accept=True, message=""):
    data = {"message": message}
    if accept:
        data["accept_guidelines"] = "on"
    return client.post(reverse("space_join", args=[space.slug]), data)


@pytest.mark.django_db
def test_outsider_joins_open_space_after_accepting_guidelines(login, outsider, space):
    response = join(login(outsider), space)
    assert response.status_code == 302
    membership = Membership.objects.get(user=outsider, space=space)
    assert membership.status == Membership.Status.ACTIVE
    assert outsider.guidelines_acceptances.filter(version__space=space).exists()


@pytest.mark.django_db
def test_join_without_accepting_guidelines_is_refused(login, outsider, space):
    response = join(login(outsider), space, accept=False)
    assert response.status_code == 200
    assert "accept this space" in response.content.decode()
    assert not Membership.objects.filter(user=outsider, space=space).exists()


@pytest.mark.django_db
def test_join_request_waits_for_moderator(login, outsider, make_space):
    space = make_space(join_policy="request")
    join(login(outsider), space, message="I chair our staff network")
    membership = Membership.objects.get(user=outsider, space=space)
    assert membership.status == Membership.Status.PENDING
    assert membership.request_message == "I chair our staff network"
    assert login(outsider).get(reverse("space_members", args=[space.slug])).status_code == 404


@pytest.mark.django_db
def test_joining_invite_only_space_without_invitation_is_refused(login, outsider, make_space):
    space = make_space(join_policy="invite")
    response = join(login(outsider), space)
    assert response.status_code == 302
    assert not Membership.objects.filter(user=outsider, space=space).exists()


@pytest.mark.django_db
def test_banned_member_cannot_rejoin(login, banned_member, space):
    join(login(banned_member), space)
    assert (
        Membership.objects.get(user=banned_member, space=space).status == Membership.Status.BANNED
    )


@pytest.mark.django_db
def test_member_leaves_space(login, member, space):
    response = login(member).post(reverse("space_leave", args=[space.slug]))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=member, space=space).exists()


@pytest.mark.django_db
def test_muted_member_cannot_leave_to_escape_mute(login, muted_member, space):
    login(muted_member).post(reverse("space_leave", args=[space.slug]))
    assert Membership.objects.filter(user=muted_member, space=space).exists()


@pytest.mark.django_db
def test_leave_is_post_only(login, member, space):
    assert login(member).get(reverse("space_leave", args=[space.slug])).status_code == 405


def action(client, space, membership, name, **data):
    return client.post(reverse("membership_action", args=[space.slug, membership.pk, name]), data)


@pytest.mark.django_db
def test_moderator_approves_request(login, moderator, pending_member, space):
    membership = Membership.objects.get(user=pending_member)
    response = action(login(moderator), space, membership, "approve")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


@pytest.mark.django_db
def test_moderator_declines_request(login, moderator, pending_member, space):
    membership = Membership.objects.get(user=pending_member)
    action(login(moderator), space, membership, "decline")
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db
def test_member_cannot_approve_request(login, member, pending_member, space):
    membership = Membership.objects.get(user=pending_member)
    response = action(login(member), space, membership, "approve")
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


@pytest.mark.django_db
def test_moderator_of_another_space_gets_404(login, other_moderator, pending_member, space):
    membership = Membership.objects.get(user=pending_member)
    response = action(login(other_moderator), space, membership, "approve")
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


@pytest.mark.django_db
def test_moderator_cannot_change_roles_through_another_spaces_url(
    login, moderator, other_space, space
):
    target_user = make_user()
    target = Membership.objects.create(user=target_user, space=other_space)
    # A membership id from another space under this space's URL is a 404.
    response = action(login(moderator), space, target, "roles", moderator="on")
    assert response.status_code == 404
    target.refresh_from_db()
    assert not target.is_moderator


@pytest.mark.django_db
def test_moderator_promotes_member_to_facilitator(login, moderator, member, space):
    membership = Membership.objects.get(user=member, space=space)
    action(login(moderator), space, membership, "roles", facilitator="on")
    membership.refresh_from_db()
    assert membership.is_facilitator and not membership.is_moderator


@pytest.mark.django_db
def test_member_cannot_change_roles(login, member, other_member, space):
    membership = Membership.objects.get(user=other_member, space=space)
    assert action(login(member), space, membership, "roles", moderator="on").status_code == 403
    membership.refresh_from_db()
    assert not membership.is_moderator


@pytest.mark.django_db
def test_staff_can_manage_any_space(login, staff, member, space):
    membership = Membership.objects.get(user=member, space=space)
    action(login(staff), space, membership, "roles", moderator="on")
    membership.refresh_from_db()
    assert membership.is_moderator


@pytest.mark.django_db
def test_ban_needs_a_reason(login, moderator, member, space):
    membership = Membership.objects.get(user=member, space=space)
    action(login(moderator), space, membership, "ban", reason="  ")
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


@pytest.mark.django_db
def test_moderator_bans_and_removes(login, moderator, member, other_member, space):
    client = login(moderator)
    banned = Membership.objects.get(user=member, space=space)
    action(client, space, banned, "ban", reason="Racist remarks")
    banned.refresh_from_db()
    assert banned.status == Membership.Status.BANNED and banned.ban_reason == "Racist remarks"
    removed = Membership.objects.get(user=other_member, space=space)
    action(client, space, removed, "remove")
    assert not Membership.objects.filter(pk=removed.pk).exists()
    assert login(member).get(space.get_absolute_url() + "members/").status_code == 404


@pytest.mark.django_db
def test_membership_actions_are_post_only(login, moderator, member, space):
    membership = Membership.objects.get(user=member, space=space)
    url = reverse("membership_action", args=[space.slug, membership.pk, "ban"])
    assert login(moderator).get(url).status_code == 405


@pytest.fixture
def staff_moderator(space):
    """A staff account that is also one of the space's moderators."""
    user = make_user("Stella Staffmod", staff=True)
    Membership.objects.create(user=user, space=space, is_moderator=True)
    return user


@pytest.mark.django_db
def test_moderator_cannot_demote_a_staff_account_from_the_members_page(
    login, moderator, staff_moderator, space
):
    membership = Membership.objects.get(user=staff_moderator, space=space)
    response = action(login(moderator), space, membership, "roles")  # both boxes unticked
    assert response.status_code == 403
    assert "Staff" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_moderator and membership.status == Membership.Status.ACTIVE
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ban", "remove"])
def test_moderator_cannot_ban_or_remove_a_staff_account_from_the_members_page(
    login, moderator, staff_moderator, space, name
):
    membership = Membership.objects.get(user=staff_moderator, space=space)
    response = action(login(moderator), space, membership, name, reason="Overreach")
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE and membership.is_moderator
    assert not AuditEntry.objects.exists()
    assert not staff_moderator.notifications.exists()


@pytest.mark.django_db
def test_staff_can_demote_and_ban_another_staff_account(login, staff, staff_moderator, space):
    client = login(staff)
    membership = Membership.objects.get(user=staff_moderator, space=space)
    assert action(client, space, membership, "roles").status_code == 302
    membership.refresh_from_db()
    assert not membership.is_moderator
    assert action(client, space, membership, "ban", reason="Misuse").status_code == 302
    membership.refresh_from_db()
    assert membership.status == Membership.Status.BANNED
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "membership.roles",
        "membership.ban",
    }
