"""Every write path renders the member's Markdown once, before its transaction: no row lock
(``select_for_update`` on the thread, the post, the live session) is held while a long body
renders, and screening reuses the same rendering instead of rendering again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from community import rendering
from realtime import services as realtime_services
from tests.realtime.conftest import make_session
from threads import services
from threads.commitments import services as commitment_services

BODY = "A *long* body with a link to https://example.org and **emphasis**."


@pytest.fixture
def renders(db, monkeypatch):
    """Each markdown-it rendering of member text: (text, inside a transaction the test did not
    open). The test itself runs in one atomic block, so depth counts from where it starts."""
    calls: list[tuple[str, bool]] = []
    baseline = len(connection.atomic_blocks)
    engine = rendering._markdown()
    original = type(engine).render

    def spy(self, src, env=None):
        calls.append((src, len(connection.atomic_blocks) > baseline))
        return original(self, src, env)

    monkeypatch.setattr(type(engine), "render", spy)
    return calls


def _of(calls, text):
    return [inside for src, inside in calls if src == text]


def test_a_new_thread_is_rendered_once_outside_the_transaction(renders, space, member):
    services.create_thread(actor=member, space=space, title="Long", body=f"  {BODY}  ")
    assert _of(renders, BODY) == [False]


def test_a_reply_is_rendered_once_before_the_thread_is_locked(renders, thread, other_member):
    post = services.create_reply(actor=other_member, thread=thread, body=BODY)
    assert post.body_html.startswith("<p>A <em>long</em>")
    assert _of(renders, BODY) == [False]


def test_an_edit_is_rendered_once_before_the_post_is_locked(renders, thread, member):
    opening = thread.posts.get(is_opening=True)
    assert services.edit_post(actor=member, post=opening, body=BODY)
    assert _of(renders, BODY) == [False]


def test_a_screened_reply_still_renders_once(renders, thread, other_member, moderator):
    from moderation.models import WatchedWord

    WatchedWord.objects.create(word="emphasis", action=WatchedWord.Action.FLAG)
    services.create_reply(actor=other_member, thread=thread, body=BODY)
    assert _of(renders, BODY) == [False]


def test_a_refused_reply_renders_nothing_inside_the_transaction(renders, thread, outsider):
    with pytest.raises(Exception):
        services.create_reply(actor=outsider, thread=thread, body=BODY)
    assert not any(_of(renders, BODY))


def test_a_live_message_is_rendered_once_before_the_session_is_locked(renders, space, facilitator):
    session = make_session(space, facilitator)
    event, created = realtime_services.send_live_message(
        actor=facilitator, session=session, body=BODY, client_msg_id=str(uuid.uuid4())
    )
    assert created and "<em>long</em>" in event.body_html
    assert _of(renders, BODY) == [False]


def test_commitments_render_outside_their_transaction(renders, member):
    due = timezone.localdate() + timedelta(days=30)
    commitment = commitment_services.create_commitment(
        actor=member, text=BODY, why="Because *it matters*.", due_on=due, area="allyship"
    )
    assert _of(renders, BODY) == [False]
    assert _of(renders, "Because *it matters*.") == [False]
    commitment_services.edit_commitment(
        actor=member, commitment=commitment, text=BODY + " Again.", due_on=due, area="allyship"
    )
    assert _of(renders, BODY + " Again.") == [False]
    commitment_services.add_update(actor=member, commitment=commitment, happened="It *went*.")
    assert _of(renders, "It *went*.") == [False]


def test_a_body_prerendered_for_one_text_is_not_reused_for_another():
    with rendering.prerendered("first"):
        assert rendering.render_markdown("second") == "<p>second</p>"
        assert rendering.render_markdown("first") == "<p>first</p>"
        assert rendering.plain_text("first") == "first"
    assert rendering._prerendered("first") is None


LONG = "A long post with *emphasis* and [a link](https://example.org).\n\n" * 60


def test_a_long_reply_renders_in_the_worker_process_with_the_same_result(
    renders, thread, other_member, monkeypatch
):
    monkeypatch.setenv("RENDER_WORKER", "1")
    assert len(LONG.strip()) >= rendering.WORKER_MIN_CHARS
    post = services.create_reply(actor=other_member, thread=thread, body=LONG)
    # Rendered once, by the worker: this process's markdown-it never saw the body.
    assert _of(renders, LONG.strip()) == []
    assert post.body_html == rendering.render_markdown(LONG.strip())
    assert rendering._Worker.process is not None
    assert rendering._Worker.process.poll() is None


def test_a_dead_worker_is_replaced_and_the_body_still_renders(monkeypatch):
    monkeypatch.setenv("RENDER_WORKER", "1")
    text = LONG.strip() + " dead"
    first = rendering._render_for_write(text)
    worker = rendering._Worker.process
    worker.kill()
    worker.wait()
    assert rendering._render_for_write(text) == first == rendering._render_now(text)
    assert rendering._Worker.process is None or rendering._Worker.process.pid != worker.pid
    assert rendering._render_for_write(text + "!").html.endswith("dead!</p>")
    assert rendering._Worker.process.poll() is None


def test_an_approved_edit_is_rendered_before_the_post_is_locked(renders, thread, member, moderator):
    from moderation.models import WatchedWord

    opening = thread.posts.get(is_opening=True)
    WatchedWord.objects.create(word="approval", action=WatchedWord.Action.REQUIRE_APPROVAL)
    edited = BODY + " It needs approval."
    assert services.edit_post(actor=member, post=opening, body=edited)
    opening.refresh_from_db()
    assert opening.has_pending_edit
    renders.clear()
    assert services.approve_edit(actor=moderator, post=opening)
    opening.refresh_from_db()
    assert opening.body == edited and "<em>long</em>" in opening.body_html
    assert _of(renders, edited) == [False]


@pytest.mark.parametrize("setting", ["0", None])
def test_without_the_worker_long_bodies_render_in_process(monkeypatch, renders, setting):
    if setting is None:
        monkeypatch.delenv("RENDER_WORKER", raising=False)
    else:
        monkeypatch.setenv("RENDER_WORKER", setting)
    text = LONG.strip() + " in process"
    assert rendering._render_for_write(text) == rendering._render_now(text)
    assert _of(renders, text) == [False, False]


def test_the_asgi_process_keeps_its_startup_objects_out_of_the_garbage_collector():
    """What daphne loads at startup is frozen: a full collection, which a few replies to long
    posts trigger, walks only what was made since (80-90 ms each before, holding every request
    of the process)."""
    import gc

    import community.asgi  # noqa: F401 - the module daphne serves.

    assert gc.get_freeze_count() > 10_000
