"""Breakout rooms: the facilitator splits the participants present into small text rooms for a
set time (docs/architecture.md "Breakout rooms" has the frames).

The rules are the main room's: every command reads the member's standing again; a message is
stored (in its room's own gap-free ``seq``, the room row locked) before it is broadcast after
commit to that room's group only; a resend with the same ``client_msg_id`` is stored once; a
reconnecting client gets its room's events after its room cursor. The room's lock, slow mode and
rate limit apply in breakout rooms too, and a mute silences a member there as everywhere.

Who reads a room's stream: the members placed in it, and those who may visit any room (the
session's facilitators, the space's facilitators, moderators and staff). Nobody else is ever
added to a room's group or sent its frames, live or replayed.

The transcript does not keep breakout streams: a room of three or four is too small for words to
stay unattributable, so they serve only the room while it is open (and then nothing replays
them). The rows stay for the transcript's retention, so the space's moderators can act on
what was said, and are deleted with it (``purge``), at once when the session keeps no
transcript (``forget_spoken``), and in an erasure that removes the member's words.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from community import audit, notices, sanctions
from community import policy as community_policy
from community.models import AuditAction, User
from community.rendering import render_markdown, rendered_first
from moderation import policy as moderation_policy
from moderation import screening
from moderation import services as moderation_services
from moderation.models import FlagReason

from . import policy, selectors, services
from .broadcast import (
    breakout_group,
    broadcast_on_commit,
    encode,
    facilitators_group,
    member_group,
    session_group,
)
from .models import (
    BreakoutMember,
    BreakoutMessage,
    BreakoutRoom,
    BreakoutRound,
    LiveEvent,
    LiveSession,
)
from .policy import LiveRefusal

MAX_ROOMS = 20
MAX_MINUTES = 120
# Two calls from one room within this many seconds notify the facilitators once.
CALL_COOLDOWN_SECONDS = 30
RETURN_NOTICE = "The breakout rooms have closed: everyone is back in the main room."
REPLAY_MAX = 1000

logger = logging.getLogger(__name__)


def minute_seconds() -> int:
    """How long a breakout "minute" lasts: 60, shorter only through the setting (tests)."""
    return int(getattr(settings, "LIVE_BREAKOUT_MINUTE_SECONDS", 60))


# -- who may do what -------------------------------------------------------------------------


def can_visit(user, session: LiveSession) -> bool:
    """Who may see and post in any room of the session: its facilitators, the space's
    facilitators and moderators, staff."""
    return policy.can_use_backchannel(user, session)


def open_round(session: LiveSession | int) -> BreakoutRound | None:
    pk = session.pk if isinstance(session, LiveSession) else session
    return BreakoutRound.objects.filter(session_id=pk, closed_at__isnull=True).first()


def placement(round_: BreakoutRound, user) -> BreakoutMember | None:
    return BreakoutMember.objects.filter(round=round_, user=user).select_related("room").first()


def readable_room(user, session: LiveSession, round_: BreakoutRound, room_id) -> BreakoutRoom:
    """The room ``room_id`` of the open round if ``user`` may read it (placed in it, or
    :func:`can_visit`); the one rule for sending, replaying and visiting."""
    if isinstance(room_id, bool) or not isinstance(room_id, int):
        raise LiveRefusal("invalid", "room_id must be the number of a breakout room.")
    room = BreakoutRoom.objects.filter(round=round_, pk=room_id).first()
    if room is None:
        raise LiveRefusal("invalid", "There is no such breakout room open in this session.")
    if can_visit(user, session):
        return room
    if not BreakoutMember.objects.filter(room=room, user=user).exists():
        raise LiveRefusal("forbidden", "You are not in that breakout room.")
    return room


# -- frames ----------------------------------------------------------------------------------


def message_frame(message: BreakoutMessage, *, attributed: bool = True) -> dict:
    show = attributed and message.author_id is not None and not message.removed
    frame = {
        "type": "breakout.message",
        "room_id": message.room_id,
        "seq": message.seq,
        "author": selectors.person(message.author) if show else None,
        "body_html": "" if message.removed else message.body_html,
        "client_msg_id": message.client_msg_id,
        "created": message.created.isoformat(),
    }
    if message.removed:
        frame["removed"] = True
    return frame


def messages_after(room_id: int, after_seq: int, *, until_seq: int | None = None) -> list[dict]:
    qs = (
        BreakoutMessage.objects.filter(room_id=room_id, seq__gt=after_seq)
        .select_related("author")
        .order_by("seq")
    )
    if until_seq is not None:
        qs = qs.filter(seq__lte=until_seq)
    frames = [message_frame(message) for message in qs[:REPLAY_MAX]]
    if until_seq is None and after_seq > 0:
        # A reconnecting client may hold messages removed while it was away: it drops their
        # bodies (a removal frame is idempotent).
        removed = BreakoutMessage.objects.filter(room_id=room_id, seq__lte=after_seq, removed=True)
        frames += [removed_frame(room_id, seq) for seq in removed.values_list("seq", flat=True)]
    return frames


def removed_frame(room_id: int, seq: int) -> dict:
    return {"type": "breakout.removed", "room_id": room_id, "target_seq": seq}


def room_people(room: BreakoutRoom) -> list[dict]:
    return [
        selectors.person(m.user)
        for m in room.members.select_related("user").order_by("user__display_name", "user_id")
    ]


def hands_frame(room: BreakoutRoom) -> dict:
    raised = (
        room.members.filter(hand_raised_at__isnull=False)
        .select_related("user")
        .order_by("hand_raised_at", "pk")
    )
    return {
        "type": "breakout.hands",
        "room_id": room.pk,
        "hands": [
            {**selectors.person(m.user), "raised_at": m.hand_raised_at.isoformat()} for m in raised
        ],
    }


def assigned_frame(round_: BreakoutRound, room: BreakoutRoom) -> dict:
    """For a member: the room they are in, who else is, and when it closes."""
    return {
        "type": "breakout.assigned",
        "round_id": round_.pk,
        "room_id": room.pk,
        "name": room.name,
        "ends_at": round_.ends_at.isoformat(),
        "members": room_people(room),
        "last_seq": room.last_seq,
    }


def rooms_frame(session_id: int) -> dict:
    """For those who may visit: every room of the open round, who is in it, and whether it
    called for a facilitator (no round open: ``rooms`` empty). Three queries."""
    round_ = open_round(session_id)
    if round_ is None:
        return {"type": "breakout.rooms", "round_id": None, "rooms": [], "ends_at": None}
    rooms = list(round_.rooms.order_by("number"))
    people: dict[int, list[dict]] = {room.pk: [] for room in rooms}
    for m in round_.members.select_related("user").order_by("user__display_name", "user_id"):
        people[m.room_id].append(selectors.person(m.user))
    return {
        "type": "breakout.rooms",
        "round_id": round_.pk,
        "ends_at": round_.ends_at.isoformat(),
        "rooms": [
            {
                "id": room.pk,
                "name": room.name,
                "members": people[room.pk],
                "last_seq": room.last_seq,
                "called_at": room.called_at.isoformat() if room.called_at else None,
            }
            for room in rooms
        ],
    }


def _push_rooms(session: LiveSession) -> None:
    transaction.on_commit(
        lambda: _send(
            facilitators_group(session.pk),
            {"type": "live.push", "text": encode(rooms_frame(session.pk))},
        )
    )


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the record is in the database; clients catch up by their room cursor
        logger.exception("Breakout broadcast to %s failed", group)


def _on_commit(group: str, message: dict) -> None:
    transaction.on_commit(lambda: _send(group, message))


def _room_event(session_id: int, room: BreakoutRoom, frame: dict) -> None:
    """A stored room event, to that room's group only, on the consumers' ordered path."""
    _on_commit(
        breakout_group(session_id, room.pk),
        {"type": "breakout.event", "room_id": room.pk, "seq": frame["seq"], "text": encode(frame)},
    )


def _room_push(session_id: int, room: BreakoutRoom, frame: dict) -> None:
    _on_commit(
        breakout_group(session_id, room.pk),
        {"type": "breakout.push", "room_id": room.pk, "text": encode(frame)},
    )


# -- opening -------------------------------------------------------------------------------


def _clean_minutes(duration_minutes) -> int:
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not 1 <= duration_minutes <= MAX_MINUTES
    ):
        raise LiveRefusal(
            "invalid", f"duration_minutes must be a whole number from 1 to {MAX_MINUTES}."
        )
    return duration_minutes


def present_participants(session: LiveSession) -> list[int]:
    """The members in the room now who do not facilitate it, by id (two queries)."""
    people = selectors.present(session.pk)
    leading = {p["id"] for p in selectors.present_facilitators(session.pk, people)}
    return [p["id"] for p in people if p["id"] not in leading]


def _split(rooms, present: list[int]) -> list[list[int]]:
    """The groups ``rooms`` asks for: a number (random, as even as can be) or the lists."""
    if isinstance(rooms, int) and not isinstance(rooms, bool):
        if rooms < 2:
            raise LiveRefusal("invalid", "Open at least 2 breakout rooms.")
        if rooms > MAX_ROOMS:
            raise LiveRefusal("invalid", f"Open at most {MAX_ROOMS} breakout rooms.")
        if rooms > len(present):
            raise LiveRefusal(
                "invalid",
                f"{rooms} rooms need at least {rooms} participants here; "
                f"{len(present)} {'is' if len(present) == 1 else 'are'} here now.",
            )
        shuffled = list(present)
        random.SystemRandom().shuffle(shuffled)
        return [shuffled[i::rooms] for i in range(rooms)]
    if not isinstance(rooms, list) or not all(
        isinstance(group, list)
        and group
        and all(isinstance(uid, int) and not isinstance(uid, bool) for uid in group)
        for group in rooms
    ):
        raise LiveRefusal(
            "invalid",
            "rooms must be a number of rooms, or a list of rooms, each a list of member ids.",
        )
    if len(rooms) < 2:
        raise LiveRefusal("invalid", "Open at least 2 breakout rooms.")
    if len(rooms) > MAX_ROOMS:
        raise LiveRefusal("invalid", f"Open at most {MAX_ROOMS} breakout rooms.")
    chosen = [uid for group in rooms for uid in group]
    if len(set(chosen)) != len(chosen):
        raise LiveRefusal("invalid", "Put each member in one room only.")
    here = set(present)
    if any(uid not in here for uid in chosen):
        raise LiveRefusal(
            "invalid", "Choose only participants who are here now (not facilitators)."
        )
    return rooms


def open_breakouts(
    *, actor: User, session: LiveSession, rooms, duration_minutes, client_msg_id
) -> tuple[BreakoutRound, bool]:
    """Split the participants present into rooms for ``duration_minutes``; a resend with the
    same ``client_msg_id`` returns the round already opened."""
    client_msg_id = services._clean_client_msg_id(client_msg_id)
    with transaction.atomic():
        session = services._locked(session)
        existing = BreakoutRound.objects.filter(
            session=session, client_msg_id=client_msg_id
        ).first()
        if existing is not None:
            if existing.opened_by_id != actor.pk:
                raise LiveRefusal("invalid", "This client_msg_id is already taken; use a new one.")
            return existing, False
        services._check_facilitator(actor, session)
        if session.status != LiveSession.Status.LIVE:
            raise LiveRefusal("not_live", "Breakout rooms can be opened once the session is live.")
        _close_if_due(session)
        if open_round(session) is not None:
            raise LiveRefusal("invalid", "Breakout rooms are already open: close them first.")
        minutes = _clean_minutes(duration_minutes)
        groups = _split(rooms, present_participants(session))
        now = timezone.now()
        round_ = BreakoutRound.objects.create(
            session=session,
            opened_by=actor,
            client_msg_id=client_msg_id,
            opened_at=now,
            ends_at=now + timedelta(seconds=minutes * minute_seconds()),
        )
        made = []
        for number, group in enumerate(groups, start=1):
            room = BreakoutRoom.objects.create(round=round_, number=number)
            BreakoutMember.objects.bulk_create(
                BreakoutMember(round=round_, room=room, user_id=uid) for uid in group
            )
            made.append((room, group))
        event = services._append(
            session,
            kind=LiveEvent.Kind.BREAKOUT_OPEN,
            author=actor,
            data={
                "round_id": round_.pk,
                "rooms": [{"id": room.pk, "name": room.name} for room, _ in made],
                "ends_at": round_.ends_at.isoformat(),
                "duration_minutes": minutes,
            },
        )
        round_.open_seq = event.seq
        round_.save(update_fields=["open_seq"])
        session.breakouts_open = True
        session.save(update_fields=["breakouts_open"])
        for room, group in made:
            frame = encode(assigned_frame(round_, room))
            for uid in group:
                # Each of the member's sockets joins the room's group, then reads its stream.
                _on_commit(
                    member_group(session.pk, uid),
                    {"type": "breakout.join", "room_id": room.pk, "text": frame},
                )
        _push_rooms(session)
        return round_, True


# -- closing -------------------------------------------------------------------------------


def _close(session: LiveSession, round_: BreakoutRound, reason: str) -> LiveEvent:
    """Close ``round_`` (call holding the session row): everyone back in the main room, told
    by a stored event of the main stream; every socket leaves the round's room groups."""
    round_.closed_at = timezone.now()
    BreakoutMember.objects.filter(round=round_).update(hand_raised_at=None)
    event = services._append(
        session,
        kind=LiveEvent.Kind.BREAKOUT_CLOSE,
        data={"round_id": round_.pk, "reason": reason, "detail": RETURN_NOTICE},
    )
    round_.close_seq = event.seq
    round_.save(update_fields=["closed_at", "close_seq"])
    session.breakouts_open = False
    session.save(update_fields=["breakouts_open"])
    _on_commit(session_group(session.pk), {"type": "breakout.leave", "round_id": round_.pk})
    _push_rooms(session)
    return event


