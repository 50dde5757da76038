"""The signed-in home page leads with what is unread and due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from realtime.models import LiveSession
from threads.services import create_reply, create_thread

pytestmark = pytest.mark.django_db


def test_unread_threads_come_first_then_sessions_then_commitments(
    login, space, member, other_member
):
    thread = create_thread(actor=member, space=space, title="Fresh for Olu", body="Hello")
    LiveSession.objects.create(
        space=space,
        title="Tuesday circle",
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=1),
    )
    page = login(other_member).get("/").content.decode()
    unread = page.index("Unread for you")
    assert unread < page.index("Fresh for Olu") < page.index("Tuesday circle")
    assert page.index("Tuesday circle") < page.index("Your next commitments")
    assert page.index("Your next commitments") < page.index("Latest in your spaces")
    # Reading it clears it from the unread list; a new reply brings it back, linked to it.
    client = login(other_member)
    client.get(thread.get_absolute_url())
    assert "You are up to date" in client.get("/").content.decode()
    create_reply(actor=member, thread=thread, body="More")
    page = client.get("/").content.decode()
    assert f"/threads/{thread.pk}/unread/" in page


def test_unread_list_shows_nothing_from_spaces_the_member_cannot_see(
    login, other_space, outsider, make_space
):
    from tests.conftest import make_member

    author = make_member(other_space, "Ada Author")
    create_thread(actor=author, space=other_space, title="Not for outsiders", body="x")
    page = login(outsider).get("/").content.decode()
    assert "Not for outsiders" not in page


def test_home_query_count_stays_constant(login, space, member, django_assert_max_num_queries):
    client = login(member)
    for number in range(12):
        create_thread(actor=member, space=space, title=f"Thread {number}", body="Body")
    with django_assert_max_num_queries(16):
        assert client.get("/").status_code == 200
