"""The facilitator's console on the room page and its socket: only the transitions the session
can make are offered, the stream is an accessible log pane, the composer says why it is closed,
times are London's, and reports on messages reach the facilitators only."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from realtime import services
from realtime.models import LiveEvent, LiveSession

from .conftest import make_session

db = database_sync_to_async


def page(login, user, session) -> str:
    return login(user).get(reverse("live_room", args=[session.pk])).content.decode()


def offered(html: str) -> set[str]:
    """The transition buttons shown (not hidden) on the page."""
    shown = set()
    for tag in re.findall(r"<button[^>]*data-when=[^>]*>", html):
        if " hidden" not in tag:
            shown.add(re.search(r'data-command="([^"]+)"', tag).group(1))
    return shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "locked", "expected"),
    [
        (LiveSession.Status.SCHEDULED, False, {"session.open"}),
        (LiveSession.Status.OPEN, False, {"session.start"}),
        (LiveSession.Status.LIVE, False, {"chat.lock", "session.end"}),
        (LiveSession.Status.LIVE, True, {"chat.unlock", "session.end"}),
        (LiveSession.Status.ENDED, False, set()),
    ],
)
def test_console_offers_only_the_valid_transitions(
    login, space, facilitator, status, locked, expected
):
    session = make_session(space, facilitator, status=status, locked=locked)
    assert offered(page(login, facilitator, session)) == expected


@pytest.mark.django_db
def test_stream_is_a_polite_log_on_a_div_with_jump_to_latest(login, member, live_session):
    html = page(login, member, live_session)
    pane = re.search(r'<div id="live-stream-pane"[^>]*>', html).group(0)
    assert 'role="log"' in pane and 'aria-live="polite"' in pane
    assert not re.search(r'<ol[^>]*role="log"', html)
    assert 'id="live-jump"' in html and "Jump to latest" in html
    assert "Keyboard shortcuts" in html and "Ctrl + Enter" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "locked", "why"),
    [
        (LiveSession.Status.SCHEDULED, False, "The chat opens when the facilitator starts"),
        (LiveSession.Status.LIVE, True, "The facilitator has locked the chat for now."),
        (LiveSession.Status.ENDED, False, "The session has ended, so the chat is closed."),
    ],
)
def test_closed_composer_says_why_beside_a_disabled_send(
    login, space, facilitator, member, status, locked, why
):
    session = make_session(space, facilitator, status=status, locked=locked)
    html = page(login, member, session)
    assert re.search(r'id="live-send" disabled', html)
    status_line = re.search(r'<p class="forum-meta" id="live-composer-status">([^<]*)</p>', html)
    assert why in status_line.group(1)
    assert "Connected" not in html


@pytest.mark.django_db
def test_open_live_room_has_send_enabled_and_no_reason(login, member, live_session):
    html = page(login, member, live_session)
    assert not re.search(r'id="live-send" disabled', html)
    assert '<p class="forum-meta" id="live-composer-status"></p>' in html


@pytest.mark.django_db
def test_locked_room_keeps_send_open_for_the_facilitator(login, space, facilitator):
    session = make_session(space, facilitator, locked=True)
    assert not re.search(r'id="live-send" disabled', page(login, facilitator, session))


@pytest.mark.django_db
def test_room_and_transcript_show_london_times(login, space, facilitator, member):
    session = make_session(space, facilitator, chatham_house=False)
    event, _ = services.send_live_message(
        actor=member, session=session, body="Summer time", client_msg_id="summer"
    )
    LiveEvent.objects.filter(pk=event.pk).update(created=datetime(2026, 7, 1, 12, 5, tzinfo=UTC))
    assert ">13:05</time>" in page(login, member, session)  # BST: UTC+1
    services.end_session(actor=facilitator, session=session)
    html = login(member).get(reverse("live_transcript", args=[session.pk])).content.decode()
    assert ">13:05</time>" in html


pytestmark_async = pytest.mark.django_db(transaction=True)


@pytestmark_async
async def test_reports_reach_facilitators_live_and_on_reconnect_never_members(
    live_session, facilitator, member, other_member, enter
):
    event, _ = await db(services.send_live_message)(
        actor=other_member, session=live_session, body="Hurtful", client_msg_id=str(uuid.uuid4())
    )
    host = await enter(facilitator, live_session, after_seq=event.seq)
    flagger = await enter(member, live_session, after_seq=event.seq)
    try:
        await flagger.send({"type": "flag", "seq": event.seq, "reason": "personal_attack"})
        assert await flagger.recv_type("flag.received") == {
            "type": "flag.received",
            "seq": event.seq,
        }
        report = await host.recv_type("report")
        assert report["target_seq"] == event.seq
        assert str(member.pk) not in str(report) and "Mel" not in str(report)
        assert await flagger.silent()
        again = await enter(facilitator, live_session, after_seq=event.seq)
        assert (await again.recv_type("report"))["target_seq"] == event.seq
        await again.close()
        peer = await enter(other_member, live_session, after_seq=event.seq)
        assert await peer.silent()
        await peer.close()
    finally:
        await host.close()
        await flagger.close()


@pytestmark_async
async def test_upvote_error_carries_the_client_msg_id_so_it_shows_by_the_question(
    live_session, member, other_member, enter
):
    question, _ = await db(services.ask_question)(
        actor=other_member, session=live_session, body="Why?", client_msg_id="q1"
    )
    await db(services.upvote_question)(actor=member, session=live_session, seq=question.seq)
    room = await enter(member, live_session, after_seq=question.seq)
    try:
        await room.send({"type": "question.upvote", "seq": question.seq, "client_msg_id": "up-2"})
        error = await room.recv_type("error")
        assert error["client_msg_id"] == "up-2"
        assert error["detail"] == "You have already upvoted this question."
    finally:
        await room.close()