def _close_if_due(session: LiveSession) -> bool:
    round_ = open_round(session)
    if round_ is None or round_.ends_at > timezone.now():
        return False
    _close(session, round_, "time")
    return True


def close_if_due(session_id: int) -> bool:
    """Time is up: close the open round (any socket's timer calls this; idempotent)."""
    if not BreakoutRound.objects.filter(
        session_id=session_id, closed_at__isnull=True, ends_at__lte=timezone.now()
    ).exists():
        return False
    with transaction.atomic():
        return _close_if_due(services._locked(session_id))


def close_open(session: LiveSession, reason: str) -> bool:
    """Close the open round, if any (call holding the session row: the session's end)."""
    round_ = open_round(session)
    if round_ is None:
        return False
    _close(session, round_, reason)
    return True


@transaction.atomic
def close_breakouts(*, actor: User, session: LiveSession) -> bool:
    session = services._locked(session)
    services._check_facilitator(actor, session)
    round_ = open_round(session)
    if round_ is None:
        raise LiveRefusal("invalid", "No breakout rooms are open.")
    _close(session, round_, "time" if round_.ends_at <= timezone.now() else "facilitator")
    return True


# -- in a room -----------------------------------------------------------------------------


def _room_for(actor: User, session: LiveSession, room_id) -> tuple[BreakoutRound, BreakoutRoom]:
    """The open round and the room a command of ``actor`` is about: ``room_id``, or (None)
    the room they were placed in."""
    _close_if_due(session)
    round_ = open_round(session)
    if round_ is None:
        raise LiveRefusal("not_live", "No breakout rooms are open: you are in the main room.")
    if room_id is None:
        placed = placement(round_, actor)
        if placed is None:
            raise LiveRefusal("invalid", "You are not in a breakout room.")
        return round_, placed.room
    return round_, readable_room(actor, session, round_, room_id)


