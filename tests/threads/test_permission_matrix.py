"""Who may do what with threads and posts: one row per role, one column per action, through the
pages a person uses. A new rule is one new cell.

Outcomes: ``ok`` (done), ``404`` (the thread looks missing), ``403`` (seen but refused, with a
message, and nothing changed), ``login`` (sent to sign in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from community.models import AuditEntry
from tests.conftest import accept_all_guidelines, make_member
from threads.models import Post, PostRevision, PostStatus, Reaction, Thread, ThreadFollow
from threads.services import create_reply, edit_post

from .helpers import post_url, thread_url

pytestmark = pytest.mark.django_db

OK, MISSING, REFUSED, LOGIN = "ok", "404", "403", "login"


@dataclass
class World:
    space: Any
    thread: Thread
    theirs: Post  # a reply by someone who is none of the roles, edited once (so it has revisions)


@pytest.fixture
def world(space, thread, staff) -> World:
    poster = make_member(space, "Pia Poster")
    theirs = create_reply(actor=poster, thread=thread, body="A reply by someone else.")
    edit_post(actor=poster, post=theirs, body="A reply by someone else, edited.")
    accept_all_guidelines(staff, space)  # staff accept a space's guidelines like anyone
    return World(space=space, thread=thread, theirs=theirs)


def _own_post(world: World, actor) -> Post:
    """A post ``actor`` wrote in the thread (made directly: some roles could not post now)."""
    return Post.objects.create(
        thread=world.thread, author=actor, body="My own words.", body_html="<p>My own words.</p>"
    )


def see_thread(client, world, actor):
    response = client.get(thread_url(world.thread))
    return response, response.status_code == 200


def reply(client, world, actor):
    before = Post.objects.filter(thread=world.thread).count()
    response = client.post(thread_url(world.thread, "reply/"), {"body": "Me too."})
    return response, Post.objects.filter(thread=world.thread).count() == before + 1


def start_thread(client, world, actor):
    data = {"title": "A new thread", "kind": "discussion", "body": "Hello", "visibility": "space"}
    response = client.post(f"/spaces/{world.space.slug}/threads/new/", data)
    return response, Thread.objects.filter(title="A new thread").exists()


def edit_own_post(client, world, actor):
    mine = _own_post(world, actor)
    response = client.post(post_url(mine, "edit/"), {"body": "Changed my mind."})
    mine.refresh_from_db()
    return response, mine.body == "Changed my mind."


def edit_anothers_post(client, world, actor):
    data = {"body": "Rewritten.", "reason": "Named a colleague"}
    response = client.post(post_url(world.theirs, "edit/"), data)
    world.theirs.refresh_from_db()
    return response, world.theirs.body == "Rewritten."


def delete_anothers_post(client, world, actor):
    response = client.post(post_url(world.theirs, "delete/"), {"reason": "Breach"})
    world.theirs.refresh_from_db()
    return response, world.theirs.is_deleted


def react(client, world, actor):
    response = client.post(post_url(world.theirs, "react/"), {"kind": "thanks"})
    return response, Reaction.objects.filter(post=world.theirs, user_id=actor_id(actor)).exists()


def follow(client, world, actor):
    ThreadFollow.objects.filter(thread=world.thread).delete()
    response = client.post(thread_url(world.thread, "follow/"), {"action": "follow"})
    return response, ThreadFollow.objects.filter(thread=world.thread).exists()


def see_revisions(client, world, actor):
    response = client.get(post_url(world.theirs, "revisions/"))
    return response, response.status_code == 200


def hide_post(client, world, actor):
    url = reverse("moderation_post", args=[world.theirs.pk, "hide"])
    response = client.post(url, {"reason": "Breach of the guidelines"})
    world.theirs.refresh_from_db()
    return response, world.theirs.status == PostStatus.HIDDEN


def lock_thread(client, world, actor):
    response = client.post(reverse("moderation_thread", args=[world.thread.pk, "lock"]))
    world.thread.refresh_from_db()
    return response, world.thread.is_locked


def actor_id(actor) -> int | None:
    return actor.pk if actor is not None else None


ACTIONS = {
    "see_thread": see_thread,
    "reply": reply,
    "start_thread": start_thread,
    "edit_own_post": edit_own_post,
    "edit_anothers_post": edit_anothers_post,
    "delete_anothers_post": delete_anothers_post,
    "react": react,
    "follow": follow,
    "see_revisions": see_revisions,
    "hide_post": hide_post,
    "lock_thread": lock_thread,
}

# One row per role; the columns are ACTIONS, in order: see the thread, reply, start a thread,
# edit one's own post, edit another's, delete another's, react, follow, see revisions, hide a
# post, lock the thread.
MATRIX = """
                  see    reply  start  own    other  delete react  follow revs   hide   lock
anonymous         login  login  login  login  login  login  login  login  login  login  login
outsider          404    404    404    404    404    404    404    404    404    404    404
pending_member    404    404    404    404    404    404    404    404    404    404    404
banned_member     404    404    404    404    404    404    404    404    404    404    404
member            ok     ok     ok     ok     403    403    ok     ok     404    403    403
other_member      ok     ok     ok     ok     403    403    ok     ok     404    403    403
muted_member      ok     403    403    403    403    403    403    ok     404    403    403
suspended_member  ok     403    403    403    403    403    403    ok     404    403    403
moderator         ok     ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
staff             ok     ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
"""
ROWS = {
    line.split()[0]: dict(zip(ACTIONS, line.split()[1:], strict=True))
    for line in MATRIX.strip().splitlines()[1:]
}

CASES = [
    pytest.param(role, action, expected, id=f"{role}-{action}")
    for role, outcomes in ROWS.items()
    for action, expected in outcomes.items()
]


def _snapshot(world: World) -> dict:
    world.theirs.refresh_from_db()
    world.thread.refresh_from_db()
    return {
        "posts": list(
            Post.objects.order_by("pk").values_list("pk", "body", "status", "is_deleted")
        ),
        "threads": list(Thread.objects.order_by("pk").values_list("pk", "title", "is_locked")),
        "revisions": PostRevision.objects.count(),
        "reactions": Reaction.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.mark.parametrize(("role", "action", "expected"), CASES)
def test_permission_matrix(request, login, world, role, action, expected):
    actor = None if role == "anonymous" else request.getfixturevalue(role)
    client = login(actor)
    call = ACTIONS[action]
    before = _snapshot(world)
    response, done = call(client, world, actor)
    status = response.status_code
    if status == 302 and response.url.startswith(reverse("account_login")):
        outcome = LOGIN
    elif status == 404:
        outcome = MISSING
    elif done:
        outcome = OK
    else:
        outcome = REFUSED
    assert outcome == expected, f"{role} {action}: got {outcome} (HTTP {status})"
    if outcome == OK:
        assert status in (200, 302)
        return
    assert status in (302, 403, 404, 200)
    if action == "edit_own_post":
        # the post made for the test is the only difference
        after = _snapshot(world)
        assert after["revisions"] == before["revisions"] and after["audit"] == before["audit"]
        return
    if action == "follow":
        return  # the setup itself removes the follows
    assert _snapshot(world) == before, "a refusal must change nothing"
