"""The live message as a moderatable kind: flags from the room, the review queue's removal, the
automatic removal at the flag threshold, and watched words on live messages."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.http import Http404

from community.models import AuditEntry
from moderation import registry
from moderation import services as moderation_services
from moderation.models import Flag, WatchedWord
from realtime import services
from realtime.kinds import LiveMessageKind
from realtime.models import LiveEvent
from threads.models import Notification

pytestmark = pytest.mark.django_db

db = database_sync_to_async


def say(member, session, body="Something said in the room", cid="m1", **extra):
    event, _ = services.send_live_message(
        actor=member, session=session, body=body, client_msg_id=cid, **extra
    )
    return event


def test_live_message_kind_is_registered_and_describes_the_message(live_session, member):
    event = say(member, live_session)
    kind = registry.kind_of(event)
    assert isinstance(kind, LiveMessageKind) and kind.name == "live_message"
    assert registry.kind_named("live_message") is kind
    assert kind.describe(event) == f"Live message #1 in “{live_session.title}”"
    assert event.audit_label() == kind.describe(event)
    assert kind.space_of(event) == live_session.space and kind.author_of(event) == member
    assert list(kind.actions) == ["hide", "reveal"] and kind.actions["hide"].form == "reason"
    loaded = kind.load(event.pk)
    assert loaded == event and loaded.session.space == live_session.space


def test_state_events_are_not_live_messages(live_session, facilitator):
    services.lock_chat(actor=facilitator, session=live_session)
    state = LiveEvent.objects.get(session=live_session, kind=LiveEvent.Kind.STATE)
    kind = registry.kind_named("live_message")
    assert kind.load(state.pk) is None
    with pytest.raises(Http404):
        kind.check_flaggable_by(facilitator, state)


@pytest.mark.parametrize("who", ["outsider", "pending_member", "banned_member"])
def test_only_readers_of_the_space_may_flag_a_live_message(request, live_session, member, who):
    event = say(member, live_session)
    kind = registry.kind_of(event)
    with pytest.raises(Http404):
        kind.check_flaggable_by(request.getfixturevalue(who), event)
    with pytest.raises(Http404):
        moderation_services.flag_item(
            actor=request.getfixturevalue(who), target=event, reason="spam"
        )
    assert not Flag.objects.exists()


def test_moderator_removes_a_flagged_message_through_the_kind(
    live_session, member, other_member, moderator, django_capture_on_commit_callbacks
):
    event = say(member, live_session)
    moderation_services.flag_item(actor=other_member, target=event, reason="spam")
    kind = registry.kind_of(event)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert kind.perform(actor=moderator, item=event, action="hide", data={"reason": "Spam"})
    event.refresh_from_db()
    assert event.removed and kind.is_hidden(event) and not kind.is_autohidden(event)
    removal = LiveEvent.objects.get(session=live_session, kind=LiveEvent.Kind.REMOVED)
    assert removal.target_seq == event.seq
    assert callbacks, "the room is told after commit"
    assert Flag.objects.get().status == Flag.Status.UPHELD
    entry = AuditEntry.objects.get(action="live.hide")
    assert entry.actor == moderator and entry.reason == "Spam"
    assert entry.target_label == f"Live message #1 in “{live_session.title}”"
    told = Notification.objects.get(recipient=member)
    assert told.text == f"Your message in “{live_session.title}” was removed by a moderator: Spam"
    # Again: nothing more happens.
    assert not kind.hide(actor=moderator, item=event, reason="Spam")
    assert AuditEntry.objects.filter(action="live.hide").count() == 1


@pytest.mark.parametrize(
    ("who", "error"),
    [("other_member", PermissionDenied), ("facilitator", PermissionDenied), ("outsider", Http404)],
)
def test_only_moderators_remove_through_the_queue_and_a_refusal_changes_nothing(
    request, live_session, member, who, error
):
    event = say(member, live_session)
    kind = registry.kind_of(event)
    with pytest.raises(error):
        kind.hide(actor=request.getfixturevalue(who), item=event, reason="Spam")
    event.refresh_from_db()
    assert not event.removed
    assert LiveEvent.objects.filter(session=live_session).count() == 1
    assert not AuditEntry.objects.exists()


def test_removal_needs_a_reason(live_session, member, moderator):
    from django.core.exceptions import ValidationError

    event = say(member, live_session)
    with pytest.raises(ValidationError, match="reason"):
        registry.kind_of(event).hide(actor=moderator, item=event, reason="  ")
    event.refresh_from_db()
    assert not event.removed and not AuditEntry.objects.exists()


def test_enough_flags_remove_the_message_automatically_and_keep_the_flags_open(
    space, live_session, member, other_member, facilitator
):
    space.autohide_threshold = 2
    space.save()
    event = say(member, live_session)
    moderation_services.flag_item(actor=other_member, target=event, reason="spam")
    event.refresh_from_db()
    assert not event.removed
    moderation_services.flag_item(actor=facilitator, target=event, reason="personal_attack")
    event.refresh_from_db()
    assert event.removed
    assert LiveEvent.objects.filter(kind=LiveEvent.Kind.REMOVED, target_seq=event.seq).exists()
    entry = AuditEntry.objects.get(action="live.autohide")
    assert entry.actor is None
    assert Flag.objects.open().count() == 2, "a moderator still reviews them"
    assert Notification.objects.filter(
        recipient=member, text__contains="was hidden after members flagged it"
    ).exists()


def test_dismissing_flags_on_a_removed_message_leaves_it_removed(
    space, live_session, member, other_member, facilitator, moderator
):
    space.autohide_threshold = 1
    space.save()
    event = say(member, live_session)
    moderation_services.flag_item(actor=other_member, target=event, reason="spam")
    assert moderation_services.dismiss_flags(actor=moderator, target=event)
    event.refresh_from_db()
    assert event.removed
    assert not Flag.objects.open().exists()
    assert registry.kind_of(event).restore(actor=moderator, item=event) is False


def test_review_queue_shows_the_live_message_card(
    login, live_session, member, other_member, moderator
):
    event = say(member, live_session, body="A *flagged* message")
    moderation_services.flag_item(actor=other_member, target=event, reason="spam")
    html = login(moderator).get("/moderation/").content.decode()
    assert f"Live message in {live_session.title}" in html
    assert "<em>flagged</em>" in html
    assert f"/moderation/live_message/{event.pk}/hide/" in html
    assert f"/moderation/live_message/{event.pk}/dismiss/" in html
    assert "Remove message" in html and "No action needed" in html


def test_moderator_removes_from_the_queue_page(
    login, live_session, member, other_member, moderator
):
    event = say(member, live_session)
    moderation_services.flag_item(actor=other_member, target=event, reason="spam")
    client = login(moderator)
    form = client.get(f"/moderation/live_message/{event.pk}/hide/")
    assert form.status_code == 200
    response = client.post(f"/moderation/live_message/{event.pk}/hide/", {"reason": "Spam link"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.removed
    assert AuditEntry.objects.filter(action="live.hide", reason="Spam link").exists()


# -- flags from the room ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason", "details"),
    [
        ("spam", "spam", ""),
        ("Personal attack", "personal_attack", ""),
        ("He named a patient", "other", "He named a patient"),
    ],
)
def test_flag_from_the_room_maps_its_reason(
    live_session, member, other_member, text, reason, details
):
    say(other_member, live_session)
    services.flag_event(actor=member, session=live_session, seq=1, reason=text)
    flag = Flag.objects.get()
    assert (flag.kind, flag.reason, flag.details) == ("live_message", reason, details)
    assert flag.flagger == member and flag.target_user == other_member


@pytest.mark.django_db(transaction=True)
async def test_flag_over_the_socket_is_received_and_a_second_is_refused(
    live_session, member, other_member, enter
):
    await db(say)(other_member, live_session, body="theirs", cid="t")
    room = await enter(member, live_session)
    try:
        await room.send({"type": "flag", "seq": 1, "reason": "personal attack"})
        assert await room.recv_type("flag.received") == {"type": "flag.received", "seq": 1}
        await room.send({"type": "flag", "seq": 1, "reason": "spam"})
        error = await room.recv_type("error")
        assert error["code"] == "invalid" and "already flagged" in error["detail"]
        assert await db(Flag.objects.count)() == 1
    finally:
        await room.close()


@pytest.mark.django_db(transaction=True)
async def test_flagging_a_removed_message_is_refused_and_the_connection_stays(
    live_session, member, other_member, facilitator, enter
):
    def seed():
        say(other_member, live_session, body="theirs", cid="t")
        services.remove_message(actor=facilitator, session=live_session, seq=1)

    await db(seed)()
    room = await enter(member, live_session)
    try:
        await room.send({"type": "flag", "seq": 1, "reason": "spam"})
        error = await room.recv_type("error")
        assert error["code"] == "invalid" and error["detail"]
        assert not await db(Flag.objects.exists)()
        await room.send({"type": "ping"})
        assert (await room.recv_type("pong"))["type"] == "pong"
    finally:
        await room.close()


@pytest.mark.django_db(transaction=True)
async def test_muted_member_cannot_flag(live_session, member, muted_member, enter):
    await db(say)(member, live_session, body="mine", cid="t")
    room = await enter(muted_member, live_session)
    try:
        await room.send({"type": "flag", "seq": 1, "reason": "spam"})
        error = await room.recv_type("error")
        assert error["code"] == "forbidden" and "muted" in error["detail"]
        assert not await db(Flag.objects.exists)()
    finally:
        await room.close()


# -- watched words ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_blocked_word_refuses_the_message_and_stores_nothing(
    space, live_session, member, enter
):
    await db(WatchedWord.objects.create)(space=space, word="forbiddenword", action="block")
    room = await enter(member, live_session)
    try:
        await room.send(
            {"type": "message.send", "body": "a forbiddenword here", "client_msg_id": "w1"}
        )
        error = await room.recv_type("error")
        assert error["code"] == "forbidden" and "forbiddenword" in error["detail"]
        assert error["client_msg_id"] == "w1"
        assert not await db(LiveEvent.objects.exists)()
    finally:
        await room.close()


def test_flag_word_stores_the_message_and_raises_an_automatic_flag(space, live_session, member):
    WatchedWord.objects.create(space=space, word="watchme", action="flag")
    event = say(member, live_session, body="Please watchme now")
    flag = Flag.objects.get()
    assert flag.flagger is None and flag.target_id == event.pk and flag.kind == "live_message"
    assert flag.details == "Contains a watched word." and flag.target_user == member
    assert not event.removed


def test_moderators_are_not_held_by_watched_words(space, live_session, moderator):
    WatchedWord.objects.create(space=space, word="forbiddenword", action="block")
    say(moderator, live_session, body="quoting forbiddenword to explain the rule")
    assert LiveEvent.objects.filter(kind=LiveEvent.Kind.MESSAGE).count() == 1


@pytest.mark.django_db(transaction=True)
async def test_a_reason_longer_than_the_flag_form_takes_is_refused_not_cut_short(
    live_session, member, other_member, enter
):
    """The main room's rule is the breakout rooms' and the flag form's: 1,000 characters."""
    await db(say)(other_member, live_session, body="theirs", cid="t")
    room = await enter(member, live_session)
    try:
        await room.send({"type": "flag", "seq": 1, "reason": "x" * 1001})
        error = await room.recv_type("error")
        assert error["code"] == "too_long" and "1,000" in error["detail"]
        assert not await db(Flag.objects.exists)()
        await room.send({"type": "flag", "seq": 1, "reason": "y" * 1000})
        assert (await room.recv_type("flag.received"))["seq"] == 1
        flag = await db(Flag.objects.get)()
        assert flag.details == "y" * 1000
    finally:
        await room.close()
