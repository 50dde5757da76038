"""@mentions: only people who can see the post hear of it; anonymity kept; no re-notify."""

from __future__ import annotations

import pytest

from tests.conftest import make_member, make_user
from threads.digests import send_digest
from threads.models import Notification, NotificationKind
from threads.services import approve_post, create_reply, create_thread, edit_post

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def _mentions(user):
    return Notification.objects.filter(recipient=user, kind=NotificationKind.MENTION)


def test_mention_notifies_a_member_who_can_see_the_thread(thread, member, other_member):
    post = create_reply(actor=member, thread=thread, body="What do you think, @Olu Other?")
    note = _mentions(other_member).get()
    assert note.actor == member and note.post == post


def test_mention_of_someone_who_cannot_see_notifies_nobody_and_tells_the_author(
    login, thread, member, outsider, other_space
):
    elsewhere = make_member(other_space, "Ola Elsewhere")
    response = login(member).post(
        thread_url(thread, "reply/"),
        {"body": "Looping in @Oliver Outsider and @Ola Elsewhere"},
        follow=True,
    )
    assert not Notification.objects.filter(recipient__in=[outsider, elsewhere]).exists()
    page = response.content.decode()
    assert "Not everyone you mentioned was notified" in page
    # Named nowhere: the author learns nothing of who has an account or is outside the space.
    assert "Oliver Outsider" not in page.replace("Looping in @Oliver Outsider", "")
    assert "Ola Elsewhere" not in page.replace("@Ola Elsewhere", "")


def test_mention_in_an_anonymous_post_does_not_reveal_its_author(
    login, anonymous_thread, member, other_member
):
    create_reply(
        actor=other_member, thread=anonymous_thread, body="@Mel Member have you seen this?",
        anonymous=True,
    )  # fmt: skip
    note = _mentions(member).get()
    assert note.actor is None
    page = login(member).get("/notifications/").content.decode()
    assert "A member of this space mentioned you in" in page
    assert "Olu Other" not in page


def test_anonymous_mention_email_does_not_name_the_author(
    mailoutbox, anonymous_thread, member, other_member
):
    create_reply(
        actor=other_member, thread=anonymous_thread, body="@Mel Member see this", anonymous=True
    )
    send_digest(member, base_url="http://testserver")
    text = mailoutbox[0].body + mailoutbox[0].alternatives[0][0]
    assert "mentioned you in" in text
    assert "Olu Other" not in text


def test_mention_in_a_pending_post_waits_for_approval(thread, space, other_member, moderator):
    space.premoderation_count = 5
    space.save()
    newcomer = make_member(space, "Nia Newcomer")
    reply = create_reply(actor=newcomer, thread=thread, body="@Olu Other look")
    assert not reply.is_published
    assert not _mentions(other_member).exists()
    approve_post(actor=moderator, post=reply)
    assert _mentions(other_member).count() == 1


def test_editing_a_post_does_not_notify_again(thread, member, other_member, moderator):
    post = create_reply(actor=member, thread=thread, body="Hello @Olu Other")
    edit_post(actor=member, post=post, body="Hello again @Olu Other and @Maya Moderator")
    assert _mentions(other_member).count() == 1
    assert not _mentions(moderator).exists()


def test_mentioned_follower_gets_one_mention_not_a_reply_too(thread, member, other_member):
    create_reply(actor=other_member, thread=thread, body="I follow this now")
    create_reply(actor=member, thread=thread, body="@Olu Other thanks")
    kinds = list(Notification.objects.filter(recipient=other_member).values_list("kind", flat=True))
    assert kinds == [NotificationKind.MENTION]


def test_quoted_mentions_and_email_addresses_are_not_mentions(thread, member, other_member):
    create_reply(actor=member, thread=thread, body="> @Olu Other said so\n\nmail olu@Olu Other.org")
    assert not _mentions(other_member).exists()


def test_a_self_mention_is_quiet(login, thread, member, other_member):
    response = login(member).post(
        thread_url(thread, "reply/"), {"body": "@Mel Member and @Olu Other"}, follow=True
    )
    assert not _mentions(member).exists() and _mentions(other_member).exists()
    assert "Not everyone you mentioned" not in response.content.decode()


def test_an_unknown_name_gets_the_same_answer_as_someone_who_cannot_see(
    login, thread, member, outsider
):
    """Whether the name is nobody's or an outsider's, the author reads the same words."""
    answers = []
    for name in ("Nobody Atall", "Oliver Outsider"):
        response = login(member).post(
            thread_url(thread, "reply/"), {"body": f"Thanks @{name}"}, follow=True
        )
        page = response.content.decode()
        answers.append("Not everyone you mentioned was notified" in page)
    assert answers == [True, True]
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_suggestions_list_only_people_who_can_see_the_thread(
    login, thread, member, other_member, outsider, other_space, banned_member
):
    make_member(other_space, "Olive Elsewhere")
    make_user("Oscar Nowhere")
    response = login(member).get(thread_url(thread, "mentions/"), {"q": "O"})
    names = [m["name"] for m in response.json()["members"]]
    assert names == ["Olu Other"]
    assert login(member).get(thread_url(thread, "mentions/"), {"q": ""}).json() == {"members": []}