def _check_pace(actor: User, session: LiveSession, round_: BreakoutRound, *, facilitating: bool):
    """The room's rate limit and slow mode, counted over this round's rooms."""
    mine = BreakoutMessage.objects.filter(room__round=round_, author=actor)
    services.check_pace_of(mine, session, facilitating=facilitating, newest="-created")


@rendered_first("body")
def send_message(
    *, actor: User, session: LiveSession, body, client_msg_id, room_id=None
) -> tuple[BreakoutMessage, bool]:
    """Store a message in a breakout room (the actor's own, or ``room_id`` for a visitor)."""
    client_msg_id = services._clean_client_msg_id(client_msg_id)
    with transaction.atomic():
        session = services._locked(session)
        round_, room = _room_for(actor, session, room_id)
        room = BreakoutRoom.objects.select_for_update().get(pk=room.pk)
        existing = BreakoutMessage.objects.filter(room=room, client_msg_id=client_msg_id).first()
        if existing is not None:
            if existing.author_id != actor.pk:
                raise LiveRefusal("invalid", "This client_msg_id is already taken; use a new one.")
            return existing, False
        facilitating = policy.check_speak(actor, session)
        community_policy.check_guidelines_accepted(actor, session.space)
        body = services._clean_body(body)
        _check_pace(actor, session, round_, facilitating=facilitating)
        outcome = services._screen(actor, session, body)
        room.last_seq += 1
        BreakoutRoom.objects.filter(pk=room.pk).update(last_seq=room.last_seq)
        message = BreakoutMessage.objects.create(
            room=room,
            seq=room.last_seq,
            author=actor,
            body=body,
            body_html=render_markdown(body),
            client_msg_id=client_msg_id,
        )
        if outcome == screening.Outcome.FLAG:  # as the main room's message.send
            moderation_services.raise_automatic_flag(
                target=message,
                space=session.space,
                details="Contains a watched word.",
                screened=outcome,
            )
        _room_event(session.pk, room, message_frame(message))
        return message, True


