"""A member's recent posts on their profile: only what the viewer can read, never anonymous."""

from __future__ import annotations

import pytest

from community.models import Membership
from tests.conftest import accept_all_guidelines, make_member
from threads.services import create_reply, create_thread, hide_post

pytestmark = pytest.mark.django_db


def _profile(client, person) -> str:
    return client.get(f"/members/{person.pk}/").content.decode()


def test_co_member_sees_recent_posts(login, thread, member, other_member):
    create_reply(actor=member, thread=thread, body="A visible reply")
    page = _profile(login(other_member), member)
    assert "Recent posts" in page
    assert f"Started “{thread.title}”" in page


def test_anonymous_posts_are_never_attributed_even_to_moderators(
    login, anonymous_thread, other_member, member, moderator
):
    create_reply(actor=other_member, thread=anonymous_thread, body="Still me", anonymous=True)
    for viewer in (member, moderator, other_member):
        assert anonymous_thread.title not in _profile(login(viewer), other_member)


def test_posts_in_a_space_the_viewer_cannot_see_are_left_out(login, space, other_space, member):
    both = make_member(other_space, "Bo Both")
    Membership.objects.create(user=both, space=space, status=Membership.Status.ACTIVE)
    accept_all_guidelines(both, space)
    create_thread(actor=both, space=other_space, title="Private elsewhere", body="Only there")
    create_thread(actor=both, space=space, title="Shared here", body="Here")
    page = _profile(login(member), both)
    assert "Shared here" in page and "Private elsewhere" not in page


def test_hidden_posts_are_left_out(login, thread, member, other_member, moderator):
    reply = create_reply(actor=other_member, thread=thread, body="Soon hidden")
    hide_post(actor=moderator, post=reply, reason="Off topic")
    assert "Replied in" not in _profile(login(member), other_member)


def test_profile_activity_query_count_is_constant(
    login, thread, member, other_member, django_assert_max_num_queries
):
    client = login(other_member)
    for n in range(15):
        create_reply(actor=member, thread=thread, body=f"Reply {n}")
    with django_assert_max_num_queries(12):
        page = _profile(client, member)
    assert page.count("Replied in") == 10  # the latest ten, not the opening post
