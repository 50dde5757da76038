"""Moderation inside breakout rooms (issue #16, SPEC.md principle 5): the main room's rules hold
in every room. Whoever may remove a main-room message removes one in a breakout room
(``breakout.message.remove``: stored, told to the room, replayed without its body, audited); a
member flags a message of their own room (``breakout.flag``: the main room's reasons, queue and
acknowledgement, the reporter confidential); a ``flag`` watched word raises the automatic flag
as in the main room. Every bad command gets an ``error`` and changes nothing stored."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from community import sanctions
from community.models import AuditAction, AuditEntry
from moderation import registry
from moderation.models import Flag, WatchedWord
from realtime import breakouts, services
from realtime.models import BreakoutMessage, Presence
from realtime.policy import LiveRefusal

from ..conftest import make_member

db = database_sync_to_async


def here(session, *users) -> None:
    for user in users:
        Presence.objects.create(
            session=session, user=user, channel_name=f"test.{session.pk}.{user.pk}"
        )


@pytest.fixture
def people(space):
    return [make_member(space, name) for name in ("Ama", "Ben", "Cleo")]


@pytest.fixture
def two_rooms(live_session, facilitator, people):
    """Ama alone in room 1, Ben and Cleo in room 2."""
    here(live_session, *people)
    round_, _ = breakouts.open_breakouts(
        actor=facilitator,
        session=live_session,
        rooms=[[people[0].pk], [people[1].pk, people[2].pk]],
        duration_minutes=10,
        client_msg_id="rooms",
    )
    return list(round_.rooms.order_by("number"))


def say(user, session, body="Hello room", msg_id=None):
    message, _ = breakouts.send_message(
        actor=user, session=session, body=body, client_msg_id=msg_id or str(uuid.uuid4())
    )
    return message


def snapshot():
    return (
        list(BreakoutMessage.objects.order_by("pk").values_list("pk", "removed", "body")),
        AuditEntry.objects.filter(action=AuditAction.LIVE_MESSAGE_REMOVE).count(),
        Flag.objects.count(),
    )


# -- breakout.message.remove ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_facilitator_removes_a_breakout_message_audited_and_replayed_without_body(
    live_session, facilitator, people, two_rooms
):
    message = say(people[2], live_session, "Something hurtful")
    later = say(people[1], live_session, "Let's move on")
    assert breakouts.remove_message(
        actor=facilitator, session=live_session, room_id=two_rooms[1].pk, seq=message.seq
    )
    message.refresh_from_db()
    assert message.removed
    entry = AuditEntry.objects.get(action=AuditAction.LIVE_MESSAGE_REMOVE)
    assert entry.actor == facilitator and entry.target_id == message.pk
    assert entry.target_label == "Breakout message #1 in Room 2"
    replay = breakouts.messages_after(two_rooms[1].pk, 0)
    assert replay[0]["removed"] and replay[0]["body_html"] == "" and replay[0]["author"] is None
    assert "hurtful" not in str(replay)
    assert replay[1]["seq"] == later.seq and "removed" not in replay[1]
    # A client that already held it (cursor past it) is told to drop it on reconnect.
    assert {"type": "breakout.removed", "room_id": two_rooms[1].pk, "target_seq": 1} in (
        breakouts.messages_after(two_rooms[1].pk, 2)
    )
    # Again: nothing more happens.
    assert not breakouts.remove_message(
        actor=facilitator, session=live_session, room_id=two_rooms[1].pk, seq=message.seq
    )
    assert AuditEntry.objects.filter(action=AuditAction.LIVE_MESSAGE_REMOVE).count() == 1


@pytest.mark.django_db
def test_a_space_moderator_may_remove_as_in_the_main_room(
    live_session, moderator, people, two_rooms
):
    message = say(people[0], live_session)
    assert breakouts.remove_message(
        actor=moderator, session=live_session, room_id=two_rooms[0].pk, seq=message.seq
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "room", "seq", "code", "detail"),
    [
        ("participant", 1, 1, "forbidden", "Only the session's facilitators can do that."),
        ("facilitator", 1, "1", "invalid", "seq must be a whole number."),
        ("facilitator", 1, True, "invalid", "seq must be a whole number."),
        ("facilitator", 1, 99, "invalid", "There is no such message in this breakout room."),
        # Room 1 holds only seq 1: seq 2 is another room's message.
        ("facilitator", 0, 2, "invalid", "There is no such message in this breakout room."),
        ("facilitator", "x", 1, "invalid", "room_id must be the number of a breakout room."),
        ("facilitator", None, 1, "invalid", "room_id must be the number of a breakout room."),
        ("facilitator", 999_999, 1, "invalid", "There is no such breakout room open"),
    ],
)
def test_bad_removals_are_refused_and_nothing_changes(
    live_session, facilitator, people, two_rooms, who, room, seq, code, detail
):
    say(people[0], live_session)
    say(people[1], live_session)
    say(people[2], live_session)
    before = snapshot()
    actor = facilitator if who == "facilitator" else people[1]
    room_id = two_rooms[room].pk if room in (0, 1) else room
    with pytest.raises(LiveRefusal) as refused:
        breakouts.remove_message(actor=actor, session=live_session, room_id=room_id, seq=seq)
    assert refused.value.code == code and refused.value.detail.startswith(detail)
    assert snapshot() == before


# -- breakout.flag --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_flags_a_message_of_their_room_for_the_moderators(
    live_session, space, moderator, people, two_rooms
):
    message = say(people[2], live_session, "Not okay")
    breakouts.flag_message(
        actor=people[1],
        session=live_session,
        room_id=two_rooms[1].pk,
        seq=message.seq,
        reason="personal_attack",
    )
    flag = Flag.objects.get()
    assert flag.kind == "breakout_message" and flag.target_id == message.pk
    assert flag.flagger == people[1] and flag.target_user == people[2] and flag.space == space
    assert flag.reason == "personal_attack"
    # The review queue's adapter reads it and its card does not name the reporter.
    kind = registry.kind_of(message)
    assert kind.describe(message) == "Breakout message #1 in Room 2"
    # Free text becomes an "other" flag's details, as in the main room.
    other = say(people[2], live_session, "Another one")
    breakouts.flag_message(
        actor=people[1],
        session=live_session,
        room_id=two_rooms[1].pk,
        seq=other.seq,
        reason="It felt off",
    )
    assert Flag.objects.get(target_id=other.pk).details == "It felt off"


@pytest.mark.django_db
def test_a_moderator_removes_a_flagged_breakout_message_from_the_queue(
    live_session, moderator, people, two_rooms
):
    message = say(people[2], live_session, "Not okay")
    breakouts.flag_message(
        actor=people[1], session=live_session, room_id=two_rooms[1].pk, seq=1, reason="spam"
    )
    kind = registry.kind_of(message)
    assert kind.perform(actor=moderator, item=message, action="hide", data={"reason": "Rude"})
    message.refresh_from_db()
    assert message.removed and not Flag.objects.open().exists()
    assert AuditEntry.objects.filter(action=AuditAction.LIVE_HIDE).count() == 1
    with pytest.raises(PermissionDenied):  # a participant may not moderate
        kind.perform(
            actor=people[1],
            item=say(people[2], live_session, "x"),
            action="hide",
            data={"reason": "no"},
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "room", "seq", "reason", "code", "detail"),
    [
        (1, 1, 1, "", "invalid", "Say why you are flagging this message."),
        (1, 1, 1, "   ", "invalid", "Say why you are flagging this message."),
        (1, 1, 1, 42, "invalid", "Say why you are flagging this message."),
        (1, 1, 1, "x" * 1001, "too_long", "Keep the reason to 1,000 characters or fewer."),
        (1, 1, "1", "spam", "invalid", "seq must be a whole number."),
        (1, 1, 99, "spam", "invalid", "There is no such message in this breakout room."),
        (1, 1, None, "spam", "invalid", "seq must be a whole number."),
        (1, "1", 1, "spam", "invalid", "room_id must be the number of a breakout room."),
        # Ama is in room 1: room 2 is not hers to read or flag.
        (0, 1, 1, "spam", "forbidden", "You are not in that breakout room."),
        # Their own message.
        (2, 1, 1, "spam", "forbidden", "You cannot flag your own post."),
    ],
)
def test_bad_flags_are_refused_and_nothing_changes(
    live_session, people, two_rooms, who, room, seq, reason, code, detail
):
    say(people[2], live_session)
    before = snapshot()
    room_id = two_rooms[room].pk if room in (0, 1) else room
    with pytest.raises(LiveRefusal) as refused:
        breakouts.flag_message(
            actor=people[who], session=live_session, room_id=room_id, seq=seq, reason=reason
        )
    assert (refused.value.code, refused.value.detail) == (code, detail)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_removed_message_or_a_second_flag_is_refused(
    live_session, facilitator, people, two_rooms
):
    first = say(people[2], live_session, "one")
    second = say(people[2], live_session, "two")
    breakouts.remove_message(
        actor=facilitator, session=live_session, room_id=two_rooms[1].pk, seq=first.seq
    )
    args = {"actor": people[1], "session": live_session, "room_id": two_rooms[1].pk}
    with pytest.raises(LiveRefusal, match=r"That message was removed\."):
        breakouts.flag_message(**args, seq=first.seq, reason="spam")
    breakouts.flag_message(**args, seq=second.seq, reason="spam")
    before = snapshot()
    with pytest.raises(LiveRefusal, match=r"You have already flagged this\."):
        breakouts.flag_message(**args, seq=second.seq, reason="spam")
    assert snapshot() == before


@pytest.mark.django_db
def test_muted_and_removed_members_cannot_flag_or_remove(
    space, live_session, facilitator, moderator, people, two_rooms
):
    say(people[2], live_session)
    sanctions.mute_member(
        actor=moderator,
        space=space,
        member=people[1],
        until=timezone.now() + timedelta(hours=1),
        reason="Cool off",
    )
    before = snapshot()
    with pytest.raises(LiveRefusal) as refused:
        breakouts.flag_message(
            actor=people[1], session=live_session, room_id=two_rooms[1].pk, seq=1, reason="spam"
        )
    assert refused.value.code == "forbidden" and "muted" in refused.value.detail.lower()
    services.remove_participant(
        actor=facilitator, session=live_session, user_id=people[0].pk, reason="Abuse"
    )
    with pytest.raises(LiveRefusal) as refused:
        breakouts.flag_message(
            actor=people[0], session=live_session, room_id=two_rooms[0].pk, seq=1, reason="spam"
        )
    assert refused.value.code == "forbidden"
    with pytest.raises(LiveRefusal) as refused:
        breakouts.remove_message(
            actor=people[0], session=live_session, room_id=two_rooms[1].pk, seq=1
        )
    assert refused.value.code == "forbidden"
    assert snapshot() == before


# -- watched words --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_flag_watched_word_raises_the_automatic_flag_in_a_breakout_room(
    space, live_session, people, two_rooms
):
    WatchedWord.objects.create(space=space, word="watchme", action="flag")
    message = say(people[0], live_session, "Please watchme now")
    flag = Flag.objects.get()
    assert flag.flagger is None and flag.kind == "breakout_message"
    assert flag.target_id == message.pk and flag.target_user == people[0]
    assert flag.details == "Contains a watched word." and flag.matched_word == "watchme"
    assert not message.removed
    WatchedWord.objects.create(space=space, word="forbiddenword", action="block")
    with pytest.raises(LiveRefusal) as refused:
        say(people[0], live_session, "forbiddenword here")
    assert refused.value.code == "forbidden"
    assert BreakoutMessage.objects.count() == 1


# -- over the socket ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_remove_and_flag_over_the_socket(live_session, facilitator, people, two_rooms, enter):
    ben = await enter(people[1], live_session)
    cleo = await enter(people[2], live_session)
    host = await enter(facilitator, live_session)
    try:
        await ben.recv_type("breakout.assigned")
        await cleo.recv_type("breakout.assigned")
        room_id = two_rooms[1].pk
        await cleo.send({"type": "breakout.send", "body": "Hi all", "client_msg_id": "c1"})
        assert (await cleo.recv_type("ack"))["seq"] == 1
        await ben.recv_type("breakout.message")

        await ben.send({"type": "breakout.flag", "room_id": room_id, "seq": 1, "reason": "spam"})
        assert await ben.recv_type("flag.received") == {
            "type": "flag.received",
            "room_id": room_id,
            "seq": 1,
        }
        report = await host.recv_type("report")
        assert report["room_id"] == room_id and report["target_seq"] == 1
        assert "flagger" not in report and people[1].display_name not in str(report)

        await ben.send({"type": "breakout.flag", "room_id": room_id, "seq": 1})
        assert (await ben.recv_type("error"))["detail"] == "Missing field reason."
        await ben.send({"type": "breakout.message.remove", "room_id": room_id, "seq": 1})
        error = await ben.recv_type("error")
        assert error["code"] == "forbidden"
        assert not await db(BreakoutMessage.objects.filter(removed=True).exists)()

        await host.send({"type": "breakout.message.remove", "room_id": room_id, "seq": 1})
        for room in (ben, cleo):
            frame = await room.recv_type("breakout.removed")
            assert frame == {"type": "breakout.removed", "room_id": room_id, "target_seq": 1}
        assert await db(BreakoutMessage.objects.filter(removed=True).count)() == 1
    finally:
        for room in (ben, cleo, host):
            await room.close()


@pytest.mark.django_db
def test_the_review_queue_shows_the_breakout_card_without_the_reporter(
    login, live_session, moderator, people, two_rooms
):
    say(people[2], live_session, "A *flagged* room message")
    breakouts.flag_message(
        actor=people[1], session=live_session, room_id=two_rooms[1].pk, seq=1, reason="spam"
    )
    html = login(moderator).get("/moderation/").content.decode()
    assert f"Breakout room message in {live_session.title} (Room 2)" in html
    assert "<em>flagged</em>" in html
    # A participant's queue is their own reports only: Cleo (reported) sees nothing of it.
    assert "flagged</em>" not in login(people[2]).get("/moderation/").content.decode()


@pytest.mark.django_db
def test_the_queue_still_opens_once_a_flagged_room_message_is_deleted_with_the_session(
    login, live_session, moderator, people, two_rooms
):
    say(people[2], live_session, "Gone at the end")
    breakouts.flag_message(
        actor=people[1], session=live_session, room_id=two_rooms[1].pk, seq=1, reason="spam"
    )
    breakouts.forget_spoken(live_session)  # a session that keeps no transcript, at its end
    assert not BreakoutMessage.objects.exists()
    response = login(moderator).get("/moderation/")
    assert response.status_code == 200
    assert "Gone at the end" not in response.content.decode()


@pytest.mark.django_db
def test_a_resumed_replay_reads_removals_in_a_fixed_number_of_queries(
    django_assert_max_num_queries, live_session, facilitator, people, two_rooms
):
    for n in range(6):
        message = say(people[1 + n % 2], live_session, f"Message {n}")
        if n % 2:
            breakouts.remove_message(
                actor=facilitator, session=live_session, room_id=two_rooms[1].pk, seq=message.seq
            )
    with django_assert_max_num_queries(2):
        frames = breakouts.messages_after(two_rooms[1].pk, 4)
    assert [f["target_seq"] for f in frames if f["type"] == "breakout.removed"] == [2, 4]
    assert [f["seq"] for f in frames if f["type"] == "breakout.message"] == [5, 6]


# -- a facilitator who reconnects sees the open reports again -------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_reconnecting_facilitator_is_sent_the_open_breakout_reports_again(
    live_session, facilitator, member, people, two_rooms, enter
):
    """The console's list of reports is not lost to a dropped connection: the main room's and
    the open breakout rooms' both come back with the hello (reporter never named)."""
    from realtime import selectors

    def seed():
        message = say(people[2], live_session, "Something hurtful")
        breakouts.flag_message(
            actor=people[1],
            session=live_session,
            room_id=two_rooms[1].pk,
            seq=message.seq,
            reason="personal attack",
        )
        # A second report on the same message is one line, not two.
        breakouts.flag_message(
            actor=facilitator,
            session=live_session,
            room_id=two_rooms[1].pk,
            seq=message.seq,
            reason="spam",
        )
        services.send_live_message(
            actor=member, session=live_session, body="Main room", client_msg_id="m"
        )
        services.flag_event(actor=people[0], session=live_session, seq=2, reason="spam")

    await db(seed)()
    console = await enter(facilitator, live_session)
    reports = []
    while len(reports) < 2:
        reports.append(await console.recv_type("report"))
    assert {"type": "report", "target_seq": 2, "reason": "Spam"} in reports
    assert {
        "type": "report",
        "room_id": two_rooms[1].pk,
        "target_seq": 1,
        "reason": "Personal attack",
    } in reports
    assert "Ben" not in str(reports)
    await console.close()
    # A closed round's rooms are gone from the console: their reports stay in the queue only.
    await db(breakouts.close_breakouts)(actor=facilitator, session=live_session)
    frames = await db(selectors.open_reports)(live_session.pk)
    assert frames == [{"type": "report", "target_seq": 2, "reason": "Spam"}]


@pytest.mark.django_db
def test_open_reports_take_a_constant_number_of_queries(
    live_session, facilitator, people, two_rooms, django_assert_max_num_queries
):
    from realtime import selectors

    ben, cleo = people[1], people[2]
    for number in range(6):
        author, flagger = (ben, cleo) if number % 2 else (cleo, ben)
        message = say(author, live_session, f"Message {number}")
        breakouts.flag_message(
            actor=flagger,
            session=live_session,
            room_id=two_rooms[1].pk,
            seq=message.seq,
            reason="spam",
        )
    with django_assert_max_num_queries(3):
        frames = selectors.open_reports(live_session.pk)
    assert len(frames) == 6 and all(f["room_id"] == two_rooms[1].pk for f in frames)