def test_outsider_gets_404_from_suggestions(login, thread, outsider):
    assert login(outsider).get(thread_url(thread, "mentions/"), {"q": "M"}).status_code == 404


def test_suggestion_queries_are_bounded(
    login, thread, member, space, django_assert_max_num_queries
):
    for n in range(30):
        make_member(space, f"Orla {n}")
    with django_assert_max_num_queries(30):
        response = login(member).get(thread_url(thread, "mentions/"), {"q": "Orla"})
    assert len(response.json()["members"]) == 8


def test_new_thread_suggestions_list_only_readers_of_the_space(
    login, space, member, other_member, other_space, outsider
):
    make_member(other_space, "Olive Elsewhere")
    response = login(member).get(f"/spaces/{space.slug}/threads/new/mentions/", {"q": "ol"})
    assert [m["name"] for m in response.json()["members"]] == ["Olu Other"]
    page = login(member).get(f"/spaces/{space.slug}/threads/new/").content.decode()
    assert f'data-mentions-url="/spaces/{space.slug}/threads/new/mentions/"' in page


def test_outsider_gets_404_from_space_suggestions(login, unlisted_space, outsider):
    url = f"/spaces/{unlisted_space.slug}/threads/new/mentions/"
    assert login(outsider).get(url, {"q": "M"}).status_code == 404


def test_mention_in_a_new_thread_notifies_readers_only(space, member, other_member, outsider):
    create_thread(actor=member, space=space, title="Hello", body="@Olu Other @Oliver Outsider")
    assert _mentions(other_member).count() == 1
    assert not _mentions(outsider).exists()


def test_a_name_mentioned_twice_notifies_once_and_says_nothing_was_missed(
    login, thread, member, other_member
):
    response = login(member).post(
        thread_url(thread, "reply/"), {"body": "@Olu Other, and again @Olu Other"}, follow=True
    )
    assert _mentions(other_member).count() == 1
    assert "Not everyone you mentioned" not in response.content.decode()


# --- constant queries: one visibility query over every candidate ---------------------------

NAMES = ["Ada", "Bea", "Cal", "Dee", "Eve", "Fox", "Gus", "Hal", "Ivy", "Jo"]


@pytest.mark.parametrize("count", [1, 10])
def test_mentions_check_visibility_in_one_query_for_1_or_10_names(
    thread, member, space, other_space, count, django_assert_max_num_queries
):
    from threads import mentions

    readers = [make_member(space, f"{name} Reader") for name in NAMES[:count]]
    # Every other one also has a namesake who cannot read the thread.
    for name in NAMES[:count:2]:
        make_member(other_space, f"{name} Reader")
    post = create_reply(
        actor=member,
        thread=thread,
        body=" ".join(f"@{name} Reader" for name in NAMES[:count]),
    )
    with django_assert_max_num_queries(2):  # the names, then who of them can read the post
        found, missed = mentions.mentions_of(post)
    assert found == {r.pk for r in readers}
    assert not missed  # each name reached its reader, though a namesake cannot read it


def test_a_namesake_outside_the_space_alone_is_a_miss(thread, member, other_space):
    from threads import mentions

    make_member(other_space, "Zed Outside")
    post = create_reply(actor=member, thread=thread, body="Thanks @Zed Outside")
    assert mentions.mentions_of(post) == (set(), True)


@pytest.mark.parametrize("count", [1, 20])
def test_suggestions_check_visibility_in_one_query_for_1_or_20_candidates(
    thread, member, space, other_space, count, django_assert_max_num_queries
):
    from threads import mentions

    for n in range(count):
        # Alternately readers of the thread and members elsewhere.
        make_member(space if n % 2 == 0 else other_space, f"Quin {chr(ord('a') + n)}")
    with django_assert_max_num_queries(2):  # the candidates, then who of them can read it
        found = mentions.suggestions(member, thread, "Quin")
    expected = [f"Quin {chr(ord('a') + n)}" for n in range(0, count, 2)][: mentions.SUGGESTIONS]
    assert [f["name"] for f in found] == expected
    with django_assert_max_num_queries(2):
        in_space = mentions.space_suggestions(member, space, "Quin")
    assert [f["name"] for f in in_space] == expected
