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


def test_thread_page_state_brings_the_draft_and_email_choice_along(
    space, thread, other_member, member, django_assert_num_queries
):
    from community.models import EmailFrequency
    from threads.drafts import draft_for, save_draft
    from threads.email_choices import USUAL, choice_for, choose_email

    loaded = thread_in_space(other_member, space.slug, thread.pk, page_state=True)
    with django_assert_num_queries(0):
        assert draft_for(other_member, space, loaded) is None
        assert choice_for(other_member, space, loaded) == USUAL
    saved = save_draft(actor=other_member, space=space, thread=thread, body="Half a thought")
    choose_email(actor=other_member, space=space, thread=thread, frequency=EmailFrequency.NEVER)
    # Someone else's draft and choice, and the member's own for the whole space, are not these.
    save_draft(actor=member, space=space, thread=thread, body="Not yours")
    choose_email(actor=other_member, space=space, frequency=EmailFrequency.DAILY)
    loaded = thread_in_space(other_member, space.slug, thread.pk, page_state=True)
    with django_assert_num_queries(0):
        draft = draft_for(other_member, space, loaded)
        assert choice_for(other_member, space, loaded) == EmailFrequency.NEVER
    stored = draft_for(other_member, space, thread)  # not annotated: from the database
    assert (draft.pk, draft.title, draft.body, draft.updated_at) == (
        stored.pk, stored.title, stored.body, stored.updated_at
    ) == (saved.pk, "", "Half a thought", saved.updated_at)  # fmt: skip


def test_thread_page_shows_the_saved_draft_and_email_choice(login, thread, other_member):
    client = login(other_member)
    client.post(thread_url(thread, "draft/"), {"body": "Something I was writing"})
    client.post(thread_url(thread, "email/"), {"frequency": "never"})
    html = client.get(thread_url(thread)).content.decode()
    assert "Something I was writing" in html
    assert '<option value="never" selected>' in html
