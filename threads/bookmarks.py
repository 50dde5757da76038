"""Bookmarks: a member's private list of threads and posts to come back to.

Writes and reads both start from what the member can see: a thread or post they cannot read
is a 404 (``selectors.thread_in_space`` / ``post_in_thread`` before these are called), and the
list shows only bookmarks whose thread and post are still visible to them.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db import transaction

from community.models import User

from .models import Bookmark, Post, Thread

BOOKMARKS_PER_PAGE = 30


@transaction.atomic
def toggle_bookmark(*, actor: User, thread: Thread, post: Post | None = None) -> bool:
    """Bookmark ``thread`` (or ``post`` in it), or remove the bookmark. Callers have loaded
    both through the visibility selectors. Returns whether it is bookmarked now."""
    if post is not None and post.thread_id != thread.pk:
        raise ValueError("The post is not in this thread.")
    deleted, _ = Bookmark.objects.filter(user=actor, thread=thread, post=post).delete()
    if deleted:
        return False
    Bookmark.objects.create(user=actor, thread=thread, post=post)
    return True


def bookmarked_post_ids(user, posts: list[Post]) -> set[int]:
    """Which of ``posts`` the member has bookmarked: one query for the page."""
    if not user.is_authenticated or not posts:
        return set()
    return set(
        Bookmark.objects.filter(user=user, post__in=[p.pk for p in posts]).values_list(
            "post_id", flat=True
        )
    )


def is_thread_bookmarked(user, thread: Thread) -> bool:
    if not user.is_authenticated:
        return False
    if hasattr(thread, "is_bookmarked_thread"):  # annotated by selectors.thread_in_space
        return thread.is_bookmarked_thread
    return Bookmark.objects.filter(user=user, thread=thread, post__isnull=True).exists()


def bookmarks_page(user, page=1) -> Page:
    """The member's visible bookmarks, newest first, a fixed number of queries a page."""
    qs = Bookmark.objects.visible_to(user).select_related("thread__space", "post__author")
    return Paginator(qs, BOOKMARKS_PER_PAGE).get_page(page)


def export_for(user: User) -> list[dict]:
    """Their bookmarks for the data export: ids and the titles they could see when exported."""
    return [
        {
            "thread_id": b.thread_id,
            "post_id": b.post_id,
            "created_at": b.created_at.isoformat(),
        }
        for b in Bookmark.objects.filter(user=user).order_by("created_at")
    ]


def forget_member(user: User) -> int:
    """Erasure: every bookmark of the member goes."""
    deleted, _ = Bookmark.objects.filter(user=user).delete()
    return deleted
