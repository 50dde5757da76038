"""Frames that parse badly or carry text no database can store get an ``invalid`` error, and the
connection stays open: lone surrogates, deep nesting, NUL characters."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from realtime import services
from realtime.models import LiveEvent
from realtime.policy import LiveRefusal

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async

MALFORMED = [
    # (name, raw frame text, expected code, client_msg_id the error should carry)
    (
        "lone surrogate in a body",
        '{"type": "message.send", "body": "hi \\ud800", "client_msg_id": "s1"}',
        "invalid",
        "s1",
    ),
    (
        "lone low surrogate in a question",
        '{"type": "question.ask", "body": "\\udfff?", "client_msg_id": "s2"}',
        "invalid",
        "s2",
    ),
    (
        "lone surrogate in client_msg_id",
        '{"type": "message.send", "body": "hi", "client_msg_id": "\\ud800"}',
        "invalid",
        None,
    ),
    ("lone surrogate in the type", '{"type": "\\ud800"}', "invalid", None),
    ("lone surrogate in a key", '{"type": "ping", "\\ud800": 1}', "invalid", None),
    ("deeply nested array", "[" * 10_000, "invalid", None),
    (
        "deeply nested body",
        '{"type": "message.send", "client_msg_id": "s3", "body": '
        + "[" * 5_000
        + "]" * 5_000
        + "}",
        "invalid",
        None,
    ),
    ("nesting far over the frame limit", "[" * 100_000, "too_long", None),
    (
        "NUL in a body",
        '{"type": "message.send", "body": "before\\u0000after", "client_msg_id": "s4"}',
        "invalid",
        "s4",
    ),
    (
        "NUL in client_msg_id",
        '{"type": "message.send", "body": "hi", "client_msg_id": "a\\u0000"}',
        "invalid",
        None,
    ),
    ("NUL in a flag reason", '{"type": "flag", "seq": 1, "reason": "\\u0000"}', "invalid", None),
]


@pytest.mark.parametrize(
    ("name", "text", "code", "client_msg_id"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
async def test_malformed_frame_gets_an_error_and_the_socket_stays_open(
    name, text, code, client_msg_id, live_session, member, enter
):
    room = await enter(member, live_session)
    try:
        await room.send_text(text)
        error = await room.recv_type("error")
        assert error["code"] == code, error
        assert error["detail"]
        assert error["client_msg_id"] == client_msg_id
        assert await db(LiveEvent.objects.filter(session=live_session).count)() == 0
        await room.send({"type": "ping"})
        assert (await room.recv_type("pong"))["type"] == "pong"
    finally:
        await room.close()


async def test_the_nul_refusal_says_what_to_change(live_session, member, enter):
    room = await enter(member, live_session)
    try:
        await room.send_text('{"type": "message.send", "body": "a\\u0000b", "client_msg_id": "n1"}')
        error = await room.recv_type("error")
        assert "NUL" in error["detail"]
    finally:
        await room.close()


async def test_a_prompt_with_nul_is_refused_for_the_facilitator(live_session, facilitator, enter):
    room = await enter(facilitator, live_session)
    try:
        await room.send_text('{"type": "prompt.pin", "prompt": "Think\\u0000"}')
        assert (await room.recv_type("error"))["code"] == "invalid"
        await room.send({"type": "ping"})
        assert (await room.recv_type("pong"))["type"] == "pong"
    finally:
        await room.close()


async def test_a_proper_surrogate_pair_is_an_ordinary_character(live_session, member, enter):
    room = await enter(member, live_session)
    try:
        await room.send_text(
            json.dumps({"type": "message.send", "body": "Hello 🌍", "client_msg_id": "ok1"})
        )
        assert (await room.recv_type("ack"))["client_msg_id"] == "ok1"
        assert "🌍" in (await room.recv_type("message"))["body_html"]
    finally:
        await room.close()


@pytest.mark.parametrize("body", ["a\x00b", "\ud800", "ok \udc00 then"])
def test_the_message_service_refuses_what_cannot_be_stored(live_session, member, body):
    with pytest.raises(LiveRefusal) as refused:
        services.send_live_message(
            actor=member, session=live_session, body=body, client_msg_id="svc"
        )
    assert refused.value.code == "invalid"
    assert not LiveEvent.objects.filter(session=live_session).exists()
