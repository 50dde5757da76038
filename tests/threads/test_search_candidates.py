"""Search at scale (issue 17): each database walks only the newest matches this reader may
see, up to ``SEARCH_CANDIDATES``, and ranks those (SQLite: FTS5's bm25; PostgreSQL:
``ts_rank`` on the stored vector). Visibility still comes from ``Post.objects.visible_to``:
matches the reader may not see never use up the candidates, and the walk goes on past them."""

from __future__ import annotations

import pytest

from threads import selectors, services

pytestmark = pytest.mark.django_db


def _found(user, query, **kwargs) -> list[int]:
    return list(selectors.search_posts(user, query, **kwargs).values_list("pk", flat=True))


@pytest.mark.parametrize("window", [1, 20_000])
def test_newer_matches_the_reader_may_not_see_do_not_hide_older_ones(
    thread, member, other_space, other_moderator, monkeypatch, window
):
    # window=1: PostgreSQL's newest-posts arm holds one post, so the older arm must fill up.
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 2)
    monkeypatch.setattr(selectors, "SEARCH_RECENT_WINDOW", window)
    seen = [
        services.create_reply(actor=member, thread=thread, body=f"hedgerow {n}") for n in (1, 2)
    ]
    elsewhere = services.create_thread(
        actor=other_moderator, space=other_space, title="Private", body="hedgerow private"
    )
    for n in range(4):
        services.create_reply(actor=other_moderator, thread=elsewhere, body=f"hedgerow {n}")
    assert sorted(_found(member, "hedgerow")) == sorted(post.pk for post in seen)
    assert len(_found(other_moderator, "hedgerow")) == 2


def test_only_the_newest_candidates_are_ranked_and_counted(login, thread, member, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    posts = [
        services.create_reply(actor=member, thread=thread, body=f"fernbank {n}") for n in range(5)
    ]
    assert sorted(_found(member, "fernbank")) == sorted(post.pk for post in posts[-3:])
    assert "More than 2 results" in login(member).get("/search/?q=fernbank").content.decode()


def test_body_matches_are_ranked_by_the_index_not_only_by_date(thread, member):
    often = services.create_reply(
        actor=member, thread=thread, body="Kingfisher notes: kingfisher, kingfisher again."
    )
    once = services.create_reply(
        actor=member, thread=thread, body="One kingfisher among many other words here."
    )
    found = _found(member, "kingfisher")
    assert found.index(often.pk) < found.index(once.pk)


def test_a_word_finds_its_other_forms(thread, member):
    # Both databases match English word stems: "mentors" finds "mentoring" (the fixture's).
    opening = thread.posts.get(is_opening=True)
    assert _found(member, "mentors") == [opening.pk]


def test_the_page_shows_its_own_posts_in_rank_order(login, space, member, monkeypatch):
    monkeypatch.setattr(selectors, "RESULTS_PER_PAGE", 2)
    threads = [
        services.create_thread(actor=member, space=space, title=f"Note {n}", body="larchwood")
        for n in range(3)
    ]
    titled = services.create_thread(actor=member, space=space, title="Larchwood", body="see title")
    client = login(member)
    first = client.get("/search/?q=larchwood").content.decode()
    second = client.get("/search/?q=larchwood&page=2").content.decode()
    assert "4 results" in first
    assert first.index(titled.get_absolute_url()) < first.index(threads[2].get_absolute_url())
    assert threads[0].get_absolute_url() in second and titled.get_absolute_url() not in second
