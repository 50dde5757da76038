"""The thread page's cached post cards (threads.cards): served from the cache to the next reader
of the same kind, never stale after anything that changes what a card shows, and never the
wrong reader's card (anonymity, hidden posts, tools)."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.cache import caches

from community.services import update_profile
from community.site.account_data import erase_account
from tests.conftest import make_member
from threads import cards
from threads.models import Post, PostStatus, Thread
from threads.services import (
    approve_post,
    create_reply,
    delete_post,
    edit_post,
    hide_post,
    move_thread,
    restore_post,
    toggle_reaction,
)

from .helpers import thread_url

pytestmark = pytest.mark.django_db

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture(autouse=True)
def _empty_card_cache():
    caches["cards"].clear()
    yield
    caches["cards"].clear()


@pytest.fixture
def renders():
    """Counts the cards actually rendered (cache misses)."""
    with mock.patch.object(cards, "_render", wraps=cards._render) as spy:
        yield spy


def _page(client, thread, suffix="") -> str:
    response = client.get(thread_url(thread) + suffix)
    assert response.status_code == 200
    return response.content.decode()


def _card(text: str, post) -> str:
    """The one card of ``post`` on a page ('' when not shown)."""
    match = re.search(rf'<article [^>]*id="post-{post.pk}".*?</article>', text, re.S)
    return match.group(0) if match else ""


# Served from the cache ------------------------------------------------------------------------


def test_a_second_view_renders_no_card_and_shows_the_same_page(
    login, thread, other_member, renders
):
    reply = create_reply(actor=other_member, thread=thread, body="A first reply")
    reader = make_member(thread.space, "Rita Reader")
    client = login(reader)
    first = _page(client, thread)
    assert renders.call_count == 2
    renders.reset_mock()
    second = _page(client, thread)
    assert renders.call_count == 0
    assert CSRF_TOKEN.sub("", _card(first, reply)) == CSRF_TOKEN.sub("", _card(second, reply))
    assert "A first reply" in _card(second, reply)


def test_readers_of_the_same_kind_share_cards(login, thread, member, other_member, renders):
    create_reply(actor=other_member, thread=thread, body="Shared card")
    first, second = (make_member(thread.space, name) for name in ("Ann One", "Ben Two"))
    _page(login(first), thread)
    renders.reset_mock()
    _page(login(second), thread)
    assert renders.call_count == 0


def test_placeholders_are_filled_with_this_request_s_token_and_path(
    login, thread, other_member, moderator
):
    reply = create_reply(actor=other_member, thread=thread, body="Tools and forms")
    for user in (make_member(thread.space, "Rita Reader"), moderator):
        client = login(user)
        for _ in range(2):  # cold, then from the cache
            text = _page(client, thread, "?page=1")
            card = _card(text, reply)
            assert "placeholder-7f3a" not in text
            token = client.cookies["csrftoken"].value
            assert token
            values = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', card)
            assert values and all(len(v) == 64 for v in values)
            assert f'value="/spaces/{thread.space.slug}/threads/{thread.pk}/?page=1#post-' in card
            if user == moderator:
                assert f"?next=/spaces/{thread.space.slug}/threads/{thread.pk}/%3Fpage%3D1" in card


def test_the_cached_card_holds_no_csrf_token_and_no_path(login, thread, other_member):
    create_reply(actor=other_member, thread=thread, body="No token stored")
    cache = caches["cards"]
    with mock.patch.object(cache, "set_many", wraps=cache.set_many) as stored:
        client = login(make_member(thread.space, "Rita Reader"))
        _page(client, thread, "?page=1")
    values = [html for call in stored.call_args_list for html in call.args[0].values()]
    assert len(values) == 2
    token = client.cookies["csrftoken"].value
    for html in values:
        assert cards.CSRF_PLACEHOLDER in html
        assert token not in html and "?page=1" not in html


def test_a_cached_card_is_the_card_the_live_fragment_renders(
    login, thread, other_member, moderator
):
    """The live module's fragment renders _post.html directly: a cached card (placeholders
    filled) must be the same bytes, but for the CSRF token."""
    from .helpers import post_url

    reply = create_reply(actor=other_member, thread=thread, body="Same *bytes*", anonymous=True)
    for user in (make_member(thread.space, "Rita Reader"), moderator, other_member):
        client = login(user)
        _page(client, thread)
        cached = _card(_page(client, thread), reply)
        response = client.get(post_url(reply, "fragment/"), headers={"referer": ""})
        fragment = _card(response.content.decode(), reply)
        # The fragment's next fields carry its own path: compare the page's path in both.
        fragment = fragment.replace(
            post_url(reply, "fragment/").replace("/", "%2F"), thread_url(thread).replace("/", "%2F")
        ).replace(post_url(reply, "fragment/"), thread_url(thread))
        assert CSRF_TOKEN.sub("", cached) == CSRF_TOKEN.sub("", fragment)


# Every change to what a card shows ---------------------------------------------------------


@pytest.fixture
def reply(thread, other_member):
    return create_reply(actor=other_member, thread=thread, body="The original words")


@pytest.fixture
def reader(thread):
    return make_member(thread.space, "Rita Reader")


def test_an_edit_shows_at_once(login, thread, reply, reader, other_member):
    client = login(reader)
    assert "The original words" in _card(_page(client, thread), reply)
    edit_post(actor=other_member, post=reply, body="The changed words")
    card = _card(_page(client, thread), reply)
    assert "The changed words" in card and "The original words" not in card
    assert "edited" in card


def test_a_moderator_edit_shows_at_once(login, thread, reply, reader, moderator):
    client = login(reader)
    _page(client, thread)
    edit_post(
        actor=moderator, post=reply, body="Edited by a moderator", reason="Tidy", moderating=True
    )
    assert "Edited by a moderator" in _card(_page(client, thread), reply)


def test_a_hidden_post_never_comes_from_the_cache(login, thread, reply, reader, moderator):
    member_client, moderator_client = login(reader), login(moderator)
    assert _card(_page(member_client, thread), reply)
    assert "Hidden by a moderator" not in _card(_page(moderator_client, thread), reply)
    hide_post(actor=moderator, post=reply, reason="Off topic")
    assert _card(_page(member_client, thread), reply) == ""
    moderator_card = _card(_page(moderator_client, thread), reply)
    assert "Hidden by a moderator" in moderator_card and "Off topic" in moderator_card
    assert "Restore" in moderator_card


def test_a_restore_shows_the_post_again(login, thread, reply, reader, moderator):
    hide_post(actor=moderator, post=reply, reason="Off topic")
    member_client, moderator_client = login(reader), login(moderator)
    assert _card(_page(member_client, thread), reply) == ""
    assert "Hidden by a moderator" in _card(_page(moderator_client, thread), reply)
    restore_post(actor=moderator, post=Post.objects.get(pk=reply.pk))
    assert "The original words" in _card(_page(member_client, thread), reply)
    assert "Hidden by a moderator" not in _card(_page(moderator_client, thread), reply)


def test_an_approval_shows_the_post_as_published(login, thread, reply, moderator):
    Post.objects.filter(pk=reply.pk).update(status=PostStatus.PENDING)
    client = login(moderator)
    assert "Awaiting approval" in _card(_page(client, thread), reply)
    approve_post(actor=moderator, post=Post.objects.get(pk=reply.pk))
    assert "Awaiting approval" not in _card(_page(client, thread), reply)


def test_a_deletion_removes_the_card(login, thread, reply, reader, moderator, other_member):
    member_client, moderator_client = login(reader), login(moderator)
    _page(member_client, thread), _page(moderator_client, thread)
    delete_post(actor=other_member, post=reply)
    assert _card(_page(member_client, thread), reply) == ""
    assert "Deleted by its author" in _card(_page(moderator_client, thread), reply)


def test_reaction_counts_and_your_reaction_follow_at_once(login, thread, reply, reader):
    second = make_member(thread.space, "Sid Second")
    reader_client, second_client = login(reader), login(second)
    before = _card(_page(reader_client, thread), reply)
    assert 'aria-pressed="true"' not in before
    _page(second_client, thread)
    toggle_reaction(actor=second, post=reply, kind="thanks")
    mine = _card(_page(second_client, thread), reply)
    theirs = _card(_page(reader_client, thread), reply)
    assert 'aria-pressed="true"' in mine and "(you reacted" in mine
    assert 'aria-pressed="true"' not in theirs
    assert re.search(r'Thank you <span class="forum-count">1</span>', theirs)
    toggle_reaction(actor=second, post=reply, kind="thanks")
    assert re.search(
        r'Thank you <span class="forum-count">0</span>', _card(_page(reader_client, thread), reply)
    )


def test_an_author_rename_shows_at_once(login, thread, reply, reader, other_member):
    client = login(reader)
    assert "Olu Other" in _card(_page(client, thread), reply)
    update_profile(actor=other_member, data={"display_name": "Olu Renamed"})
    card = _card(_page(client, thread), reply)
    assert "Olu Renamed" in card and "Olu Other" not in card


def test_an_erasure_leaves_no_name_in_any_card(
    login, thread, reply, reader, moderator, other_member
):
    member_client, moderator_client = login(reader), login(moderator)
    assert "Olu Other" in _card(_page(member_client, thread), reply)
    assert "Olu Other" in _card(_page(moderator_client, thread), reply)
    erase_account(other_member)
    for client in (member_client, moderator_client):
        text = _page(client, thread)
        assert "Olu Other" not in text
        assert "Former member" in _card(text, reply)


def test_a_new_content_note_folds_the_cards(login, thread, reply, reader):
    client = login(reader)
    assert "Content note" not in _card(_page(client, thread), reply)
    Thread.objects.filter(pk=thread.pk).update(content_note="Describes racist abuse")
    assert "Content note: Describes racist abuse" in _card(_page(client, thread), reply)


def test_a_moved_thread_links_to_its_new_space(
    login, thread, reply, moderator, make_space, other_member
):
    client = login(moderator)
    _page(client, thread)
    to_space = make_space(name="Elsewhere")
    make_member(to_space, "Mo Two", is_moderator=True)
    from community.models import Membership

    Membership.objects.create(user=moderator, space=to_space, is_moderator=True)
    move_thread(actor=moderator, thread=thread, to_space=to_space)
    thread.refresh_from_db()
    card = _card(_page(client, thread), reply)
    assert f"/spaces/{to_space.slug}/threads/{thread.pk}/posts/{reply.pk}/" in card


# Every reader kind ----------------------------------------------------------------------------


@pytest.fixture
def anonymous_reply(thread, other_member):
    return create_reply(actor=other_member, thread=thread, body="Said anonymously", anonymous=True)


def test_a_member_never_gets_the_moderator_s_card_of_an_anonymous_post(
    login, thread, anonymous_reply, moderator, reader
):
    assert "Olu Other" in _card(_page(login(moderator), thread), anonymous_reply)
    card = _card(_page(login(reader), thread), anonymous_reply)
    assert "A member of this space" in card
    assert "Olu Other" not in CSRF_TOKEN.sub("", card)


def test_a_moderator_never_gets_a_member_s_card_of_an_anonymous_post(
    login, thread, anonymous_reply, moderator, reader
):
    assert "Olu Other" not in CSRF_TOKEN.sub("", _page(login(reader), thread))
    assert "Olu Other" in _card(_page(login(moderator), thread), anonymous_reply)


def test_staff_see_the_real_author_after_a_member(login, thread, anonymous_reply, staff, reader):
    _page(login(reader), thread)
    assert "Olu Other" in _card(_page(login(staff), thread), anonymous_reply)


def test_the_author_s_own_anonymous_card_is_not_shown_to_others(
    login, thread, anonymous_reply, other_member, reader
):
    mine = _card(_page(login(other_member), thread), anonymous_reply)
    assert "(you, posted anonymously)" in mine and "Edit" in mine
    theirs = _card(_page(login(reader), thread), anonymous_reply)
    assert "(you, posted anonymously)" not in theirs
    assert f"/posts/{anonymous_reply.pk}/edit/" not in theirs


def test_a_muted_member_gets_no_reaction_forms_from_a_member_s_card(
    login, thread, reply, reader, muted_member
):
    assert "/react/" in _card(_page(login(reader), thread), reply)
    card = _card(_page(login(muted_member), thread), reply)
    assert "/react/" not in card
    assert "The original words" in card


def test_an_outsider_of_a_space_only_thread_gets_a_404_not_a_cached_card(
    login, thread, reply, reader, outsider
):
    _page(login(reader), thread)
    assert login(outsider).get(thread_url(thread)).status_code == 404


def test_a_banned_member_gets_a_404_not_a_cached_card(login, thread, reply, reader, banned_member):
    _page(login(reader), thread)
    assert login(banned_member).get(thread_url(thread)).status_code == 404


# Queries: constant, cold and warm ---------------------------------------------------------


MAX_QUERIES = 15


@pytest.mark.parametrize("count", [1, 30])
def test_thread_page_queries_constant_with_a_cold_and_a_warm_cache(
    login, thread, member, other_member, moderator, count, django_assert_max_num_queries
):
    people = [make_member(thread.space, f"Reader {n}") for n in range(2)]
    for n in range(count - 1):
        create_reply(
            actor=[other_member, member, *people][n % 4],
            thread=thread,
            body=f"Reply {n}",
            anonymous=n % 3 == 0,
        )
    for user in (people[0], moderator):
        client = login(user)
        client.get("/")  # the session
        caches["cards"].clear()
        with django_assert_max_num_queries(MAX_QUERIES):  # cold
            assert client.get(thread_url(thread)).status_code == 200
        with django_assert_max_num_queries(MAX_QUERIES):  # warm
            response = client.get(thread_url(thread))
        assert response.status_code == 200
        assert len(response.context["posts"]) == count
