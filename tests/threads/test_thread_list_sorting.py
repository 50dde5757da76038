"""Thread list: sort orders, the unanswered questions filter, and marking a space read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_member
from threads.models import Notification, ReadState, Thread, ThreadKind
from threads.selectors import THREADS_PER_PAGE
from threads.services import create_reply, create_thread, hide_post

pytestmark = pytest.mark.django_db

QUERY_CAP = 11  # the page, whatever the number of rows


def _titles(response) -> list[str]:
    return [t.title for t in response.context["threads_page"].object_list]


def _thread(actor, space, title, *, kind=ThreadKind.DISCUSSION, days_ago=0):
    thread = create_thread(actor=actor, space=space, title=title, body=f"About {title}", kind=kind)
    when = timezone.now() - timedelta(days=days_ago)
    Thread.objects.filter(pk=thread.pk).update(created_at=when, last_post_at=when)
    return Thread.objects.get(pk=thread.pk)


def test_threads_sort_by_activity_newest_and_most_replies(login, space, member, other_member):
    old = _thread(member, space, "Old but busy", days_ago=5)
    new = _thread(member, space, "Brand new", days_ago=1)
    quiet = _thread(member, space, "Quiet middle", days_ago=3)
    create_reply(actor=other_member, thread=old, body="one")
    create_reply(actor=other_member, thread=old, body="two")
    create_reply(actor=other_member, thread=quiet, body="three")
    client = login(other_member)
    url = space.get_absolute_url()
    assert _titles(client.get(url)) == ["Quiet middle", "Old but busy", "Brand new"]
    assert _titles(client.get(url, {"sort": "newest"})) == [
        "Brand new",
        "Quiet middle",
        "Old but busy",
    ]
    assert _titles(client.get(url, {"sort": "replies"}))[0] == "Old but busy"
    # An unknown sort falls back to latest activity, not an error.
    assert client.get(url, {"sort": "drop table"}).status_code == 200
    assert new.title in _titles(client.get(url, {"sort": "nonsense"}))


def test_unanswered_filter_shows_questions_without_a_reply_from_someone_else(
    login, space, member, other_member, moderator
):
    _thread(member, space, "Nobody answered", kind=ThreadKind.QUESTION)
    self_reply = _thread(member, space, "Only I replied", kind=ThreadKind.QUESTION)
    create_reply(actor=member, thread=self_reply, body="Anyone?")
    answered = _thread(member, space, "Answered", kind=ThreadKind.QUESTION)
    create_reply(actor=other_member, thread=answered, body="Here is an answer")
    hidden_answer = _thread(member, space, "Answer was hidden", kind=ThreadKind.QUESTION)
    reply = create_reply(actor=other_member, thread=hidden_answer, body="Rude answer")
    hide_post(actor=moderator, post=reply, reason="Personal attack")
    _thread(member, space, "A discussion")
    titles = _titles(login(other_member).get(space.get_absolute_url(), {"show": "unanswered"}))
    assert sorted(titles) == ["Answer was hidden", "Nobody answered", "Only I replied"]


def test_filters_are_kept_across_pages(login, space, member):
    for n in range(THREADS_PER_PAGE + 2):
        _thread(member, space, f"Question {n}", kind=ThreadKind.QUESTION, days_ago=n)
    response = login(member).get(
        space.get_absolute_url(), {"show": "unanswered", "sort": "newest", "kind": "question"}
    )
    page = response.content.decode()
    assert "?kind=question&amp;sort=newest&amp;show=unanswered&amp;page=2" in page
    second = login(member).get(
        space.get_absolute_url(),
        {"show": "unanswered", "sort": "newest", "kind": "question", "page": 2},
    )
    assert _titles(second) == [f"Question {THREADS_PER_PAGE}", f"Question {THREADS_PER_PAGE + 1}"]


def test_outsider_sees_no_private_threads_whatever_the_filter(login, space, member, outsider):
    _thread(member, space, "Private question", kind=ThreadKind.QUESTION)
    response = login(outsider).get(space.get_absolute_url(), {"show": "unanswered"})
    assert "Private question" not in response.content.decode()


@pytest.mark.parametrize("sort", ["activity", "newest", "replies"])
def test_thread_list_query_count_is_constant(
    login, space, member, other_member, django_assert_max_num_queries, sort
):
    client = login(other_member)
    url = space.get_absolute_url()
    _thread(member, space, "First", kind=ThreadKind.QUESTION)
    with django_assert_max_num_queries(QUERY_CAP):
        client.get(url, {"sort": sort, "show": "unanswered"})
    for n in range(15):
        thread = _thread(member, space, f"More {n}", kind=ThreadKind.QUESTION)
        create_reply(actor=member, thread=thread, body="bump")
    with django_assert_max_num_queries(QUERY_CAP):
        client.get(url, {"sort": sort, "show": "unanswered"})


def test_mark_space_read_marks_every_visible_thread_and_its_notifications(
    login, space, other_space, member, other_member
):
    threads = [_thread(member, space, f"Thread {n}") for n in range(4)]
    elsewhere = _thread(make_member(other_space), other_space, "Elsewhere")
    create_reply(actor=member, thread=threads[0], body="A reply to follow")
    Notification.objects.create(recipient=other_member, kind="reply", thread=threads[0])
    client = login(other_member)
    client.get(threads[1].get_absolute_url())  # one already read
    assert client.get("/").context["header_counts"].notifications == 1
    response = client.post(f"/spaces/{space.slug}/threads/read/", follow=True)
    assert "All threads in" in response.content.decode()
    page = client.get(space.get_absolute_url())
    assert not any(t.has_unread for t in page.context["threads_page"].object_list)
    assert page.context["header_counts"].notifications == 0
    assert not ReadState.objects.filter(user=other_member, thread=elsewhere).exists()
    # Something new afterwards is unread again.
    create_reply(actor=member, thread=threads[2], body="Later")
    page = client.get(space.get_absolute_url())
    unread = [t.title for t in page.context["threads_page"].object_list if t.has_unread]
    assert unread == ["Thread 2"]


def test_mark_space_read_runs_few_queries_whatever_the_number_of_threads(
    space, member, other_member, django_assert_max_num_queries
):
    from threads.services import mark_space_read

    for n in range(30):
        _thread(member, space, f"Thread {n}")
    with django_assert_max_num_queries(6):
        assert mark_space_read(actor=other_member, space=space) == 30
    with django_assert_max_num_queries(6):
        assert mark_space_read(actor=other_member, space=space) == 0


def test_mark_space_read_refuses_an_outsider_of_an_unlisted_space(login, unlisted_space, outsider):
    response = login(outsider).post(f"/spaces/{unlisted_space.slug}/threads/read/")
    assert response.status_code == 404
    assert not ReadState.objects.filter(user=outsider).exists()


def test_mark_space_read_needs_post(login, space, member):
    assert login(member).get(f"/spaces/{space.slug}/threads/read/").status_code == 405