def _message_in(room: BreakoutRoom, seq) -> BreakoutMessage:
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise LiveRefusal("invalid", "seq must be a whole number.")
    message = (
        BreakoutMessage.objects.select_for_update(of=("self",))
        .select_related("author")
        .filter(room=room, seq=seq)
        .first()
    )
    if message is None:
        raise LiveRefusal("invalid", "There is no such message in this breakout room.")
    return message


def _remove(session_id: int, room: BreakoutRoom, message: BreakoutMessage) -> bool:
    """Mark ``message`` removed (its body stays for the moderators until retention ends) and
    tell the room; it replays without its body from now on."""
    if message.removed:
        return False
    message.removed = True
    message.save(update_fields=["removed"])
    _room_push(session_id, room, removed_frame(room.pk, message.seq))
    return True


@transaction.atomic
def remove_message(*, actor: User, session: LiveSession, room_id, seq, reason: str = "") -> bool:
    """``breakout.message.remove``: whoever may remove a main-room message removes one in a
    breakout room of the open round. Audited as the main room's removal."""
    session = services._locked(session)
    services._check_facilitator(actor, session)
    if room_id is None:
        raise LiveRefusal("invalid", "room_id must be the number of a breakout room.")
    _round, room = _room_for(actor, session, room_id)
    message = _message_in(room, seq)
    removed = _remove(session.pk, room, message)
    if removed:
        audit.record(
            actor=actor,
            action=AuditAction.LIVE_MESSAGE_REMOVE,
            space=session.space,
            target=message,
            reason=reason if isinstance(reason, str) else "",
        )
    return removed


