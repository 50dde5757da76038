"""Bookmarks: toggled on threads and posts, listed only while still visible, private."""

from __future__ import annotations

import json

import pytest

from community.site.account_data import build_export, erase_account
from threads.models import Bookmark
from threads.services import create_reply, delete_post, hide_post

from .helpers import post_url, thread_url

pytestmark = pytest.mark.django_db

QUERY_CAP = 10  # the page, whatever the number of rows


def test_member_bookmarks_a_thread_and_a_post_and_sees_them_listed(
    login, thread, member, other_member
):
    reply = create_reply(actor=member, thread=thread, body="Worth coming back to")
    client = login(other_member)
    assert client.post(thread_url(thread, "bookmark/")).status_code == 302
    assert client.post(post_url(reply, "bookmark/")).status_code == 302
    page = client.get("/bookmarks/").content.decode()
    assert thread.title in page
    assert f"/posts/{reply.pk}/" in page
    assert "Mel Member" in page
    # Toggling again removes it.
    client.post(thread_url(thread, "bookmark/"))
    assert not Bookmark.objects.filter(user=other_member, post__isnull=True).exists()


def test_htmx_toggle_returns_the_button_in_its_new_state(login, thread, other_member):
    client = login(other_member)
    response = client.post(thread_url(thread, "bookmark/"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-pressed="true"' in body and "Remove bookmark" in body
    assert 'data-hx-post="' in body


def test_thread_page_shows_bookmark_state(login, thread, other_member):
    client = login(other_member)
    assert 'id="bookmark-thread-' in client.get(thread_url(thread)).content.decode()
    client.post(thread_url(thread, "bookmark/"))
    assert "Remove bookmark" in client.get(thread_url(thread)).content.decode()


def test_outsider_cannot_bookmark_a_private_thread_or_post(login, thread, outsider):
    client = login(outsider)
    assert client.post(thread_url(thread, "bookmark/")).status_code == 404
    opening = thread.posts.get()
    assert client.post(post_url(opening, "bookmark/")).status_code == 404
    assert not Bookmark.objects.exists()


def test_bookmarking_a_hidden_post_is_refused_with_404(
    login, thread, member, other_member, moderator
):
    reply = create_reply(actor=member, thread=thread, body="Something rude")
    hide_post(actor=moderator, post=reply, reason="Personal attack")
    response = login(other_member).post(post_url(reply, "bookmark/"))
    assert response.status_code == 404
    assert not Bookmark.objects.exists()


def test_bookmark_of_a_post_that_became_invisible_shows_nothing_of_it(
    login, thread, member, other_member, moderator
):
    reply = create_reply(actor=member, thread=thread, body="Soon to be hidden")
    client = login(other_member)
    client.post(post_url(reply, "bookmark/"))
    hide_post(actor=moderator, post=reply, reason="Identifying a colleague")
    page = client.get("/bookmarks/").content.decode()
    assert f"/posts/{reply.pk}/" not in page
    assert "You have no bookmarks yet" in page
    # The author's own delete hides it too.
    other = create_reply(actor=member, thread=thread, body="Deleted later")
    client.post(post_url(other, "bookmark/"))
    delete_post(actor=member, post=other, reason="")
    assert f"/posts/{other.pk}/" not in client.get("/bookmarks/").content.decode()


def test_bookmarks_vanish_for_a_member_who_left_the_space(login, thread, other_member):
    client = login(other_member)
    client.post(thread_url(thread, "bookmark/"))
    other_member.memberships.all().delete()
    assert thread.title not in client.get("/bookmarks/").content.decode()


def test_anonymous_post_bookmark_does_not_name_its_author(
    login, anonymous_thread, member, other_member
):
    opening = anonymous_thread.posts.get()
    client = login(member)
    client.post(post_url(opening, "bookmark/"))
    page = client.get("/bookmarks/").content.decode()
    assert "A member of this space" in page
    assert other_member.display_name not in page


def test_bookmarks_are_private(login, thread, member, other_member):
    login(other_member).post(thread_url(thread, "bookmark/"))
    page = login(member).get("/bookmarks/").content.decode()
    assert "You have no bookmarks yet" in page


def test_bookmark_list_query_count_is_constant(
    login, thread, member, other_member, django_assert_max_num_queries
):
    client = login(other_member)
    client.post(thread_url(thread, "bookmark/"))
    with django_assert_max_num_queries(QUERY_CAP):
        client.get("/bookmarks/")
    for n in range(20):
        reply = create_reply(actor=member, thread=thread, body=f"Reply {n}")
        client.post(post_url(reply, "bookmark/"))
    with django_assert_max_num_queries(QUERY_CAP):
        response = client.get("/bookmarks/")
    assert len(response.context["page_obj"].object_list) == 21


def test_bookmark_needs_post(login, thread, other_member):
    assert login(other_member).get(thread_url(thread, "bookmark/")).status_code == 405


def test_bookmarks_are_exported_and_erased_with_the_account(login, thread, other_member):
    login(other_member).post(thread_url(thread, "bookmark/"))
    exported = json.loads(json.dumps(build_export(other_member)))
    assert exported["bookmarks"] == [
        {
            "thread_id": thread.pk,
            "post_id": None,
            "created_at": exported["bookmarks"][0]["created_at"],
        }
    ]
    erase_account(other_member)
    assert not Bookmark.objects.filter(user=other_member).exists()
