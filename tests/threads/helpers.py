"""Small helpers shared by the threads tests."""

from __future__ import annotations

from threads.models import Thread


def thread_url(thread: Thread, suffix: str = "") -> str:
    return f"/spaces/{thread.space.slug}/threads/{thread.pk}/{suffix}"


def post_url(post, suffix: str = "") -> str:
    return f"/spaces/{post.thread.space.slug}/threads/{post.thread_id}/posts/{post.pk}/{suffix}"
