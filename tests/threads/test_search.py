import pytest

from threads.models import PostStatus, ThreadVisibility
from threads.services import create_reply, create_thread

pytestmark = pytest.mark.django_db


def test_member_finds_a_thread_by_a_word_in_its_body(login, thread, member):
    page = login(member).get("/search/?q=mentoring").content.decode()
    assert "reverse <mark>mentoring</mark>" in page.lower() or "<mark>mentoring</mark>" in page
    assert "1 result" in page


def test_outsider_finds_nothing_from_a_private_space(login, thread, outsider):
    page = login(outsider).get("/search/?q=mentoring").content.decode()
    assert "No results" in page
    assert thread.title not in page


def test_outsider_finds_community_threads(login, space, member, outsider):
    create_thread(
        actor=member,
        space=space,
        title="Open letter",
        body="allyship pledge",
        visibility=ThreadVisibility.COMMUNITY,
    )
    assert "Open letter" in login(outsider).get("/search/?q=pledge").content.decode()


def test_search_filters_by_space(login, thread, other_space, member):
    from community.models import Membership
    from tests.conftest import accept_all_guidelines

    Membership.objects.create(user=member, space=other_space)
    accept_all_guidelines(member, other_space)
    create_thread(actor=member, space=other_space, title="Elsewhere", body="mentoring too")
    page = login(member).get(f"/search/?q=mentoring&space={other_space.slug}").content.decode()
    assert "Elsewhere" in page
    assert "reverse mentoring stick" not in page


def test_search_snippet_escapes_member_text(login, space, member):
    create_thread(
        actor=member, space=space, title="Escaping", body="findme <script>alert(1)</script>"
    )
    page = login(member).get("/search/?q=findme").content.decode()
    assert "<script>alert(1)" not in page


def test_hidden_posts_are_not_found_by_peers(login, thread, member, other_member):
    from threads.models import Post

    reply = create_reply(actor=other_member, thread=thread, body="uniqueword")
    Post.objects.filter(pk=reply.pk).update(status=PostStatus.HIDDEN)
    assert "No results" in login(member).get("/search/?q=uniqueword").content.decode()


def test_empty_query_shows_the_form(login, member):
    response = login(member).get("/search/?q=")
    assert response.status_code == 200
    assert "No results" not in response.content.decode()


def test_search_results_paginate(login, thread, member):
    for n in range(25):
        create_reply(actor=member, thread=thread, body=f"repeatword number {n}")
    page = login(member).get("/search/?q=repeatword").content.decode()
    assert "25 results" in page
    assert "page=2" in page


@pytest.mark.django_db
def test_search_counts_no_further_than_its_cap(login, member, space, monkeypatch):
    from threads import selectors
    from threads.services import create_thread

    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    for number in range(4):
        create_thread(actor=member, space=space, title=f"Allyship note {number}", body="allyship")
    body = login(member).get("/search/", {"q": "allyship"}).content.decode()
    assert "More than 2 results" in body
