"""Who may do what in a live session: one row per role, one column per action, every action
through the real paths (the room page and registration over HTTP, the rest over the socket).

Outcomes: an HTTP result (``"200"``, ``"404"``, ``"login"``; ``"refused"`` for a registration
turned down with a message), ``"open"`` for a connection let in, a close code (``"4401"``,
``"4403"``) when the socket is refused before the action can be tried, the ``error`` frame's code
for a refused command, and ``"ok"``/``"ack"`` when it happened. ``"shown"``/``"hidden"``: whether
the role's socket is told who wrote an anonymous question.
"""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from community.models import Membership
from realtime import services
from realtime.models import LiveEvent, LiveSession, ParticipantRemoval, Registration
from tests.conftest import accept_all_guidelines, make_member

from .conftest import open_room

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async

ACTIONS = [
    "see_page",
    "register",
    "connect",
    "send_message",
    "ask_question",
    "pin_prompt",
    "mute_participant",
    "remove_participant",
    "see_anonymous_author",
]

LOCKED_OUT = {
    "login": ("login", "login", *["4401"] * 7),
    "404": ("404", "404", *["4403"] * 7),
}
PARTICIPANT = ("200", "ok", "open", "ack", "ack", "forbidden", "forbidden", "forbidden", "hidden")
HOST = ("200", "ok", "open", "ack", "ack", "ok", "ok", "ok")

MATRIX = {
    "anonymous": LOCKED_OUT["login"],
    "outsider": LOCKED_OUT["404"],
    "pending": LOCKED_OUT["404"],
    "member": PARTICIPANT,
    "muted_member": ("200", "ok", "open", "muted", "muted", *PARTICIPANT[5:]),
    "suspended": ("200", "refused", *["4403"] * 7),
    "banned": LOCKED_OUT["404"],
    "removed_participant": ("200", "ok", *["4403"] * 7),
    "facilitator": (*HOST, "hidden"),
    "moderator": (*HOST, "shown"),
    "staff": (*HOST, "shown"),
}

CASES = [
    pytest.param(role, action, outcomes[n], id=f"{role}-{action}")
    for role, outcomes in MATRIX.items()
    for n, action in enumerate(ACTIONS)
]


@pytest.fixture
def actor(request, space, live_session):
    role = request.param
    if role == "anonymous":
        return None
    if role == "removed_participant":
        user = make_member(space, "Rae Removed")
        ParticipantRemoval.objects.create(session=live_session, user=user, reason="Breach")
        return user
    fixture = {
        "pending": "pending_member",
        "suspended": "suspended_member",
        "banned": "banned_member",
    }.get(role, role)
    user = request.getfixturevalue(fixture)
    if role == "staff":
        accept_all_guidelines(user, space)  # the matrix is about roles, not the guidelines
    return user


def snapshot(session: LiveSession, actor, target) -> tuple:
    return (
        LiveEvent.objects.filter(session=session, kind__in=services.SPEAKING).count(),
        LiveSession.objects.get(pk=session.pk).prompt,
        Membership.objects.get(user=target, space=session.space).muted_until,
        ParticipantRemoval.objects.filter(user=target).exists(),
        actor is not None and Registration.objects.filter(user=actor).exists(),
    )


async def joined(actor, session):
    """(room, None) once in the room, or (None, close code) when the socket is refused."""
    room, connected, _ = await open_room(actor, session.pk)
    assert connected, "the handshake is accepted; refusals close after it"
    await room.send({"type": "hello", "after_seq": 0})
    first = await room.comm.receive_output(2)
    if first["type"] == "websocket.send" and json.loads(first["text"])["type"] == "error":
        first = await room.comm.receive_output(2)  # why, then the close
    if first["type"] == "websocket.close":
        return None, str(first["code"])
    return room, None


async def answer(room, *wanted: str) -> str:
    """The outcome of the last command: the first of ``wanted`` frames, or an error's code."""
    while True:
        frame = await room.recv(2)
        if frame["type"] == "error":
            return frame["code"]
        if frame["type"] in wanted:
            return frame["type"]


async def after_ping(room) -> str:
    """A command that answers only on failure: ``ok`` unless an error comes before the pong."""
    await room.send({"type": "ping"})
    result = await answer(room, "pong")
    return "ok" if result == "pong" else result


async def act(action: str, actor, session: LiveSession, target) -> str:
    if action in ("see_page", "register"):

        def http() -> str:
            client = Client()
            if actor is not None:
                client.force_login(actor)
            if action == "see_page":
                response = client.get(f"/live/{session.pk}/")
            else:
                response = client.post(f"/live/{session.pk}/register/")
            if response.status_code == 302 and "/accounts/login/" in response["Location"]:
                return "login"
            if action == "register" and response.status_code == 302:
                return "ok" if Registration.objects.filter(user=actor).exists() else "refused"
            return str(response.status_code)

        return await db(http)()
    room, refused = await joined(actor, session)
    if refused:
        return refused
    try:
        if action == "connect":
            return "open"
        if action == "send_message":
            await room.send({"type": "message.send", "body": "Hello", "client_msg_id": "m"})
            return await answer(room, "ack")
        if action == "ask_question":
            await room.send({"type": "question.ask", "body": "Why?", "client_msg_id": "q"})
            return await answer(room, "ack")
        if action == "pin_prompt":
            await room.send({"type": "prompt.pin", "prompt": "What helps?"})
            return "ok" if await answer(room, "state") == "state" else "forbidden"
        if action in ("mute_participant", "remove_participant"):
            command = action.replace("_participant", "")
            await room.send(
                {
                    "type": f"participant.{command}",
                    "user_id": target.pk,
                    "minutes": 10,
                    "reason": "Tone",
                }
            )
            return await after_ping(room)
        if action == "see_anonymous_author":
            await db(services.ask_question)(
                actor=target,
                session=session,
                body="Asked anonymously",
                client_msg_id="a",
                anonymous=True,
            )
            question = await answer(room, "question")
            assert question == "question"
            while not await room.silent(1):
                if (await room.recv())["type"] == "author":
                    return "shown"
            return "hidden"
        raise AssertionError(action)
    finally:
        await room.close()


@pytest.mark.parametrize(("actor", "action", "expected"), CASES, indirect=["actor"])
async def test_permission_matrix(actor, action, expected, live_session, other_member):
    target = other_member
    before = await db(snapshot)(live_session, actor, target)
    assert await act(action, actor, live_session, target) == expected
    after = await db(snapshot)(live_session, actor, target)
    changed = {
        field
        for field, old, new in zip(
            ["events", "prompt", "muted", "removed", "registered"], before, after, strict=True
        )
        if old != new
    }
    if action == "see_anonymous_author":
        changed.discard("events")  # the question asked for the test
    effects = {
        ("send_message", "ack"): {"events"},
        ("ask_question", "ack"): {"events"},
        ("pin_prompt", "ok"): {"prompt"},
        ("mute_participant", "ok"): {"muted"},
        ("remove_participant", "ok"): {"removed"},
        ("register", "ok"): {"registered"},
    }
    assert changed == effects.get((action, expected), set()), "a refusal changes nothing"
