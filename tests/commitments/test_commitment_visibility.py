"""Private by default: only the owner sees a private commitment; a space share reaches that
space's active members; a community share every signed-in member. Everyone else gets 404.
Anonymity holds for peers; the space's moderators and staff see who."""

import pytest

from community.models import Membership
from tests.conftest import make_member
from threads.commitments.models import Commitment

from .conftest import make_commitment

pytestmark = pytest.mark.django_db


def url(commitment) -> str:
    return f"/commitments/{commitment.pk}/"


@pytest.mark.parametrize("role", ["other_member", "moderator", "facilitator", "staff", "outsider"])
def test_a_private_commitment_is_404_to_everyone_but_its_owner(request, login, commitment, role):
    viewer = request.getfixturevalue(role)
    response = login(viewer).get(url(commitment))
    assert response.status_code == 404
    assert commitment.text.encode() not in response.content
    assert not Commitment.objects.visible_to(viewer).exists()


def test_owner_sees_their_private_commitment(login, member, commitment):
    response = login(member).get(url(commitment))
    assert response.status_code == 200
    assert commitment.text.encode() in response.content


def test_visitor_is_sent_to_sign_in(client, commitment):
    response = client.get(url(commitment))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("other_member", 200),
        ("moderator", 200),
        ("staff", 200),
        ("outsider", 404),
        ("pending_member", 404),
        ("banned_member", 404),
        ("other_moderator", 404),
    ],
)
def test_a_space_share_is_seen_by_the_spaces_members_only(
    request, login, shared_commitment, role, status
):
    viewer = request.getfixturevalue(role)
    response = login(viewer).get(url(shared_commitment))
    assert response.status_code == status
    if status == 404:
        assert shared_commitment.text.encode() not in response.content


def test_a_member_who_leaves_the_space_stops_seeing_its_shares(
    login, other_member, shared_commitment
):
    Membership.objects.filter(user=other_member).delete()
    assert login(other_member).get(url(shared_commitment)).status_code == 404


@pytest.mark.parametrize("role", ["other_member", "outsider", "other_moderator"])
def test_a_community_share_is_seen_by_every_signed_in_member(request, login, member, role):
    shared = make_commitment(member, "Shared with everyone.", visibility="community")
    assert login(request.getfixturevalue(role)).get(url(shared)).status_code == 200


def test_anonymous_share_shows_a_member_of_this_space_to_peers(login, member, other_member, space):
    shared = make_commitment(
        member, "An anonymous promise.", visibility="space", space=space, anonymous=True
    )
    for page_url in (url(shared), f"/spaces/{space.slug}/commitments/"):
        page = login(other_member).get(page_url)
        assert page.status_code == 200
        assert b"A member of this space" in page.content
        assert member.display_name.encode() not in page.content
        assert member.email.encode() not in page.content
        assert f"/members/{member.pk}/".encode() not in page.content


@pytest.mark.parametrize("role", ["moderator", "staff"])
def test_moderators_and_staff_see_who_shared_anonymously(request, login, member, space, role):
    shared = make_commitment(
        member, "An anonymous promise.", visibility="space", space=space, anonymous=True
    )
    viewer = request.getfixturevalue(role)
    for page_url in (url(shared), f"/spaces/{space.slug}/commitments/"):
        page = login(viewer).get(page_url)
        assert member.display_name.encode() in page.content
        assert b"shared anonymously" in page.content


def test_moderator_of_another_space_does_not_see_who(login, member, space, other_space):
    shared = make_commitment(
        member, "An anonymous promise.", visibility="space", space=space, anonymous=True
    )
    other_mod = make_member(space, "Peer")
    Membership.objects.create(user=other_mod, space=other_space, is_moderator=True)
    page = login(other_mod).get(url(shared))
    assert member.display_name.encode() not in page.content


def test_source_thread_is_named_only_to_those_who_can_see_it(login, member, space, make_space):
    """A community share made from a private-space thread: outsiders see the commitment, not
    where it came from."""
    from threads.services import create_thread

    thread = create_thread(actor=member, space=space, title="Xylophone plans", body="Inside.")
    shared = make_commitment(member, "Open to all.", visibility="community", source_thread=thread)
    outsider = make_member(make_space("Far away"), "Far Away")
    page = login(outsider).get(url(shared))
    assert page.status_code == 200
    assert b"Xylophone plans" not in page.content
    assert b"Not linked to a thread or session" in page.content
    assert b"Xylophone plans" in login(member).get(url(shared)).content


def test_every_list_starts_from_visible_to(login, member, other_member, space, commitment):
    """Another member's private commitment appears on no list they can reach."""
    for path in ("/commitments/", f"/spaces/{space.slug}/commitments/", "/"):
        page = login(other_member).get(path)
        assert commitment.text.encode() not in page.content
