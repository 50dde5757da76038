"""Two costs taken off every page (issue 17, docs/performance.md "Pages against Spirit"), with
the same answers: the header's review-queue count is asked only of people with a queue, and
the thread's own bookmark comes with the thread's query."""

import pytest

from community.models import Membership
from community.site.context_processors import HeaderCounts
from moderation.selectors import queue_count
from tests.conftest import make_member
from threads.bookmarks import is_thread_bookmarked, toggle_bookmark
from threads.selectors import thread_in_space

from .helpers import thread_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role",
    ["member", "moderator", "staff", "outsider", "banned_member", "other_moderator", "pending"],
)
def test_header_queue_count_is_queue_count_for_every_role(request, space, pending_member, role):
    # pending_member is a join request: one item in the queue of the space's moderators.
    user = pending_member if role == "pending" else request.getfixturevalue(role)
    assert HeaderCounts(user).moderation == queue_count(user)
    if role in {"moderator", "staff"}:
        assert HeaderCounts(user).moderation == 1


def test_a_former_moderator_has_no_queue(space, pending_member):
    former = make_member(space, "Fay Former", status=Membership.Status.BANNED)
    Membership.objects.filter(user=former).update(is_moderator=True)
    assert HeaderCounts(former).moderation == queue_count(former) == 0


def test_header_queue_count_costs_a_member_one_small_query(
    space, member, moderator, pending_member, django_assert_num_queries
):
    with django_assert_num_queries(1) as captured:
        assert HeaderCounts(member).moderation == 0
    assert "moderation_flag" not in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(2):
        assert HeaderCounts(moderator).moderation == 1


def test_moderator_still_sees_the_queue_in_the_header_and_a_member_does_not(
    login, thread, moderator, member, pending_member
):
    assert "To review" in login(moderator).get(thread_url(thread)).content.decode()
    assert "To review" not in login(member).get(thread_url(thread)).content.decode()


def test_thread_bookmark_comes_with_the_thread(
    space, thread, other_member, django_assert_num_queries
):
    loaded = thread_in_space(other_member, space.slug, thread.pk)
    with django_assert_num_queries(0):
        assert is_thread_bookmarked(other_member, loaded) is False
    toggle_bookmark(actor=other_member, thread=thread)
    loaded = thread_in_space(other_member, space.slug, thread.pk)
    with django_assert_num_queries(0):
        assert is_thread_bookmarked(other_member, loaded) is True
    # A post's bookmark is not the thread's.
    toggle_bookmark(actor=other_member, thread=thread)
    toggle_bookmark(actor=other_member, thread=thread, post=thread.posts.get())
    assert thread_in_space(other_member, space.slug, thread.pk).is_bookmarked_thread is False
    # Another member's bookmark is not this member's.
    toggle_bookmark(actor=make_member(space, "Bo Other"), thread=thread)
    assert thread_in_space(other_member, space.slug, thread.pk).is_bookmarked_thread is False


def test_thread_page_shows_the_thread_bookmark(login, thread, other_member):
    client = login(other_member)
    assert "Remove bookmark" not in client.get(thread_url(thread)).content.decode()
    client.post(thread_url(thread, "bookmark/"))
    response = client.get(thread_url(thread))
    assert response.context["thread_bookmarked"] is True
    assert "Remove bookmark" in response.content.decode()
