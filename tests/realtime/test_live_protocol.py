"""The WebSocket protocol of SPEC.md, command by command, through the real ASGI application."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from django.utils import timezone

from community.models import Membership
from realtime import services
from realtime.models import LiveEvent, LiveSession, ParticipantRemoval, QuestionUpvote, RaisedHand

from .conftest import make_session, open_room

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


def cid() -> str:
    return str(uuid.uuid4())


def count_events(session) -> int:
    return LiveEvent.objects.filter(session=session).count()


async def test_member_sends_message_gets_ack_and_everyone_gets_it(
    live_session, member, other_member, enter
):
    alice = await enter(member, live_session)
    bob = await enter(other_member, live_session)
    try:
        assert alice.welcome["session"]["status"] == "live"
        assert alice.welcome["you"] == {
            "id": member.pk,
            "display_name": "Mel Member",
            "facilitator": False,
            "muted": None,
        }
        msg_id = cid()
        await alice.send(
            {
                "type": "message.send",
                "body": "Hello **all**",
                "client_msg_id": msg_id,
                "reply_to": None,
            }
        )
        ack = await alice.recv_type("ack")
        assert ack == {"type": "ack", "client_msg_id": msg_id, "seq": 1}
        for room in (alice, bob):
            frame = await room.recv_type("message")
            assert frame["seq"] == 1
            assert frame["author"] == {"id": member.pk, "display_name": "Mel Member"}
            assert frame["body_html"] == "<p>Hello <strong>all</strong></p>"
            assert frame["client_msg_id"] == msg_id
            assert frame["reply_to"] is None
        await bob.send(
            {"type": "message.send", "body": "Hi", "client_msg_id": cid(), "reply_to": 1}
        )
        reply = await alice.recv_type("message")
        assert reply["reply_to"] == 1 and reply["seq"] == 2
    finally:
        await alice.close()
        await bob.close()


async def test_resend_with_same_client_msg_id_is_stored_once(live_session, member, enter):
    room = await enter(member, live_session)
    try:
        msg_id = cid()
        for _ in range(2):
            await room.send({"type": "message.send", "body": "Once", "client_msg_id": msg_id})
            assert (await room.recv_type("ack"))["seq"] == 1
        assert await db(count_events)(live_session) == 1
    finally:
        await room.close()


async def test_script_in_a_message_is_escaped(live_session, member, enter):
    room = await enter(member, live_session)
    try:
        await room.send(
            {"type": "message.send", "body": "<script>alert(1)</script>", "client_msg_id": cid()}
        )
        frame = await room.recv_type("message")
        assert "<script" not in frame["body_html"]
    finally:
        await room.close()


async def test_anonymous_question_carries_no_author_and_upvotes_count(
    live_session, member, other_member, enter
):
    alice = await enter(member, live_session)
    bob = await enter(other_member, live_session)
    try:
        await alice.send(
            {
                "type": "question.ask",
                "body": "How do we start?",
                "anonymous": True,
                "client_msg_id": cid(),
            }
        )
        await alice.recv_type("ack")
        question = await bob.recv_type("question")
        assert question["author"] is None and question["anonymous"] is True
        assert "Mel" not in json.dumps(question)
        await bob.send({"type": "question.upvote", "seq": question["seq"]})
        update = await alice.recv_type("question.upvotes")
        assert update == {"type": "question.upvotes", "question_seq": question["seq"], "upvotes": 1}
        # Twice: refused, nothing stored, connection open.
        await bob.send({"type": "question.upvote", "seq": question["seq"]})
        error = await bob.recv_type("error")
        assert error["code"] == "invalid"
        assert await db(QuestionUpvote.objects.count)() == 1
        await bob.send({"type": "ping"})
        assert (await bob.recv_type("pong"))["type"] == "pong"
    finally:
        await alice.close()
        await bob.close()


async def test_hands_and_presence_are_pushed_without_seq(live_session, member, facilitator, enter):
    host = await enter(facilitator, live_session)
    guest = await enter(member, live_session)
    try:
        presence = await host.recv()
        assert (
            presence["type"] == "presence"
            and presence["action"] == "join"
            and "seq" not in presence
        )
        await guest.send({"type": "hand.raise"})
        hands = await host.recv_type("hands")
        assert [h["id"] for h in hands["hands"]] == [member.pk] and "seq" not in hands
        assert (await guest.recv_type("hands"))["hands"][0]["id"] == member.pk
        await host.send({"type": "hand.lower", "user_id": member.pk})
        assert (await guest.recv_type("hands"))["hands"] == []
        assert not await db(RaisedHand.objects.exists)()
    finally:
        await guest.close()
        left = await host.recv_type("presence")
        assert left["action"] == "leave" and left["user"]["id"] == member.pk
        await host.close()


async def test_hello_replays_in_order_and_removed_message_has_no_body(
    live_session, member, facilitator, enter
):
    def seed():
        for n in range(5):
            services.send_live_message(
                actor=member, session=live_session, body=f"m{n}", client_msg_id=f"c{n}"
            )
        services.remove_message(actor=facilitator, session=live_session, seq=2)

    await db(seed)()
    room = await enter(member, live_session, after_seq=1)
    try:
        assert room.welcome["last_seq"] == 6
        frames = []
        await room.send({"type": "hello", "after_seq": 0})
        await room.recv_type("welcome")
        for _ in range(6):
            frames.append(await room.recv_type("message", "message.removed"))
        assert [f["seq"] for f in frames] == [1, 2, 3, 4, 5, 6]
        assert (
            frames[1]["removed"] is True
            and frames[1]["body_html"] == ""
            and frames[1]["author"] is None
        )
        assert frames[5] == {**frames[5], "type": "message.removed", "target_seq": 2}
    finally:
        await room.close()


@override_settings(LIVE_BACKFILL_MAX=4)
async def test_hello_beyond_the_cap_is_answered_with_resync(live_session, member, enter):
    def seed():
        for n in range(10):
            services.send_live_message(
                actor=member, session=live_session, body=f"m{n}", client_msg_id=f"c{n}"
            )

    with override_settings(LIVE_RATE_LIMIT=(100, 10)):
        await db(seed)()
    room, _, _ = await open_room(member, live_session.pk)
    try:
        await room.send({"type": "hello", "after_seq": 0})
        assert (await room.recv_type("welcome"))["last_seq"] == 10
        resync = await room.recv_type("resync")
        assert resync["last_seq"] == 10 and resync["from_seq"] == 8
        assert [(await room.recv_type("message"))["seq"] for _ in range(2)] == [9, 10]
    finally:
        await room.close()


async def test_broadcast_after_a_lost_one_is_preceded_by_the_missing_event(
    live_session, member, other_member, enter
):
    """The layer may drop a group message: the consumer fills the gap from the database."""
    room = await enter(member, live_session)
    try:

        def store_silently():
            LiveSession.objects.filter(pk=live_session.pk).update(last_seq=1)
            LiveEvent.objects.create(
                session=live_session,
                seq=1,
                kind="message",
                author=other_member,
                body="lost",
                body_html="<p>lost</p>",
                client_msg_id="lost",
            )

        await db(store_silently)()
        await db(services.send_live_message)(
            actor=other_member, session=live_session, body="next", client_msg_id="next"
        )
        first = await room.recv_type("message")
        second = await room.recv_type("message")
        assert (first["seq"], first["body_html"]) == (1, "<p>lost</p>")
        assert second["seq"] == 2
    finally:
        await room.close()


# -- refusals: an error frame with the right code, the connection open, nothing stored --------


def _mute(user):
    Membership.objects.filter(user=user).update(muted_until=timezone.now() + timedelta(hours=1))


REFUSALS = [
    # (name, raw text or frame, setup, expected code)
    ("bad json", "{not json", None, "invalid"),
    ("not an object", "[1, 2]", None, "invalid"),
    ("unknown type", {"type": "message.explode"}, None, "invalid"),
    ("missing body", {"type": "message.send", "client_msg_id": "x1"}, None, "invalid"),
    ("missing client_msg_id", {"type": "message.send", "body": "hi"}, None, "invalid"),
    ("empty body", {"type": "message.send", "body": "   ", "client_msg_id": "x2"}, None, "invalid"),
    ("body not text", {"type": "message.send", "body": 12, "client_msg_id": "x3"}, None, "invalid"),
    (
        "too long",
        {"type": "message.send", "body": "x" * 2001, "client_msg_id": "x4"},
        None,
        "too_long",
    ),
    (
        "frame over 16 KB",
        {"type": "message.send", "body": "é" * 9000, "client_msg_id": "x5"},
        None,
        "too_long",
    ),
    (
        "reply to nothing",
        {"type": "message.send", "body": "hi", "client_msg_id": "x6", "reply_to": 99},
        None,
        "invalid",
    ),
    ("locked", {"type": "message.send", "body": "hi", "client_msg_id": "x7"}, "lock", "locked"),
    ("muted", {"type": "message.send", "body": "hi", "client_msg_id": "x8"}, "mute", "muted"),
    (
        "muted question",
        {"type": "question.ask", "body": "hi?", "client_msg_id": "x9"},
        "mute",
        "muted",
    ),
    (
        "not live",
        {"type": "message.send", "body": "hi", "client_msg_id": "xa"},
        "scheduled",
        "not_live",
    ),
    (
        "slow mode",
        {"type": "message.send", "body": "again", "client_msg_id": "xb"},
        "slow",
        "slow_mode",
    ),
    ("upvote a message", {"type": "question.upvote", "seq": 1}, "one message", "invalid"),
    ("upvote nothing", {"type": "question.upvote", "seq": 42}, None, "invalid"),
    ("start as participant", {"type": "session.start"}, None, "forbidden"),
    ("end as participant", {"type": "session.end"}, None, "forbidden"),
    ("lock as participant", {"type": "chat.lock"}, None, "forbidden"),
    ("slow mode as participant", {"type": "slow_mode.set", "seconds": 30}, None, "forbidden"),
    ("pin as participant", {"type": "prompt.pin", "prompt": "Mine"}, None, "forbidden"),
    ("remove as participant", {"type": "message.remove", "seq": 1}, "one message", "forbidden"),
    ("mute as participant", {"type": "participant.mute", "user_id": 0}, None, "forbidden"),
    ("unmute as participant", {"type": "participant.unmute", "user_id": 0}, None, "forbidden"),
    (
        "remove participant as participant",
        {"type": "participant.remove", "user_id": 0},
        None,
        "forbidden",
    ),
    ("spotlight as participant", {"type": "question.spotlight", "seq": 1}, None, "forbidden"),
    ("lower another's hand", {"type": "hand.lower", "user_id": 0}, "other hand", "forbidden"),
    ("hello with bad after_seq", {"type": "hello", "after_seq": "x"}, None, "invalid"),
    ("flag without reason", {"type": "flag", "seq": 1}, "one message", "invalid"),
]


@pytest.mark.parametrize(("name", "frame", "setup", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_refused_command_gets_error_code_keeps_connection_and_stores_nothing(
    name, frame, setup, code, live_session, member, other_member, facilitator, enter
):
    def prepare():
        if setup == "lock":
            services.lock_chat(actor=facilitator, session=live_session)
        elif setup == "mute":
            _mute(member)
        elif setup == "scheduled":
            LiveSession.objects.filter(pk=live_session.pk).update(
                status=LiveSession.Status.SCHEDULED
            )
        elif setup == "slow":
            services.set_slow_mode(actor=facilitator, session=live_session, seconds=60)
            services.send_live_message(
                actor=member, session=live_session, body="first", client_msg_id="first"
            )
        elif setup == "one message":
            services.send_live_message(
                actor=other_member, session=live_session, body="theirs", client_msg_id="theirs"
            )
        elif setup == "other hand":
            services.raise_hand(actor=other_member, session=live_session)

    await db(prepare)()
    room = await enter(member, live_session)
    before = await db(
        lambda: (
            count_events(live_session),
            LiveSession.objects.get(pk=live_session.pk).state(),
            QuestionUpvote.objects.count(),
            RaisedHand.objects.count(),
            Membership.objects.get(user=other_member).muted_until,
        )
    )()
    try:
        if isinstance(frame, dict):
            if frame.get("user_id") == 0:
                frame = {**frame, "user_id": other_member.pk}
            await room.send(frame)
        else:
            await room.send_text(frame)
        error = await room.recv_type("error")
        assert error["code"] == code, error
        assert error["detail"]
        if isinstance(frame, dict) and "client_msg_id" in frame and code != "too_long":
            assert error["client_msg_id"] == frame["client_msg_id"]
        after = await db(
            lambda: (
                count_events(live_session),
                LiveSession.objects.get(pk=live_session.pk).state(),
                QuestionUpvote.objects.count(),
                RaisedHand.objects.count(),
                Membership.objects.get(user=other_member).muted_until,
            )
        )()
        assert after == before
        await room.send({"type": "ping"})
        assert (await room.recv_type("pong"))["type"] == "pong"
    finally:
        await room.close()


@override_settings(LIVE_RATE_LIMIT=(5, 10))
async def test_flooding_past_the_rate_limit_is_refused(live_session, member, enter):
    room = await enter(member, live_session)
    try:
        for n in range(5):
            await room.send({"type": "message.send", "body": f"m{n}", "client_msg_id": f"f{n}"})
            await room.recv_type("ack")
        await room.send({"type": "message.send", "body": "one too many", "client_msg_id": "f5"})
        error = await room.recv_type("error")
        assert error["code"] == "rate_limited" and error["client_msg_id"] == "f5"
        assert await db(count_events)(live_session) == 5
    finally:
        await room.close()


async def test_removing_a_message_of_another_session_is_refused(
    space, live_session, member, facilitator, enter
):
    def other():
        session = make_session(space, facilitator, title="Other")
        for n in range(3):
            services.send_live_message(
                actor=member, session=session, body=f"x{n}", client_msg_id=f"o{n}"
            )
        return session

    other_session = await db(other)()
    host = await enter(facilitator, live_session)
    try:
        await host.send({"type": "message.remove", "seq": 3})
        error = await host.recv_type("error")
        assert error["code"] == "invalid"
        assert not await db(LiveEvent.objects.filter(removed=True).exists)()
        assert await db(count_events)(other_session) == 3
        assert await db(count_events)(live_session) == 0
    finally:
        await host.close()


# -- facilitator commands ------------------------------------------------------------------------


async def test_facilitator_runs_the_session(
    scheduled_session, member, other_member, facilitator, enter
):
    session = scheduled_session
    host = await enter(facilitator, session)
    guest = await enter(member, session)
    try:
        assert host.welcome["you"]["facilitator"] is True

        async def state(command: dict) -> dict:
            await host.send(command)
            frame = await guest.recv_type("state")
            return frame

        assert (await state({"type": "session.open"}))["session"]["status"] == "open"
        assert (await state({"type": "session.start"}))["session"]["status"] == "live"
        assert (await state({"type": "chat.lock"}))["session"]["locked"] is True
        assert (await state({"type": "chat.unlock"}))["session"]["locked"] is False
        assert (await state({"type": "slow_mode.set", "seconds": 15}))["session"]["slow_mode"] == 15
        assert (await state({"type": "prompt.pin", "prompt": "What does allyship ask of you?"}))[
            "session"
        ]["prompt"] == "What does allyship ask of you?"

        await guest.send({"type": "question.ask", "body": "Where to begin?", "client_msg_id": "q1"})
        q = await guest.recv_type("question")
        spotlit = await state({"type": "question.spotlight", "seq": q["seq"]})
        assert spotlit["session"]["spotlight"] == q["seq"] and spotlit["change"] == "spotlight"

        await guest.send({"type": "hand.raise"})
        await host.send({"type": "message.remove", "seq": q["seq"]})
        removed = await guest.recv_type("message.removed")
        assert removed["target_seq"] == q["seq"]

        await host.send(
            {
                "type": "participant.mute",
                "user_id": member.pk,
                "minutes": 10,
                "reason": "Cooling off",
            }
        )
        notice = await guest.recv_type("notice")
        assert notice["code"] == "muted"
        await guest.send({"type": "message.send", "body": "still here", "client_msg_id": "m1"})
        assert (await guest.recv_type("error"))["code"] == "muted"
        await host.send({"type": "participant.unmute", "user_id": member.pk})
        assert (await guest.recv_type("notice"))["code"] == "unmuted"
        await db(Membership.objects.filter(user=member).update)(muted_until=None)
        assert (await state({"type": "session.end"}))["session"]["status"] == "ended"
        await guest.send({"type": "message.send", "body": "after", "client_msg_id": "m2"})
        assert (await guest.recv_type("error"))["code"] == "not_live"
    finally:
        await host.close()
        await guest.close()


async def test_removed_participant_is_disconnected_and_cannot_rejoin(
    live_session, member, facilitator, enter
):
    host = await enter(facilitator, live_session)
    guest = await enter(member, live_session)
    try:
        await host.send({"type": "participant.remove", "user_id": member.pk, "reason": "Breach"})
        error = await guest.recv_type("error")
        assert error["code"] == "forbidden" and "Breach" in error["detail"]
        closed = await guest.comm.receive_output(2)
        assert (
            closed == {"type": "websocket.close", "code": 4403, "reason": None}
            or closed["code"] == 4403
        )
        assert await db(ParticipantRemoval.objects.filter(user=member).exists)()
        again, connected, _ = await open_room(member, live_session.pk)
        assert connected
        assert "Breach" in (await again.recv())["detail"]
        assert (await again.comm.receive_output(2))["code"] == 4403
    finally:
        await host.close()


async def test_member_banned_while_connected_is_refused_and_disconnected(
    live_session, member, enter
):
    room = await enter(member, live_session)
    await db(Membership.objects.filter(user=member).update)(status=Membership.Status.BANNED)
    await room.send({"type": "message.send", "body": "hi", "client_msg_id": "b1"})
    error = await room.recv_type("error")
    assert error["code"] == "forbidden"
    assert (await room.comm.receive_output(2))["code"] == 4403
    assert await db(count_events)(live_session) == 0


# -- connect refusals (WebsocketCommunicator; the daphne tests repeat them with a real client) ---


@pytest.fixture
def candidate(request, live_session, unlisted_space, member):
    """(user, session id) for one connect-refusal case."""
    who = request.param
    if who == "anonymous":
        return None, live_session.pk
    if who == "unknown session":
        return member, 999999
    if who == "unlisted outsider":
        return request.getfixturevalue("outsider"), make_session(unlisted_space).pk
    return request.getfixturevalue(who), live_session.pk


@pytest.mark.parametrize(
    ("candidate", "code"),
    [
        ("anonymous", 4401),
        ("outsider", 4403),
        ("banned_member", 4403),
        ("suspended_member", 4403),
        ("pending_member", 4403),
        ("unknown session", 4404),
        ("unlisted outsider", 4404),
    ],
    indirect=["candidate"],
)
async def test_connect_refusals_accept_then_close_with_code(candidate, code):
    user, session_id = candidate
    room, connected, _ = await open_room(user, session_id)
    assert connected
    closed = await room.comm.receive_output(2)
    if code == 4403:  # they may know the session exists: told why first
        assert json.loads(closed["text"])["code"] == "forbidden"
        closed = await room.comm.receive_output(2)
    assert closed["type"] == "websocket.close" and closed["code"] == code


async def test_foreign_origin_is_rejected_at_handshake(live_session, member):
    _, connected, _ = await open_room(member, live_session.pk, origin=b"https://evil.example")
    assert not connected
