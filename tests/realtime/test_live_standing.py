"""One mute, unmute, ban, removal and suspension for the whole forum: the live console calls
community.sanctions, and any sanction (the review queue's too) reaches the member's open live
sockets through community.signals.standing_changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from community import sanctions
from community.models import AuditEntry, Membership
from realtime import services
from realtime.models import ParticipantRemoval
from realtime.policy import LiveRefusal
from tests.conftest import make_member

from .conftest import make_session

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def later(**delta):
    return timezone.now() + timedelta(**delta)


async def closed_with(room) -> int:
    return (await room.comm.receive_output(2))["code"]


# -- any sanction reaches the open sockets ----------------------------------------------------


async def test_member_muted_over_http_while_connected_is_told_in_the_room(
    login, live_session, member, moderator, enter
):
    room = await enter(member, live_session)
    try:
        until = timezone.localtime() + timedelta(days=1)
        url = reverse("moderation_member", args=[live_session.space.slug, member.pk, "mute"])
        response = await db(
            lambda: login(moderator).post(
                url, {"until": until.strftime("%Y-%m-%dT%H:%M"), "reason": "Tone"}
            )
        )()
        assert response.status_code == 302, response.content.decode()[:500]
        notice = await room.recv_type("notice")
        assert notice["code"] == "muted" and notice["until"]
        assert "A moderator muted you" in notice["detail"] and "Tone" in notice["detail"]
        await room.send({"type": "message.send", "body": "still here?", "client_msg_id": "m1"})
        assert (await room.recv_type("error"))["code"] == "muted"
    finally:
        await room.close()


async def test_mute_and_unmute_through_sanctions_are_notices(
    live_session, member, moderator, enter
):
    room = await enter(member, live_session)
    try:
        space = live_session.space
        await db(sanctions.mute_member)(
            actor=moderator, space=space, member=member, until=later(minutes=30), reason="Tone"
        )
        muted = await room.recv_type("notice")
        assert muted["code"] == "muted"
        assert muted["detail"] == "A moderator muted you for 30 minutes: Tone"
        await db(sanctions.unmute_member)(actor=moderator, space=space, member=member)
        unmuted = await room.recv_type("notice")
        assert unmuted == {
            "type": "notice",
            "code": "unmuted",
            "detail": "You can take part again.",
        }
        await room.send({"type": "ping"})
        assert (await room.recv_type("pong"))["type"] == "pong"
    finally:
        await room.close()


@pytest.mark.parametrize(
    ("sanction", "says"),
    [
        ("ban", "You have been banned from"),
        ("remove", "A moderator removed you from"),
        ("suspend", "Your account is suspended until"),
    ],
)
async def test_ban_removal_or_suspension_closes_the_live_socket_saying_why(
    live_session, member, moderator, staff, enter, sanction, says
):
    room = await enter(member, live_session)
    space = live_session.space
    if sanction == "ban":
        await db(sanctions.ban_member)(actor=moderator, space=space, member=member, reason="Abuse")
    elif sanction == "remove":
        await db(sanctions.remove_member)(
            actor=moderator, space=space, member=member, reason="Abuse"
        )
    else:
        await db(sanctions.suspend_member)(
            actor=staff, member=member, until=later(days=2), reason="Abuse"
        )
    error = await room.recv_type("error")
    assert error["code"] == "forbidden" and error["client_msg_id"] is None
    assert error["detail"].startswith(says) and error["detail"].endswith("Abuse")
    assert await closed_with(room) == 4403


async def test_suspension_closes_sockets_in_every_space(
    space, other_space, live_session, member, staff, enter
):
    await db(Membership.objects.create)(user=member, space=other_space)
    elsewhere = await db(make_session)(other_space, title="Elsewhere")
    here = await enter(member, live_session)
    there = await enter(member, elsewhere)
    await db(sanctions.suspend_member)(
        actor=staff, member=member, until=later(days=2), reason="Abuse"
    )
    for room in (here, there):
        assert (await room.recv_type("error"))["code"] == "forbidden"
        assert await closed_with(room) == 4403


async def test_a_ban_in_another_space_leaves_the_room_alone(
    space, other_space, live_session, member, enter
):
    other_mod = await db(make_member)(other_space, "Omar Othermod", is_moderator=True)
    await db(Membership.objects.create)(user=member, space=other_space)
    room = await enter(member, live_session)
    try:
        await db(sanctions.ban_member)(
            actor=other_mod, space=other_space, member=member, reason="Elsewhere"
        )
        assert await room.silent()
        await room.send({"type": "ping"})
        assert (await room.recv_type("pong"))["type"] == "pong"
    finally:
        await room.close()


# -- the live console uses the same sanctions ---------------------------------------------------


async def test_console_mute_is_the_one_mute_and_audits_member_mute(
    live_session, member, facilitator, enter
):
    host = await enter(facilitator, live_session)
    guest = await enter(member, live_session)
    try:
        await host.send(
            {"type": "participant.mute", "user_id": member.pk, "minutes": 15, "reason": "Tone"}
        )
        notice = await guest.recv_type("notice")
        assert notice["detail"] == "A facilitator muted you for 15 minutes: Tone"
        membership = await db(Membership.objects.get)(user=member, space=live_session.space)
        assert membership.is_muted and membership.mute_reason == "Tone"
        entry = await db(AuditEntry.objects.get)()
        assert entry.action == "member.mute" and entry.actor_id == facilitator.pk
        await host.send({"type": "participant.unmute", "user_id": member.pk})
        assert (await guest.recv_type("notice"))["code"] == "unmuted"
        actions = await db(lambda: list(AuditEntry.objects.values_list("action", flat=True)))()
        assert sorted(actions) == ["member.mute", "member.unmute"]
    finally:
        await host.close()
        await guest.close()


async def test_console_mute_without_a_reason_is_refused_and_nothing_changes(
    live_session, member, facilitator, enter
):
    """The rule that won: every mute tells the member why (the console used to allow none)."""
    host = await enter(facilitator, live_session)
    try:
        await host.send({"type": "participant.mute", "user_id": member.pk, "minutes": 15})
        error = await host.recv_type("error")
        assert error["code"] == "invalid" and "reason" in error["detail"].lower()
        membership = await db(Membership.objects.get)(user=member, space=live_session.space)
        assert not membership.is_muted
        assert not await db(AuditEntry.objects.exists)()
    finally:
        await host.close()


def test_moderator_in_the_console_may_mute_a_facilitator(live_session, facilitator, moderator):
    """The rule that won: the review queue let moderators mute facilitators and the console did
    not; now both follow community.policy.check_sanction."""
    assert services.mute_participant(
        actor=moderator, session=live_session, user_id=facilitator.pk, minutes=10, reason="Tone"
    )
    assert Membership.objects.get(user=facilitator, space=live_session.space).is_muted


@pytest.mark.parametrize("target", ["self", "staff", "space facilitator", "session facilitator"])
def test_facilitator_cannot_mute_or_remove_the_protected(
    space, live_session, facilitator, staff, target
):
    if target == "self":
        user = facilitator
    elif target == "staff":
        user = staff
        Membership.objects.create(user=staff, space=space)
    elif target == "space facilitator":
        user = make_member(space, "Fola Second", is_facilitator=True)
    else:
        user = make_member(space, "Sol Session")
        live_session.facilitators.add(user)
    for call in (services.mute_participant, services.remove_participant):
        with pytest.raises(LiveRefusal) as refused:
            call(actor=facilitator, session=live_session, user_id=user.pk, reason="Tone")
        assert refused.value.code == "forbidden" and refused.value.detail
    assert not Membership.objects.get(user=user, space=space).is_muted
    assert not ParticipantRemoval.objects.exists() and not AuditEntry.objects.exists()


def test_removing_a_participant_audits_the_live_removal(live_session, member, facilitator):
    assert services.remove_participant(
        actor=facilitator, session=live_session, user_id=member.pk, reason="Breach"
    )
    entry = AuditEntry.objects.get()
    assert entry.action == "live.participant.remove" and entry.reason == "Breach"
    assert entry.target_id == member.pk
    assert not services.remove_participant(
        actor=facilitator, session=live_session, user_id=member.pk, reason="Breach"
    )
    assert AuditEntry.objects.count() == 1


def test_facilitator_removes_a_message_with_the_audit_vocabulary(live_session, member, facilitator):
    services.send_live_message(actor=member, session=live_session, body="x", client_msg_id="a")
    assert services.remove_message(actor=facilitator, session=live_session, seq=1, reason="Off")
    entry = AuditEntry.objects.get()
    assert entry.action == "live.message.remove" and entry.reason == "Off"
    assert entry.target_label == f"Live message #1 in “{live_session.title}”"