def flag_message(*, actor: User, session: LiveSession, room_id, seq, reason) -> None:
    """``breakout.flag``: a member flags a message of a room they read, for the space's
    moderators (the main room's ``flag``: same reasons, same queue, reporter confidential)."""
    fields = services.check_flag_reason(reason)
    with transaction.atomic():
        session = LiveSession.objects.select_related("space").get(pk=session.pk)
        policy.check_in_room(actor, session)
        if room_id is None:
            raise LiveRefusal("invalid", "room_id must be the number of a breakout room.")
        _round, room = _room_for(actor, session, room_id)
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise LiveRefusal("invalid", "seq must be a whole number.")
        message = (
            BreakoutMessage.objects.select_related("author", "room__round__session__space")
            .filter(room=room, seq=seq)
            .first()
        )
        if message is None:
            raise LiveRefusal("invalid", "There is no such message in this breakout room.")
        try:
            moderation_services.flag_item(actor=actor, target=message, **fields)
        except Http404 as exc:
            raise LiveRefusal("invalid", "That message was removed.") from exc
        except ValidationError as exc:
            raise LiveRefusal("invalid", " ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise LiveRefusal("forbidden", str(exc)) from exc
        broadcast_on_commit(
            facilitators_group(session.pk),
            {
                "type": "report",
                "room_id": room.pk,
                "target_seq": message.seq,
                "reason": FlagReason(fields["reason"]).label,
            },
            handler="live.push",
        )


@transaction.atomic
def hide_message(*, actor: User | None, message: BreakoutMessage, reason: str) -> bool:
    """A moderator removes a flagged breakout message (the review queue), or moderation does
    at the flag threshold (``actor`` None), as :func:`realtime.services.hide_message` does for
    the main room. The room is told if it is still open."""
    message = BreakoutMessage.objects.select_for_update(of=("self",)).get(pk=message.pk)
    room = BreakoutRoom.objects.select_related("round__session__space").get(pk=message.room_id)
    session = room.round.session
    space = session.space
    title = session.title
    if actor is None:
        if not _remove(session.pk, room, message):
            return False
        audit.record(
            actor=None, action=AuditAction.LIVE_AUTOHIDE, space=space, target=message, reason=reason
        )
        notices.tell(
            message.author,
            f"Your message in a breakout room of “{title}” was hidden after members flagged it. "
            "A moderator will review it and you will be told what they decide.",
        )
        return True
    moderation_policy.check_moderate(actor, space)
    reason = sanctions.required_reason(reason, "the author is told why their message was removed.")
    if not _remove(session.pk, room, message):
        return False
    moderation_services.resolve_flags_on(
        actor=actor, target=message, upheld=True, reason=reason, outcome="We removed it"
    )
    audit.record(
        actor=actor, action=AuditAction.LIVE_HIDE, space=space, target=message, reason=reason
    )
    notices.tell(
        message.author,
        f"Your message in a breakout room of “{title}” was removed by a moderator: {reason}",
    )
    return True


@transaction.atomic
def call_facilitator(*, actor: User, session: LiveSession) -> bool:
    """A member asks for a facilitator in their room: the facilitators' console is told which
    room. Calls within ``CALL_COOLDOWN_SECONDS`` of the last are not repeated."""
    session = services._locked(session)
    services._check_react(actor, session)
    _close_if_due(session)
    round_ = open_round(session)
    placed = placement(round_, actor) if round_ is not None else None
    if placed is None:
        raise LiveRefusal(
            "invalid",
            "You can call the facilitator from a breakout room; you are in the main room.",
        )
    room = BreakoutRoom.objects.select_for_update().get(pk=placed.room_id)
    now = timezone.now()
    if room.called_at and room.called_at > now - timedelta(seconds=CALL_COOLDOWN_SECONDS):
        return False
    room.called_at = now
    room.save(update_fields=["called_at"])
    broadcast_on_commit(
        facilitators_group(session.pk),
        {
            "type": "breakout.called",
            "room_id": room.pk,
            "name": room.name,
            "created": now.isoformat(),
        },
        handler="live.push",
    )
    _room_push(
        session.pk,
        room,
        {
            "type": "breakout.call.sent",
            "room_id": room.pk,
            "detail": "A facilitator has been called.",
        },
    )
    _push_rooms(session)
    return True


@transaction.atomic
def raise_hand(*, actor: User, session: LiveSession) -> bool:
    session = services._locked(session)
    services._check_react(actor, session)
    _close_if_due(session)
    round_ = open_round(session)
    placed = placement(round_, actor) if round_ is not None else None
    if placed is None:
        raise LiveRefusal("invalid", "You are not in a breakout room.")
    if placed.hand_raised_at is not None:
        return False
    placed.hand_raised_at = timezone.now()
    placed.save(update_fields=["hand_raised_at"])
    _room_push(session.pk, placed.room, hands_frame(placed.room))
    return True


@transaction.atomic
def lower_hand(*, actor: User, session: LiveSession, user_id=None, room_id=None) -> bool:
    """Lower one's own hand in one's room, or (a visitor) someone's in ``room_id``."""
    session = services._locked(session)
    policy.check_in_room(actor, session)
    round_ = open_round(session)
    if round_ is None:
        raise LiveRefusal("not_live", "No breakout rooms are open: you are in the main room.")
    if user_id is not None and user_id != actor.pk:
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise LiveRefusal("invalid", "user_id must be a member's id.")
        if not can_visit(actor, session):
            raise LiveRefusal("forbidden", "Only the session's facilitators can do that.")
        placed = BreakoutMember.objects.filter(round=round_, user_id=user_id).first()
    else:
        placed = placement(round_, actor)
    if placed is None:
        raise LiveRefusal("invalid", "That member is not in a breakout room.")
    if placed.hand_raised_at is None:
        return False
    placed.hand_raised_at = None
    placed.save(update_fields=["hand_raised_at"])
    _room_push(session.pk, placed.room, hands_frame(placed.room))
    return True


@transaction.atomic
def visit(*, actor: User, session: LiveSession, room_id) -> BreakoutRoom:
    """A facilitator (moderator, staff) goes into a room: the room's call, if any, is answered."""
    session = services._locked(session)
    policy.check_in_room(actor, session)
    if not can_visit(actor, session):
        raise LiveRefusal("forbidden", "Only facilitators, moderators and staff can visit rooms.")
    _close_if_due(session)
    round_ = open_round(session)
    if round_ is None:
        raise LiveRefusal("not_live", "No breakout rooms are open.")
    room = readable_room(actor, session, round_, room_id)
    if room.called_at is not None:
        room.called_at = None
        room.save(update_fields=["called_at"])
        _push_rooms(session)
    return room


def hello_state(user, session: LiveSession, *, visitor: bool) -> dict:
    """What a (re)connecting socket needs of the open round, besides the room's stream: the
    member's room (its assignment frame and hands) and, for a visitor (:func:`can_visit`, as the
    socket found at connect), the rooms. No query when no round is open (``session`` as the hello
    read it); the socket then joins the room's group and reads its stream
    (:func:`messages_after`), so nothing falls between."""
    out: dict = {"room": None, "frames": [], "after": [], "ends_at": None}
    if not session.breakouts_open:
        return out
    session_id = session.pk
    round_ = open_round(session_id)
    if round_ is not None and round_.ends_at <= timezone.now():
        close_if_due(session_id)
        round_ = open_round(session_id)
    if round_ is None:
        return out
    if visitor:
        out["frames"].append(rooms_frame(session_id))
    out["ends_at"] = round_.ends_at
    placed = placement(round_, user)
    if placed is not None:
        out["room"] = placed.room_id
        out["frames"].append(assigned_frame(round_, placed.room))
        out["after"].append(hands_frame(placed.room))
    return out


def placed_room_id(user_id: int, session_id: int) -> int | None:
    round_ = open_round(session_id)
    if round_ is None:
        return None
    return (
        BreakoutMember.objects.filter(round=round_, user_id=user_id)
        .values_list("room_id", flat=True)
        .first()
    )


def visit_frames(room: BreakoutRoom, after_seq: int) -> list[dict]:
    round_ = room.round
    return [
        {
            "type": "breakout.visiting",
            "room_id": room.pk,
            "name": room.name,
            "ends_at": round_.ends_at.isoformat(),
            "members": room_people(room),
            "last_seq": room.last_seq,
        },
        *messages_after(room.pk, after_seq),
        hands_frame(room),
    ]


# -- retention, erasure --------------------------------------------------------------------


def forget_spoken(session: LiveSession) -> None:
    """A session that keeps no transcript: its breakout words go at its end."""
    BreakoutMessage.objects.filter(room__round__session=session).delete()


def purge(session: LiveSession) -> None:
    """The transcript's retention ended: every breakout row of the session goes."""
    BreakoutRound.objects.filter(session=session).delete()


def erase_author(user: User) -> int:
    """Erasure that removes the member's words: their breakout messages lose their text (each
    stays a removed place in its room, so ``seq`` runs on without gaps)."""
    return BreakoutMessage.objects.filter(Q(author=user)).update(
        body="", body_html="", removed=True
    )
