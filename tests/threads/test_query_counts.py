"""The space thread list and the thread page run a constant number of queries (at most 15)."""

import pytest

from tests.conftest import make_member
from threads.models import Reaction, ThreadFollow
from threads.services import create_reply, create_thread

from .helpers import thread_url

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def _threads(space, author, count):
    for n in range(count):
        create_thread(
            actor=author, space=space, title=f"Thread {n}", body=f"Body {n}", anonymous=n % 3 == 0
        )


@pytest.mark.parametrize("count", [2, 60])
def test_space_thread_list_runs_constant_queries(
    login, space, member, other_member, count, django_assert_max_num_queries
):
    _threads(space, member, count)
    client = login(other_member)
    client.get(space.get_absolute_url())  # warm the session
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(space.get_absolute_url())
    assert response.status_code == 200
    assert min(count, 25) == len(response.context["threads_page"].object_list)


@pytest.mark.parametrize("count", [2, 60])
def test_thread_page_runs_constant_queries(
    login, thread, member, other_member, moderator, count, django_assert_max_num_queries
):
    people = [make_member(thread.space, f"Reader {n}") for n in range(3)]
    for n in range(count - 1):
        author = [other_member, member, *people][n % 5]
        post = create_reply(actor=author, thread=thread, body=f"Reply {n}", anonymous=n % 4 == 0)
        for reader in people:
            if reader != author:
                Reaction.objects.create(post=post, user=reader, kind="thanks")
    for reader in people:
        ThreadFollow.objects.get_or_create(user=reader, thread=thread)
    for user in (other_member, moderator):
        client = login(user)
        client.get(thread_url(thread))
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(thread_url(thread))
        assert response.status_code == 200
        assert len(response.context["posts"]) == min(count, 30)
        with django_assert_max_num_queries(MAX_QUERIES):
            assert client.get(thread_url(thread) + "?page=2").status_code == 200
