"""Every XSS vector posted through the real new-thread and reply forms and the live socket.

The stored ``body_html`` passes the allow-list check of tests/threads/test_rendering_xss.py, and
the rendered thread pages carry no script-capable markup beyond our own static scripts.
"""

from __future__ import annotations

import re
import uuid

import pytest
from channels.db import database_sync_to_async

from tests.realtime.conftest import in_memory_channel_layer, make_session, open_room  # noqa: F401
from tests.threads.test_rendering_xss import ALLOWED_ATTRS, ALLOWED_TAGS, _parse, _scheme
from threads.models import Post, Thread

from .xss_vectors import VECTORS


def assert_safe_fragment(html: str, vector: str) -> None:
    parsed = _parse(html)
    assert not parsed.comments, (vector, html)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (vector, html)
        for name, value in attrs:
            assert name in ALLOWED_ATTRS.get(tag, set()), (vector, html)
            if name == "href":
                assert _scheme(value or "") in {"", "http", "https", "mailto"}, (vector, html)


def assert_safe_page(html: str) -> None:
    """No inline or foreign script, no event handler, no javascript: URL anywhere on the page."""
    for tag, attrs in _parse(html).tags:
        values = dict(attrs)
        if tag == "script":
            assert (values.get("src") or "").startswith("/static/"), (tag, attrs)
        assert tag not in {"iframe", "object", "embed", "base", "math", "style"}, (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, attrs)
            if name in {"src", "srcset", "data", "poster"}:
                assert not re.match(r"\s*(https?:)?//", value or ""), (tag, attrs)
            if name in {"href", "src", "action", "formaction"}:
                assert _scheme(value or "") in {"", "http", "https", "mailto"}, (tag, attrs)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script on the page"


def test_there_are_at_least_eighty_vectors():
    assert len(VECTORS) >= 80
    assert len(set(VECTORS)) == len(VECTORS)


@pytest.mark.django_db
def test_vectors_through_the_new_thread_and_reply_forms_leave_nothing_executable(
    login, member, space
):
    client = login(member)
    response = client.post(
        f"/spaces/{space.slug}/threads/new/",
        {"title": VECTORS[16], "kind": "discussion", "visibility": "space", "body": VECTORS[0]},
    )
    assert response.status_code == 302, response.content[:2000]
    thread = Thread.objects.get(space=space)
    for vector in VECTORS[1:]:
        response = client.post(f"{thread.get_absolute_url()}reply/", {"body": vector})
        assert response.status_code == 302, (vector, response.status_code)
    posts = list(Post.objects.filter(thread=thread).order_by("pk"))
    assert [p.body for p in posts] == VECTORS
    for post in posts:
        assert_safe_fragment(post.body_html, post.body)
    pages = -(-len(VECTORS) // 30)
    for page in range(1, pages + 1):
        html = client.get(f"{thread.get_absolute_url()}?page={page}").content.decode()
        assert_safe_page(html)
    assert_safe_page(client.get(f"/spaces/{space.slug}/").content.decode())


@pytest.mark.django_db(transaction=True)
async def test_vectors_through_the_live_socket_leave_nothing_executable(
    settings, space, facilitator, member
):
    settings.LIVE_RATE_LIMIT = (10_000, 10)
    session = await database_sync_to_async(make_session)(space, facilitator)
    room, connected, _ = await open_room(member, session.pk)
    assert connected
    try:
        await room.hello()
        for vector in VECTORS:
            await room.send(
                {"type": "message.send", "body": vector, "client_msg_id": str(uuid.uuid4())}
            )
            seen = set()
            while seen != {"message", "ack"}:
                frame = await room.recv_type("message", "ack")
                seen.add(frame["type"])
                if frame["type"] == "message":
                    assert_safe_fragment(frame["body_html"], vector)
    finally:
        await room.close()
