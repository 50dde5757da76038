"""Search through the stored index (SQLite FTS5, migration 0005): what it finds is still only
what the searcher may read, it follows edits and title changes, and erasure leaves no text in
it. The visibility tests hold on every database; the index checks are SQLite's."""

from __future__ import annotations

import pytest
from django.db import connection

from threads import selectors, services
from threads.models import Post

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")


def _found(user, query, **kwargs) -> list[int]:
    return list(selectors.search_posts(user, query, **kwargs).values_list("pk", flat=True))


def _indexed(word: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM threads_post_search WHERE threads_post_search MATCH %s",
            [f'"{word}"'],
        )
        return cursor.fetchone()[0]


def test_hidden_deleted_and_pending_posts_are_never_found(thread, member, other_member, moderator):
    hidden = services.create_reply(actor=other_member, thread=thread, body="zebracrossing hidden")
    services.hide_post(actor=moderator, post=hidden, reason="Off topic")
    deleted = services.create_reply(actor=other_member, thread=thread, body="zebracrossing gone")
    services.delete_post(actor=other_member, post=deleted)
    shown = services.create_reply(actor=other_member, thread=thread, body="zebracrossing shown")
    for reader in (member, other_member):
        assert _found(reader, "zebracrossing") == [shown.pk]


def test_posts_in_a_space_the_reader_cannot_see_are_never_found(
    thread, outsider, other_space, other_moderator, member
):
    services.create_reply(actor=member, thread=thread, body="quokkaburrow in a private space")
    assert _found(outsider, "quokkaburrow") == []
    assert _found(other_moderator, "quokkaburrow") == []
    assert _found(member, "quokkaburrow", space=other_space) == []
    assert len(_found(member, "quokkaburrow")) == 1


def test_a_post_waiting_for_approval_is_not_found(thread, member, other_member):
    from moderation.models import WatchedWord

    WatchedWord.objects.create(word="narwhalcount", action=WatchedWord.Action.REQUIRE_APPROVAL)
    services.create_reply(actor=other_member, thread=thread, body="a narwhalcount question")
    assert _found(member, "narwhalcount") == []
    assert _found(other_member, "narwhalcount") == []


def test_an_edit_replaces_the_words_found(thread, member):
    opening = thread.posts.get(is_opening=True)
    services.edit_post(actor=member, post=opening, body="Now about ocelotpaths only.")
    assert _found(member, "board last year") == []
    assert _found(member, "ocelotpaths") == [opening.pk]


def test_a_new_title_is_found_and_the_old_one_is_not(thread, member):
    opening = thread.posts.get(is_opening=True)
    services.edit_post(actor=member, post=opening, body=opening.body, title="Platypus dens")
    assert _found(member, "platypus") == [opening.pk]
    assert _found(member, "stick") == []


def test_title_matches_rank_before_body_matches(space, member, other_member):
    in_body = services.create_thread(
        actor=member, space=space, title="Other", body="we talked about wombatroutes"
    )
    in_title = services.create_thread(
        actor=member, space=space, title="Wombatroutes", body="see the title"
    )
    found = _found(other_member, "wombatroutes")
    assert found[0] == in_title.posts.get(is_opening=True).pk
    assert in_body.posts.get(is_opening=True).pk in found


@sqlite_only
def test_erasure_with_text_removed_leaves_none_of_it_in_the_index(thread, member, other_member):
    from threads.services import erase_author_content

    services.create_reply(actor=other_member, thread=thread, body="capybaramarker in my words")
    assert _indexed("capybaramarker") == 1
    erase_author_content(user=other_member, remove_text=True)
    assert _indexed("capybaramarker") == 0
    assert _found(member, "capybaramarker") == []


@sqlite_only
def test_the_index_follows_every_write_path(thread, member):
    post = services.create_reply(actor=member, thread=thread, body="axolotlgill first")
    assert _indexed("axolotlgill") == 1
    Post.objects.filter(pk=post.pk).update(body="salamander now")  # Not through a service.
    assert _indexed("axolotlgill") == 0 and _indexed("salamander") == 1
    Post.objects.filter(pk=post.pk).delete()
    assert _indexed("salamander") == 0


def test_search_queries_stay_constant_with_more_matches(
    login, thread, member, other_member, django_assert_max_num_queries
):
    client = login(member)
    for n in range(3):
        services.create_reply(actor=other_member, thread=thread, body=f"lemurtails {n}")
    with django_assert_max_num_queries(12) as few:
        client.get("/search/?q=lemurtails")
    for n in range(12):
        services.create_reply(actor=other_member, thread=thread, body=f"lemurtails more {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/search/?q=lemurtails")
