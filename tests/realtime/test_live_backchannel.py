"""The backchannel: facilitators, the space's moderators and staff in the room share a private
stream (acked like a message); a participant is refused with ``forbidden`` and nothing stored;
it never reaches participants, live or replayed, and is not in the transcript."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from realtime import services
from realtime.models import BackchannelMessage, LiveEvent

from .conftest import make_session

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def test_facilitator_and_moderator_share_it_member_never_sees_it(
    live_session, facilitator, moderator, member, enter
):
    host = await enter(facilitator, live_session)
    mod = await enter(moderator, live_session)
    guest = await enter(member, live_session)
    try:
        await host.send(
            {"type": "backchannel.send", "body": "Watch the **tone**", "client_msg_id": "b-1"}
        )
        ack = await host.recv_type("ack")
        assert ack["client_msg_id"] == "b-1" and ack["seq"] is None
        for room in (host, mod):
            frame = await room.recv_type("backchannel")
            assert frame["body_html"] == "<p>Watch the <strong>tone</strong></p>"
            assert frame["author"]["id"] == facilitator.pk and "seq" not in frame
        # Presence frames may come; no backchannel frame ever does.
        while not await guest.silent():
            assert (await guest.recv())["type"] != "backchannel"
        assert await db(LiveEvent.objects.filter(session=live_session).count)() == 0
    finally:
        for room in (host, mod, guest):
            await room.close()


async def test_participant_is_refused_and_nothing_stored(live_session, member, enter):
    room = await enter(member, live_session)
    try:
        await room.send({"type": "backchannel.send", "body": "Let me in", "client_msg_id": "b-2"})
        error = await room.recv_type("error")
        assert error["code"] == "forbidden" and error["client_msg_id"] == "b-2"
        assert error["detail"] == "Only facilitators, moderators and staff can use the backchannel."
        assert not await db(BackchannelMessage.objects.exists)()
    finally:
        await room.close()


async def test_replayed_only_to_those_allowed_and_from_where_they_were(
    live_session, facilitator, staff, member, enter
):
    first, _ = await db(services.send_backchannel)(
        actor=facilitator, session=live_session, body="One", client_msg_id="b-3"
    )
    second, _ = await db(services.send_backchannel)(
        actor=facilitator, session=live_session, body="Two", client_msg_id="b-4"
    )
    team = await enter(staff, live_session)
    guest = await enter(member, live_session)
    try:
        assert [(await team.recv_type("backchannel"))["id"] for _ in range(2)] == [
            first.pk,
            second.pk,
        ]
        await team.send({"type": "hello", "after_seq": 0, "backchannel_after": first.pk})
        await team.recv_type("welcome")
        assert (await team.recv_type("backchannel"))["id"] == second.pk
        await guest.send({"type": "hello", "after_seq": 0, "backchannel_after": 0})
        await guest.recv_type("welcome")
        while not await guest.silent():
            assert (await guest.recv())["type"] != "backchannel"
    finally:
        await team.close()
        await guest.close()


async def test_resend_is_stored_once_and_bad_input_refused(live_session, facilitator, enter):
    host = await enter(facilitator, live_session)
    try:
        for _ in range(2):
            await host.send({"type": "backchannel.send", "body": "Once", "client_msg_id": "b-5"})
            await host.recv_type("ack")
        assert await db(BackchannelMessage.objects.count)() == 1
        await host.send({"type": "backchannel.send", "body": "  ", "client_msg_id": "b-6"})
        assert (await host.recv_type("error"))["detail"] == "Write a message before sending it."
        await host.send({"type": "backchannel.send", "body": "x" * 2001, "client_msg_id": "b-7"})
        assert (await host.recv_type("error"))["code"] == "too_long"
        assert await db(BackchannelMessage.objects.count)() == 1
    finally:
        await host.close()


def test_not_in_the_transcript_and_purged_with_it(space, facilitator, member, login):
    session = make_session(space, facilitator, chatham_house=False)
    services.send_backchannel(
        actor=facilitator, session=session, body="Team only words", client_msg_id="b-8"
    )
    services.send_live_message(actor=member, session=session, body="Room words", client_msg_id="m")
    services.end_session(actor=facilitator, session=session)
    html = login(facilitator).get(reverse("live_transcript", args=[session.pk])).content.decode()
    assert "Room words" in html and "Team only words" not in html
    room = login(member).get(reverse("live_room", args=[session.pk])).content.decode()
    assert "Team only words" not in room and "live-backchannel" not in room
    services.purge_expired(now=session.ends_at.replace(year=session.ends_at.year + 1))
    assert not BackchannelMessage.objects.filter(session=session).exists()


def test_backchannel_panel_only_on_allowed_pages(space, facilitator, moderator, member, login):
    session = make_session(space, facilitator)
    for user, shown in ((facilitator, True), (moderator, True), (member, False)):
        html = login(user).get(reverse("live_room", args=[session.pk])).content.decode()
        assert ('id="live-backchannel-form"' in html) is shown


async def test_after_a_chatham_house_end_nothing_replays_names(space, facilitator, member, enter):
    session = await db(make_session)(
        space, facilitator, chatham_house=True, questions_need_approval=True
    )
    await db(services.send_backchannel)(
        actor=facilitator, session=session, body="Team", client_msg_id="b-9"
    )
    await db(services.ask_question)(
        actor=member, session=session, body="Still waiting", client_msg_id="q-9"
    )
    await db(services.end_session)(actor=facilitator, session=session)
    host = await enter(facilitator, session)
    try:
        held = await host.recv_type("question.held")
        assert held["author"] is None
        while not await host.silent():
            assert (await host.recv())["type"] != "backchannel"
    finally:
        await host.close()
