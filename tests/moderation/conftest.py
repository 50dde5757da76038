"""Threads and posts made directly, so moderation tests do not depend on the threads services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.rendering import render_markdown
from moderation import registry
from tests.conftest import make_member
from threads.models import Post, Thread


def act(actor, item, action: str, **data) -> bool:
    """A moderator's action through the item's kind, as the review queue takes it."""
    return registry.kind_of(item).perform(
        actor=actor, item=item, action=action, data={"reason": "", **data}
    )


def make_thread(space, author, *, title="A conversation about allyship", anonymous=False, **extra):
    thread = Thread.objects.create(
        space=space, title=title, author=author, anonymous=anonymous, post_count=1, **extra
    )
    make_post(thread, author, body="Opening post.", is_opening=True, anonymous=anonymous)
    return thread


def make_post(thread, author, *, body="A reply.", status="published", ago=None, **extra):
    created = timezone.now() - (ago or timedelta(0))
    return Post.objects.create(
        thread=thread,
        author=author,
        body=body,
        body_html=render_markdown(body),
        status=status,
        created_at=created,
        **extra,
    )


@pytest.fixture
def a_thread(space, member):
    return make_thread(space, member)


@pytest.fixture
def a_post(a_thread, member):
    return make_post(a_thread, member, body="Something a peer might flag.")


@pytest.fixture
def flaggers(space):
    return [make_member(space, f"Flagger {n}") for n in range(5)]
