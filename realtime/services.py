"""Every write for live sessions. The consumer, the HTTP views and the live message's
moderation kind (realtime/kinds.py) call these.

Stream writes lock the session row (``select_for_update``; on SQLite the IMMEDIATE transaction
takes the write lock up front) and bump ``last_seq`` in the same transaction, so ``seq`` runs
without gaps or duplicates whatever the concurrency. Broadcasts go out only after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from community import audit, notices, sanctions, signals
from community import policy as community_policy
from community.formats import when
from community.mail import send_mail
from community.models import AuditAction, Membership, Space, User
from community.rendering import render_markdown, rendered_first
from moderation import policy as moderation_policy
from moderation import screening
from moderation import services as moderation_services
from moderation.models import Flag, FlagReason

from . import breakouts, ics, policy, selectors
from .broadcast import (
    account_group,
    backchannel_group,
    broadcast_on_commit,
    control_on_commit,
    end_sockets_on_commit,
    facilitators_group,
    kick_channel_on_commit,
    moderators_group,
    session_group,
    standing_on_commit,
)
from .compiled import CompiledValues
from .models import (
    Attendance,
    BackchannelMessage,
    FeedbackAnswer,
    FeedbackSubmission,
    HeldQuestion,
    LiveEvent,
    LiveSession,
    ParticipantRemoval,
    PollVote,
    Presence,
    QuestionUpvote,
    RaisedHand,
    Registration,
)
from .policy import LiveRefusal

logger = logging.getLogger(__name__)

MAX_SLOW_MODE_SECONDS = 3600
MAX_MUTE_MINUTES = 60 * 24 * 30
SPEAKING = [LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION]


def _locked(session: LiveSession | int) -> LiveSession:
    """The session row, locked for the rest of the transaction."""
    pk = session.pk if isinstance(session, LiveSession) else session
    return LiveSession.objects.select_for_update().select_related("space").get(pk=pk)


def _append(session: LiveSession, **fields) -> LiveEvent:
    """Store the next event of ``session``. Call inside a transaction that holds the session row."""
    session.last_seq += 1
    LiveSession.objects.filter(pk=session.pk).update(last_seq=session.last_seq)
    event = LiveEvent.objects.create(session=session, seq=session.last_seq, **fields)
    broadcast_on_commit(session_group(session.pk), selectors.event_frame(event, upvotes=0))
    if event.anonymous and event.author_id:
        # Peers get author null; the space's moderators and staff see who wrote it.
        broadcast_on_commit(
            moderators_group(session.pk), selectors.author_reveal(event), handler="live.push"
        )
    return event


def _append_state(session: LiveSession, change: str) -> LiveEvent:
    return _append(
        session, kind=LiveEvent.Kind.STATE, data={"change": change, "session": session.state()}
    )


def _clean_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise LiveRefusal("invalid", "Write a message before sending it.")
    body = body.strip()
    # Refused rather than stripped, so the member sees why their text changed: PostgreSQL text
    # cannot hold NUL, and a lone surrogate is not UTF-8 at all.
    if "\x00" in body:
        raise LiveRefusal(
            "invalid",
            "Messages cannot contain NUL characters (\\u0000): remove them and send again.",
        )
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        raise LiveRefusal(
            "invalid", "This message has a character that is not valid text (a lone surrogate)."
        ) from None
    limit = settings.LIVE_MESSAGE_MAX_CHARS
    if len(body) > limit:
        raise LiveRefusal(
            "too_long", f"Messages can be at most {limit:,} characters; this one has {len(body):,}."
        )
    return body


def _clean_client_msg_id(client_msg_id) -> str:
    if not isinstance(client_msg_id, str) or not (1 <= len(client_msg_id) <= 64):
        raise LiveRefusal("invalid", "client_msg_id must be a string of 1 to 64 characters.")
    return client_msg_id


def _check_pace(actor: User, session: LiveSession, *, facilitating: bool) -> None:
    """Rate limit (everyone) and slow mode (not facilitators), counted from stored events."""
    mine = LiveEvent.objects.filter(session=session, author=actor, kind__in=SPEAKING)
    check_pace_of(mine, session, facilitating=facilitating, newest="-seq")


def check_pace_of(mine, session: LiveSession, *, facilitating: bool, newest: str) -> None:
    """The rate limit and slow mode over ``mine`` (the member's stored messages with a
    ``created``), the one rule for the main room and its breakout rooms."""
    now = timezone.now()
    count, seconds = settings.LIVE_RATE_LIMIT
    if mine.filter(created__gt=now - timedelta(seconds=seconds)).count() >= count:
        raise LiveRefusal(
            "rate_limited", f"You can send {count} messages every {seconds} seconds. Wait a moment."
        )
    if session.slow_mode_seconds and not facilitating:
        last = mine.order_by(newest).values_list("created", flat=True).first()
        if last is not None and last > now - timedelta(seconds=session.slow_mode_seconds):
            wait = session.slow_mode_seconds - int((now - last).total_seconds())
            raise LiveRefusal(
                "slow_mode", f"Slow mode is on: you can send again in {max(wait, 1)} seconds."
            )


def _screen(actor: User, session: LiveSession, body: str) -> str:
    """Watched words: a ``block`` word refuses the message; otherwise an Outcome."""
    try:
        return screening.screen_text(actor=actor, space=session.space, text=body)
    except ValidationError as exc:
        raise LiveRefusal("forbidden", " ".join(exc.messages)) from exc


def _stored_and_room(session: LiveSession, actor: User, client_msg_id: str) -> dict:
    """In one query: the event and the held question already stored for ``client_msg_id``
    (their ids, or None); whether a facilitator removed ``actor`` (and why) and whether they
    facilitate the session, for :func:`policy.remember_room`; and the actor's membership of the
    session's space (None without one), which is remembered on ``session.space`` for every
    check of this command. Written out in SQL: every live message asks it, and it is the same
    lookups by index whatever the data."""
    quote = connection.ops.quote_name
    events, held = quote(LiveEvent._meta.db_table), quote(HeldQuestion._meta.db_table)
    removals = quote(ParticipantRemoval._meta.db_table)
    facilitators = quote(LiveSession.facilitators.through._meta.db_table)
    memberships = quote(Membership._meta.db_table)
    sql = (
        "SELECT m.*, "  # noqa: S608 (models' table names, not input)
        f"(SELECT id FROM {events} WHERE session_id = %s AND client_msg_id = %s LIMIT 1) "
        "AS stored_event, "
        f"(SELECT id FROM {held} WHERE session_id = %s AND client_msg_id = %s LIMIT 1) "
        "AS stored_held, "
        f"EXISTS (SELECT 1 FROM {removals} WHERE session_id = %s AND user_id = %s) AS removed, "
        f"(SELECT reason FROM {removals} WHERE session_id = %s AND user_id = %s LIMIT 1) "
        "AS removal_reason, "
        f"EXISTS (SELECT 1 FROM {facilitators} WHERE livesession_id = %s AND user_id = %s) "
        "AS facilitates "
        f"FROM (SELECT 1 AS here) one LEFT JOIN {memberships} m "
        "ON m.user_id = %s AND m.space_id = %s"
    )
    params = [session.pk, client_msg_id] * 2 + [session.pk, actor.pk] * 3
    params += [actor.pk, session.space_id]
    (row,) = Membership.objects.raw(sql, params)
    community_policy.remember_memberships(
        session.space, {actor.pk: row if row.pk is not None else None}
    )
    return {
        "_event": row.stored_event,
        "_held": row.stored_held,
        "_removed": bool(row.removed),
        "_removal_reason": row.removal_reason,
        "_facilitates": bool(row.facilitates),
    }


@rendered_first("body")
def _post(
    *,
    actor: User,
    session: LiveSession,
    kind: str,
    body,
    client_msg_id,
    reply_to=None,
    anonymous: bool = False,
) -> tuple[LiveEvent, bool]:
    client_msg_id = _clean_client_msg_id(client_msg_id)
    with transaction.atomic():
        session = _locked(session)
        # One query after the lock (so it sees every write committed before it).
        row = _stored_and_room(session, actor, client_msg_id)
        policy.remember_room(session, actor, row)
        existing = None
        if row["_event"] is not None:
            existing = LiveEvent.objects.select_related("author").get(pk=row["_event"])
        elif row["_held"] is not None:
            existing = HeldQuestion.objects.get(pk=row["_held"])
        if existing is not None:
            if existing.author_id != actor.pk:
                raise LiveRefusal("invalid", "This client_msg_id is already taken; use a new one.")
            return existing, False
        facilitating = policy.check_speak(actor, session)
        # GuidelinesRequired (a PermissionDenied) reaches the consumer, which links the page.
        community_policy.check_guidelines_accepted(actor, session.space)
        body = _clean_body(body)
        if reply_to is not None:
            if isinstance(reply_to, bool) or not isinstance(reply_to, int):
                raise LiveRefusal("invalid", "reply_to must be the seq of a message.")
            if not LiveEvent.objects.filter(
                session=session,
                seq=reply_to,
                kind__in=SPEAKING,
            ).exists():
                raise LiveRefusal(
                    "invalid", "The message you are replying to is not in this session."
                )
        _check_pace(actor, session, facilitating=facilitating)
        outcome = _screen(actor, session, body)
        if kind == LiveEvent.Kind.QUESTION and session.questions_need_approval and not facilitating:
            # Facilitators see it first: a watched word is theirs to weigh before anyone else
            # reads it, so no automatic flag is raised for a question nobody else can see.
            held = HeldQuestion.objects.create(
                session=session,
                author=actor,
                anonymous=anonymous,
                body=body,
                body_html=render_markdown(body),
                client_msg_id=client_msg_id,
            )
            _push_held(session, held)
            return held, True
        event = _append(
            session,
            kind=kind,
            author=actor,
            anonymous=anonymous,
            body=body,
            body_html=render_markdown(body),
            client_msg_id=client_msg_id,
            reply_to=reply_to,
        )
        if outcome == screening.Outcome.FLAG:
            moderation_services.raise_automatic_flag(
                target=event,
                space=session.space,
                details="Contains a watched word.",
                screened=outcome,
            )
        return event, True


def send_live_message(
    *, actor: User, session: LiveSession, body, client_msg_id, reply_to=None
) -> tuple[LiveEvent, bool]:
    """Store a chat message (or return the one already stored for ``client_msg_id``)."""
    return _post(
        actor=actor,
        session=session,
        kind=LiveEvent.Kind.MESSAGE,
        body=body,
        client_msg_id=client_msg_id,
        reply_to=reply_to,
    )


def ask_question(
    *, actor: User, session: LiveSession, body, client_msg_id, anonymous: bool = False
) -> tuple[LiveEvent | HeldQuestion, bool]:
    """Ask a question: into the stream, or (the session holds questions for approval, and the
    asker does not facilitate) held for the facilitators as a :class:`HeldQuestion`."""
    if not isinstance(anonymous, bool):
        raise LiveRefusal("invalid", "anonymous must be true or false.")
    return _post(
        actor=actor,
        session=session,
        kind=LiveEvent.Kind.QUESTION,
        body=body,
        client_msg_id=client_msg_id,
        anonymous=anonymous,
    )


def _event_by_seq(session: LiveSession, seq, kinds: list[str], what: str) -> LiveEvent:
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise LiveRefusal("invalid", "seq must be a whole number.")
    event = (
        LiveEvent.objects.select_for_update()
        .filter(session=session, seq=seq, kind__in=kinds)
        .first()
    )
    if event is None:
        raise LiveRefusal("invalid", f"There is no such {what} in this session.")
    return event


def _check_react(actor: User, session: LiveSession) -> None:
    policy.check_in_room(actor, session)
    policy.check_not_muted(actor, session)
    if session.status not in (LiveSession.Status.OPEN, LiveSession.Status.LIVE):
        raise LiveRefusal("not_live", "The session is not live.")


@transaction.atomic
def upvote_question(*, actor: User, session: LiveSession, seq) -> int:
    """Upvote a question once; return its new count."""
    session = _locked(session)
    _check_react(actor, session)
    question = _event_by_seq(session, seq, [LiveEvent.Kind.QUESTION], "question")
    if question.removed:
        raise LiveRefusal("invalid", "That question was removed.")
    _, created = QuestionUpvote.objects.get_or_create(question=question, user=actor)
    if not created:
        raise LiveRefusal("invalid", "You have already upvoted this question.")
    count = question.upvotes.count()
    broadcast_on_commit(
        session_group(session.pk),
        {"type": "question.upvotes", "question_seq": question.seq, "upvotes": count},
    )
    return count


def _push_hands(session: LiveSession) -> None:
    broadcast_on_commit(
        session_group(session.pk), {"type": "hands", "hands": selectors.hands(session.pk)}
    )


@transaction.atomic
def raise_hand(*, actor: User, session: LiveSession) -> bool:
    session = _locked(session)
    _check_react(actor, session)
    _, created = RaisedHand.objects.get_or_create(session=session, user=actor)
    if created:
        _push_hands(session)
    return created


@transaction.atomic
def lower_hand(*, actor: User, session: LiveSession, user_id: int | None = None) -> bool:
    """Lower one's own hand, or (facilitators) someone else's."""
    session = _locked(session)
    policy.check_in_room(actor, session)
    if user_id is not None and user_id != actor.pk:
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise LiveRefusal("invalid", "user_id must be a member's id.")
        policy.check_facilitator_command(actor, session)
    else:
        user_id = actor.pk
    deleted, _ = RaisedHand.objects.filter(session=session, user_id=user_id).delete()
    if deleted:
        _push_hands(session)
    return bool(deleted)


_TRANSITIONS = {
    "open": ({LiveSession.Status.SCHEDULED}, LiveSession.Status.OPEN),
    "start": ({LiveSession.Status.SCHEDULED, LiveSession.Status.OPEN}, LiveSession.Status.LIVE),
    "end": (
        {LiveSession.Status.SCHEDULED, LiveSession.Status.OPEN, LiveSession.Status.LIVE},
        LiveSession.Status.ENDED,
    ),
}


def _check_facilitator(actor: User, session: LiveSession) -> None:
    try:
        policy.check_facilitator_command(actor, session)
    except LiveRefusal:
        raise
    except PermissionDenied as exc:  # pragma: no cover - defensive
        raise LiveRefusal("forbidden", str(exc)) from exc


def _transition(actor: User, session: LiveSession, verb: str) -> bool:
    session = _locked(session)
    _check_facilitator(actor, session)
    sources, target = _TRANSITIONS[verb]
    if session.status == target:
        return False
    if session.status not in sources:
        raise LiveRefusal(
            "invalid", f"A session that is {session.get_status_display().lower()} cannot {verb}."
        )
    session.status = target
    now = timezone.now()
    fields = ["status"]
    if target == LiveSession.Status.LIVE and session.started_at is None:
        session.started_at = now
        fields.append("started_at")
    if target == LiveSession.Status.ENDED:
        session.ended_at = now
        session.locked = False
        fields += ["ended_at", "locked"]
        RaisedHand.objects.filter(session=session).delete()
        _push_hands(session)
    session.save(update_fields=fields)
    if target == LiveSession.Status.ENDED:
        for poll in LiveEvent.objects.filter(
            session=session, kind=LiveEvent.Kind.POLL_OPEN, data__closed=False
        ).order_by("seq"):
            _close_poll(session, poll)
        breakouts.close_open(session, "end")
    _append_state(session, verb)
    return True


@transaction.atomic
def open_session(*, actor: User, session: LiveSession) -> bool:
    """Open the lobby: members can come in before the facilitator starts."""
    return _transition(actor, session, "open")


@transaction.atomic
def start_session(*, actor: User, session: LiveSession) -> bool:
    return _transition(actor, session, "start")


@transaction.atomic
def end_session(*, actor: User, session: LiveSession) -> bool:
    """End the session. One that keeps no transcript (retention 0) loses what was said now, in
    this transaction: messages and questions stay as blank, removed places (so ``seq`` runs on
    without gaps for clients still in the room) and ``purge_expired`` deletes the rest."""
    if not _transition(actor, session, "end"):
        return False
    ended = _locked(session)
    if ended.retention_days == 0:
        spoken = LiveEvent.objects.filter(
            session=ended, kind__in=[LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION]
        )
        QuestionUpvote.objects.filter(question__in=spoken).delete()
        HeldQuestion.objects.filter(session=ended).delete()
        BackchannelMessage.objects.filter(session=ended).delete()
        breakouts.forget_spoken(ended)
        spoken.update(body="", body_html="", author=None, client_msg_id=None, removed=True)
    return True


def _set_state(actor: User, session: LiveSession, change: str, **values) -> bool:
    session = _locked(session)
    _check_facilitator(actor, session)
    if session.status == LiveSession.Status.ENDED:
        raise LiveRefusal("not_live", "The session has ended.")
    if all(getattr(session, field) == value for field, value in values.items()):
        return False
    for field, value in values.items():
        setattr(session, field, value)
    session.save(update_fields=list(values))
    _append_state(session, change)
    return True


@transaction.atomic
def lock_chat(*, actor: User, session: LiveSession) -> bool:
    return _set_state(actor, session, "lock", locked=True)


@transaction.atomic
def unlock_chat(*, actor: User, session: LiveSession) -> bool:
    return _set_state(actor, session, "unlock", locked=False)


@transaction.atomic
def set_slow_mode(*, actor: User, session: LiveSession, seconds) -> bool:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 0 <= seconds <= MAX_SLOW_MODE_SECONDS
    ):
        raise LiveRefusal("invalid", f"Slow mode takes 0 to {MAX_SLOW_MODE_SECONDS} seconds.")
    return _set_state(actor, session, "slow_mode", slow_mode_seconds=seconds)


@transaction.atomic
def pin_prompt(*, actor: User, session: LiveSession, prompt) -> bool:
    """Pin a prompt over the chat (an empty prompt unpins it)."""
    if not isinstance(prompt, str):
        raise LiveRefusal("invalid", "prompt must be text.")
    prompt = prompt.strip()
    if len(prompt) > 500:
        raise LiveRefusal("too_long", "A prompt can be at most 500 characters.")
    return _set_state(actor, session, "prompt", prompt=prompt)


@transaction.atomic
def spotlight_question(*, actor: User, session: LiveSession, seq) -> bool:
    """Spotlight one question for everyone (``seq`` None clears the spotlight)."""
    locked = _locked(session)
    _check_facilitator(actor, locked)
    if seq is not None:
        question = _event_by_seq(locked, seq, [LiveEvent.Kind.QUESTION], "question")
        if question.removed:
            raise LiveRefusal("invalid", "That question was removed.")
    return _set_state(actor, locked, "spotlight", spotlight_seq=seq)


# The backchannel: its own small group and its own order, so no participant's stream ever
# has a gap or a trace of it.


def send_backchannel(
    *, actor: User, session: LiveSession, body, client_msg_id
) -> tuple[BackchannelMessage, bool]:
    client_msg_id = _clean_client_msg_id(client_msg_id)
    with transaction.atomic():
        session = _locked(session)
        policy.check_backchannel(actor, session)
        existing = BackchannelMessage.objects.filter(
            session=session, client_msg_id=client_msg_id
        ).first()
        if existing is not None:
            if existing.author_id != actor.pk:
                raise LiveRefusal("invalid", "This client_msg_id is already taken; use a new one.")
            return existing, False
        body = _clean_body(body)
        message = BackchannelMessage.objects.create(
            session=session,
            author=actor,
            body=body,
            body_html=render_markdown(body),
            client_msg_id=client_msg_id,
        )
        broadcast_on_commit(
            backchannel_group(session.pk),
            selectors.backchannel_frame(message),
            handler="live.push",
        )
        return message, True


# Held questions: the session's "questions wait for approval".


def _push_waiting_count(session: LiveSession) -> None:
    count = HeldQuestion.objects.filter(session=session, status=HeldQuestion.Status.WAITING).count()
    broadcast_on_commit(
        session_group(session.pk),
        {"type": "questions.waiting", "count": count},
        handler="live.push",
    )


def _push_held(session: LiveSession, held: HeldQuestion) -> None:
    """A new held question: to the facilitators in full, to the asker as theirs, waiting, and
    to everyone as a count."""
    broadcast_on_commit(
        facilitators_group(session.pk), selectors.held_frame(held), handler="live.push"
    )
    control_on_commit(
        session.pk, held.author_id, action="notice", frame=selectors.own_held_frame(held)
    )
    _push_waiting_count(session)


def _held(session: LiveSession, held_id) -> HeldQuestion:
    if isinstance(held_id, bool) or not isinstance(held_id, int):
        raise LiveRefusal("invalid", "id must be the number of a waiting question.")
    held = (
        HeldQuestion.objects.select_for_update()
        .filter(session=session, pk=held_id, status=HeldQuestion.Status.WAITING)
        .first()
    )
    if held is None:
        raise LiveRefusal("invalid", "There is no such question waiting in this session.")
    return held


def _decide(session: LiveSession, held: HeldQuestion, actor: User, status: str, **fields) -> None:
    held.status = status
    held.decided_by = actor
    for field, value in fields.items():
        setattr(held, field, value)
    held.save()
    decided = {"type": "question.decided", "id": held.pk, "status": status}
    broadcast_on_commit(facilitators_group(session.pk), decided, handler="live.push")
    control_on_commit(
        session.pk,
        held.author_id,
        action="notice",
        frame={**decided, "reason": held.reason, "question_seq": held.question_seq},
    )
    _push_waiting_count(session)


def _check_deciding(actor: User, session: LiveSession) -> None:
    _check_facilitator(actor, session)
    if session.status == LiveSession.Status.ENDED:
        raise LiveRefusal("not_live", "The session has ended.")


@transaction.atomic
def approve_question(*, actor: User, session: LiveSession, held_id) -> LiveEvent:
    """Let a held question into the stream, as its asker asked it (named or anonymous)."""
    session = _locked(session)
    _check_deciding(actor, session)
    held = _held(session, held_id)
    event = _append(
        session,
        kind=LiveEvent.Kind.QUESTION,
        author=held.author,
        anonymous=held.anonymous,
        body=held.body,
        body_html=held.body_html,
        client_msg_id=held.client_msg_id,
    )
    _decide(session, held, actor, HeldQuestion.Status.APPROVED, question_seq=event.seq)
    return event


@transaction.atomic
def merge_question(*, actor: User, session: LiveSession, held_id, into_seq) -> bool:
    """Fold a held question into one already asked: its asker's upvote goes to that one."""
    session = _locked(session)
    _check_deciding(actor, session)
    held = _held(session, held_id)
    target = _event_by_seq(session, into_seq, [LiveEvent.Kind.QUESTION], "question")
    if target.removed:
        raise LiveRefusal("invalid", "That question was removed.")
    _, created = QuestionUpvote.objects.get_or_create(question=target, user=held.author)
    if created:
        broadcast_on_commit(
            session_group(session.pk),
            {
                "type": "question.upvotes",
                "question_seq": target.seq,
                "upvotes": target.upvotes.count(),
            },
        )
    _decide(session, held, actor, HeldQuestion.Status.MERGED, question_seq=target.seq)
    return True


@transaction.atomic
def decline_question(*, actor: User, session: LiveSession, held_id, reason) -> bool:
    """Decline a held question; the asker is told the reason, nobody else sees it."""
    session = _locked(session)
    _check_deciding(actor, session)
    held = _held(session, held_id)
    if not isinstance(reason, str) or not reason.strip():
        raise LiveRefusal("invalid", "Say why, for the member who asked it.")
    if len(reason.strip()) > 500:
        raise LiveRefusal("too_long", "A reason can be at most 500 characters.")
    _decide(session, held, actor, HeldQuestion.Status.DECLINED, reason=reason.strip())
    return True


# Polls: single choice, always anonymous; a stored ``poll.open`` (its ``seq`` is the poll's id)
# and ``poll.close``; votes are rows, results pushed as counts only.

POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 120
POLL_OPTIONS = (2, 6)


def _clean_poll(question, options) -> tuple[str, list[str]]:
    if not isinstance(question, str) or not question.strip():
        raise LiveRefusal("invalid", "Write the poll's question.")
    question = question.strip()
    if len(question) > POLL_QUESTION_MAX:
        raise LiveRefusal(
            "too_long", f"A poll's question can be at most {POLL_QUESTION_MAX} characters."
        )
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise LiveRefusal("invalid", "options must be a list of texts.")
    options = [option.strip() for option in options if option.strip()]
    low, high = POLL_OPTIONS
    if not low <= len(options) <= high:
        raise LiveRefusal(
            "invalid", f"A poll needs {low} to {high} options; this one has {len(options)}."
        )
    if any(len(option) > POLL_OPTION_MAX for option in options):
        raise LiveRefusal("too_long", f"Each option can be at most {POLL_OPTION_MAX} characters.")
    if len({option.casefold() for option in options}) != len(options):
        raise LiveRefusal("invalid", "Two options are the same: make each one different.")
    return question, options


def _push_results(session: LiveSession, poll: LiveEvent) -> dict:
    """Results to facilitators at once; to the whole room once they are public."""
    results = selectors.poll_results(poll)
    public = selectors.results_public(results)
    group = session_group(session.pk) if public else facilitators_group(session.pk)
    broadcast_on_commit(group, results, handler="live.push")
    return results


def open_poll(*, actor: User, session: LiveSession, question, options, client_msg_id):
    """Open a poll for the room (or return the one already stored for ``client_msg_id``)."""
    client_msg_id = _clean_client_msg_id(client_msg_id)
    with transaction.atomic():
        session = _locked(session)
        existing = LiveEvent.objects.filter(session=session, client_msg_id=client_msg_id).first()
        if existing is not None:
            if existing.author_id != actor.pk or existing.kind != LiveEvent.Kind.POLL_OPEN:
                raise LiveRefusal("invalid", "This client_msg_id is already taken; use a new one.")
            return existing, False
        _check_facilitator(actor, session)
        if session.status not in (LiveSession.Status.OPEN, LiveSession.Status.LIVE):
            raise LiveRefusal("not_live", "Polls can be opened once the lobby is open.")
        question, options = _clean_poll(question, options)
        poll = _append(
            session,
            kind=LiveEvent.Kind.POLL_OPEN,
            author=actor,
            client_msg_id=client_msg_id,
            data={"question": question, "options": options, "closed": False},
        )
        _push_results(session, poll)
        return poll, True


def _poll(session: LiveSession, poll_id) -> LiveEvent:
    return _event_by_seq(session, poll_id, [LiveEvent.Kind.POLL_OPEN], "poll")


@transaction.atomic
def vote_in_poll(*, actor: User, session: LiveSession, poll_id, option) -> bool:
    """Choose one option; a second vote changes the first. Returns whether anything changed."""
    session = _locked(session)
    _check_react(actor, session)
    poll = _poll(session, poll_id)
    if poll.data.get("closed"):
        raise LiveRefusal("invalid", "This poll has closed, so votes are no longer counted.")
    options = poll.data.get("options", [])
    if isinstance(option, bool) or not isinstance(option, int) or not 0 <= option < len(options):
        raise LiveRefusal(
            "invalid", f"option must be the number of a choice, 0 to {len(options) - 1}."
        )
    vote, created = PollVote.objects.get_or_create(
        poll=poll, user=actor, defaults={"option": option}
    )
    if not created:
        if vote.option == option:
            return False
        vote.option = option
        vote.updated = timezone.now()
        vote.save(update_fields=["option", "updated"])
    _push_results(session, poll)
    control_on_commit(
        session.pk,
        actor.pk,
        action="notice",
        frame={"type": "poll.voted", "poll_id": poll.seq, "option": option},
    )
    return True


def _close_poll(session: LiveSession, poll: LiveEvent) -> bool:
    """Close ``poll`` (call holding the session row): stored, and the results go to everyone."""
    if poll.data.get("closed"):
        return False
    poll.data = {**poll.data, "closed": True}
    poll.save(update_fields=["data"])
    _append(session, kind=LiveEvent.Kind.POLL_CLOSE, target_seq=poll.seq)
    _push_results(session, poll)
    return True


@transaction.atomic
def close_poll(*, actor: User, session: LiveSession, poll_id) -> bool:
    session = _locked(session)
    _check_facilitator(actor, session)
    return _close_poll(session, _poll(session, poll_id))


def _remove(session: LiveSession, event: LiveEvent) -> bool:
    """Mark ``event`` removed and append the removal. Call holding the session row."""
    if event.removed:
        return False
    event.removed = True
    event.save(update_fields=["removed"])
    _append(session, kind=LiveEvent.Kind.REMOVED, author=None, target_seq=event.seq)
    if session.spotlight_seq == event.seq:
        session.spotlight_seq = None
        session.save(update_fields=["spotlight_seq"])
        _append_state(session, "spotlight")
    return True


@transaction.atomic
def remove_message(*, actor: User, session: LiveSession, seq, reason: str = "") -> bool:
    """Remove a message or question of this session: replayed without its body from now on."""
    session = _locked(session)
    _check_facilitator(actor, session)
    event = _event_by_seq(session, seq, SPEAKING, "message")
    removed = _remove(session, event)
    if removed:
        audit.record(
            actor=actor,
            action=AuditAction.LIVE_MESSAGE_REMOVE,
            space=session.space,
            target=event,
            reason=reason if isinstance(reason, str) else "",
        )
    return removed


@transaction.atomic
def hide_message(*, actor: User | None, event: LiveEvent, reason: str) -> bool:
    """A moderator removes a flagged live message from the room (every client is told).

    ``actor`` None: automatically, because enough members flagged it (moderation calls this
    inside its own transaction): no policy check, and the open flags stay for a moderator.
    """
    session = _locked(event.session_id)
    event = (
        LiveEvent.objects.select_for_update(of=("self",))
        .select_related("session", "session__space", "author")
        .get(pk=event.pk)
    )
    space = session.space
    title = event.session.title
    if actor is None:
        if not _remove(session, event):
            return False
        audit.record(
            actor=None, action=AuditAction.LIVE_AUTOHIDE, space=space, target=event, reason=reason
        )
        notices.tell(
            event.author,
            f"Your message in “{title}” was hidden after members flagged it. A moderator will "
            "review it and you will be told what they decide.",
            about=event,
        )
        return True
    moderation_policy.check_moderate(actor, space)
    reason = sanctions.required_reason(reason, "the author is told why their message was removed.")
    if not _remove(session, event):
        return False
    moderation_services.resolve_flags_on(
        actor=actor, target=event, upheld=True, reason=reason, outcome="We removed it"
    )
    audit.record(
        actor=actor, action=AuditAction.LIVE_HIDE, space=space, target=event, reason=reason
    )
    notices.tell(
        event.author, f"Your message in “{title}” was removed by a moderator: {reason}", about=event
    )
    return True


@transaction.atomic
def reveal_author(*, actor: User, event: LiveEvent, reason: str = "") -> bool:
    """A moderator asks who wrote a flagged message of a session whose names are withheld (an
    ended Chatham House session): the review queue's one way to it, always audited. Returns
    False, recording nothing, when the names were never withheld (the card shows them)."""
    event = LiveEvent.objects.select_related("session", "session__space").get(pk=event.pk)
    space = event.session.space
    moderation_policy.check_moderate(actor, space)
    if policy.shows_attribution(event.session):
        return False
    if not Flag.objects.for_target(event).open().exists():
        raise PermissionDenied("Only the author of a message waiting for review can be shown.")
    audit.record(
        actor=actor,
        action=AuditAction.LIVE_AUTHOR_REVEAL,
        space=space,
        target=event,
        reason=reason.strip() if isinstance(reason, str) else "",
    )
    return True


def erase_author_messages(*, user: User, remove_text: bool) -> int:
    """Erasure: with ``remove_text``, the member's messages and questions are removed from
    their sessions (a room still open is told, as for a facilitator's removal) and their text
    is deleted; without it they stay, shown under the erased account's "Former member".
    Returns how many were removed."""
    if not remove_text:
        return 0
    removed = 0
    session_ids = (
        LiveEvent.objects.filter(author=user, kind__in=SPEAKING)
        .values_list("session_id", flat=True)
        .distinct()
    )
    for session_id in sorted(set(session_ids)):
        with transaction.atomic():
            session = _locked(session_id)
            theirs = LiveEvent.objects.filter(session=session, author=user, kind__in=SPEAKING)
            for event in theirs.filter(removed=False).order_by("seq"):
                removed += _remove(session, event)
            theirs.update(body="", body_html="")
    HeldQuestion.objects.filter(author=user).delete()
    BackchannelMessage.objects.filter(author=user).delete()
    breakouts.erase_author(user)
    return removed


def _participant(session: LiveSession, user_id) -> User:
    """The active member of the session's space that a facilitator command names."""
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise LiveRefusal("invalid", "user_id must be a member's id.")
    member = User.objects.filter(
        pk=user_id,
        memberships__space=session.space,
        memberships__status=Membership.Status.ACTIVE,
    ).first()
    if member is None:
        raise LiveRefusal("invalid", "That member is not in this space.")
    return member


def _clean_reason(reason) -> str:
    return reason.strip() if isinstance(reason, str) else ""


def _sanction(call, **kwargs) -> bool:
    """Run a community sanction, its refusals turned into the protocol's error codes."""
    try:
        return call(**kwargs)
    except PermissionDenied as exc:
        raise LiveRefusal("forbidden", str(exc.args[0]) if exc.args else "Not allowed.") from exc
    except ValidationError as exc:
        raise LiveRefusal("invalid", " ".join(exc.messages)) from exc


@transaction.atomic
def mute_participant(
    *, actor: User, session: LiveSession, user_id, minutes=30, reason: str = ""
) -> bool:
    """Mute a member in the session's space: the one mute (community.sanctions) the whole forum
    honours. The member's open sockets are told by :func:`tell_sockets`."""
    session = _locked(session)
    _check_facilitator(actor, session)
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_MUTE_MINUTES
    ):
        raise LiveRefusal("invalid", "minutes must be between 1 and 43,200.")
    member = _participant(session, user_id)
    facilitating = policy.check_sanction_participant(actor, session, member)
    return _sanction(
        sanctions.mute_member,
        actor=actor,
        space=session.space,
        member=member,
        until=timezone.now() + timedelta(minutes=minutes),
        reason=_clean_reason(reason),
        facilitating=facilitating,
    )


@transaction.atomic
def unmute_participant(*, actor: User, session: LiveSession, user_id, reason: str = "") -> bool:
    session = _locked(session)
    _check_facilitator(actor, session)
    member = _participant(session, user_id)
    facilitating = policy.check_sanction_participant(actor, session, member)
    return _sanction(
        sanctions.unmute_member,
        actor=actor,
        space=session.space,
        member=member,
        reason=_clean_reason(reason),
        facilitating=facilitating,
    )


@transaction.atomic
def remove_participant(*, actor: User, session: LiveSession, user_id, reason: str = "") -> bool:
    """Remove a member from this session: disconnected now, refused if they come back."""
    session = _locked(session)
    _check_facilitator(actor, session)
    member = _participant(session, user_id)
    policy.check_sanction_participant(actor, session, member)
    reason = _clean_reason(reason)[: sanctions.REASON_MAX]
    _, created = ParticipantRemoval.objects.get_or_create(
        session=session, user=member, defaults={"removed_by": actor, "reason": reason}
    )
    if not created:
        return False
    if RaisedHand.objects.filter(session=session, user=member).delete()[0]:
        _push_hands(session)
    audit.record(
        actor=actor,
        action=AuditAction.LIVE_PARTICIPANT_REMOVE,
        space=session.space,
        target=member,
        reason=reason,
    )
    control_on_commit(
        session.pk,
        member.pk,
        action="kick",
        frame=_kick_frame(
            "A facilitator removed you from this session" + (f": {reason}" if reason else ".")
        ),
    )
    return True


def _kick_frame(detail: str) -> dict:
    return {"type": "error", "code": "forbidden", "detail": detail, "client_msg_id": None}


# The member's standing changed (community.signals.standing_changed): tell their open sockets.

_KICKED_BY = {signals.BANNED, signals.REMOVED, signals.SUSPENDED}


def tell_sockets(
    *, user: User, space: Space | None, change: str, until=None, reason: str = "", actor=None, **_
) -> None:
    """Tell every open socket of the member, live rooms and thread pages alike (one message to
    their account group, each consumer deciding what it means for it): a mute or unmute is a
    ``notice`` in that space's rooms; a ban or removal (that space) or a suspension (every space)
    closes the rooms with 4403, saying why and until when; erasure closes every socket with 4401.

    Connected in ``RealtimeConfig.ready``; called inside the change's transaction, so the frames
    go out on commit."""
    if change == signals.ERASED:
        end_sockets_on_commit(
            account_group(user.pk),
            code=policy.CLOSE_NOT_SIGNED_IN,
            frame=policy.signed_out_frame(policy.ACCOUNT_CLOSED),
        )
        return
    if change not in (signals.MUTED, signals.UNMUTED, *_KICKED_BY):
        return
    action, frame = _standing_frame(space, change, until, reason, actor)
    standing_on_commit(
        user.pk,
        space_id=space.pk if space is not None else None,
        change=change,
        action=action,
        frame=frame,
    )


def _standing_frame(space, change, until, reason, actor) -> tuple[str, dict]:
    because = f": {reason}" if reason else "."
    if change == signals.MUTED:
        who = (
            "A moderator"
            if actor is not None and community_policy.can_moderate_space(actor, space)
            else "A facilitator"
        )
        minutes = round((until - timezone.now()).total_seconds() / 60) if until else 0
        how_long = f"for {max(minutes, 1)} minutes" if minutes < 120 else f"until {when(until)}"
        detail = f"{who} muted you {how_long}{because}"
        return "notice", {
            "type": "notice",
            "code": "muted",
            "until": until.isoformat() if until else None,
            "detail": detail,
        }
    if change == signals.UNMUTED:
        return "notice", {"type": "notice", "code": "unmuted", "detail": "You can take part again."}
    if change == signals.BANNED:
        return "kick", _kick_frame(f"You have been banned from {space.name}{because}")
    if change == signals.REMOVED:
        return "kick", _kick_frame(f"A moderator removed you from {space.name}{because}")
    frame = _kick_frame(f"Your account is suspended until {when(until)}{because}")
    frame["until"] = until.isoformat() if until else None
    return "kick", frame


# Flags from the room: the live protocol sends whatever reason the client chose.


def flag_reason(reason: str, details: str = "") -> dict:
    """``reason`` as moderation's flag fields: a category's value or label picks it; any other
    text becomes the details of an "other" flag."""
    text = (reason or "").strip()
    for value, label in FlagReason.choices:
        if text.casefold() in (value, label.casefold()):
            return {"reason": value, "details": details}
    extra = " ".join(part for part in (text, (details or "").strip()) if part)
    return {"reason": FlagReason.OTHER, "details": extra[:1000]}


# What a reporter may write, as the flag form allows (``Flag.details``).
FLAG_REASON_MAX = 1000


def check_flag_reason(reason) -> dict:
    """The one rule for a live report's reason, the main room's and a breakout room's: some
    text, and no more than the flag form takes (refused, never cut short). Returns the flag's
    fields (:func:`flag_reason`)."""
    if not isinstance(reason, str) or not reason.strip():
        raise LiveRefusal("invalid", "Say why you are flagging this message.")
    if len(reason) > FLAG_REASON_MAX:
        raise LiveRefusal(
            "too_long", f"Keep the reason to {FLAG_REASON_MAX:,} characters or fewer."
        )
    return flag_reason(reason)


def flag_event(*, actor: User, session: LiveSession, seq, reason) -> None:
    """Flag a live message or question for the space's moderators."""
    fields = check_flag_reason(reason)
    with transaction.atomic():
        session = LiveSession.objects.select_related("space").get(pk=session.pk)
        policy.check_in_room(actor, session)
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise LiveRefusal("invalid", "seq must be a whole number.")
        event = (
            LiveEvent.objects.select_related("session", "session__space", "author")
            .filter(session=session, seq=seq, kind__in=SPEAKING)
            .first()
        )
        if event is None:
            raise LiveRefusal("invalid", "There is no such message in this session.")
        try:
            moderation_services.flag_item(actor=actor, target=event, **fields)
        except Http404 as exc:
            raise LiveRefusal("invalid", "That message was removed.") from exc
        except ValidationError as exc:
            raise LiveRefusal("invalid", " ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise LiveRefusal("forbidden", str(exc)) from exc
        # The facilitators' console lists it (what it is about, never who reported it).
        broadcast_on_commit(
            facilitators_group(session.pk),
            {
                "type": "report",
                "target_seq": event.seq,
                "reason": FlagReason(fields["reason"]).label,
            },
            handler="live.push",
        )


# Presence: rows shared by every process; a member shows once however many tabs they open.

# Both read on every join: compiled once (realtime.compiled).
_LOCK_MEMBER = CompiledValues(
    lambda user_id: User.objects.select_for_update().filter(pk=user_id).values_list("pk"),
    "user_id",
)
_SOCKETS_HERE = CompiledValues(
    lambda session_id, user_id: (
        Presence.objects.filter(session_id=session_id, user_id=user_id)
        .order_by("connected_at", "pk")
        .values_list("channel_name")
    ),
    "session_id",
    "user_id",
)


@transaction.atomic
def join_presence(*, user: User, session_id: int, channel_name: str) -> list[str]:
    """Record one open socket. At the member's socket cap the newest socket wins: their oldest
    ones are dropped and told so. That also heals rows left by a process that died (kill -9)
    without closing its sockets, which would otherwise lock the member out for good.
    Returns the channel names evicted."""
    # The member's row serializes their own connects, so two at once cannot both slip under.
    _LOCK_MEMBER.rows(user_id=user.pk)
    cap = policy.max_sockets_per_member()
    held = [name for (name,) in _SOCKETS_HERE.rows(session_id=session_id, user_id=user.pk)]
    evicted = held[: max(0, len(held) - cap + 1)]
    if evicted:
        Presence.objects.filter(channel_name__in=evicted).delete()
        notice = {
            "type": "notice",
            "detail": f"You opened this session in more than {cap} places, so this one has closed.",
        }
        for old_channel in evicted:
            kick_channel_on_commit(old_channel, frame=notice)
    # A channel name is new for each socket: one INSERT (constant queries per join, SPEC.md
    # and issue 17's join storm).
    Presence.objects.create(channel_name=channel_name, session_id=session_id, user=user)
    if not held:  # their first socket here: note that they came (who may give feedback)
        Attendance.objects.bulk_create(
            [Attendance(session_id=session_id, user=user)], ignore_conflicts=True
        )
    # No broadcast per join: the consumer coalesces presence (at most a frame a second a room).
    return evicted


@transaction.atomic
def leave_presence(*, user: User, session_id: int, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).delete()


# Scheduling, registration and retention (HTTP views and management commands).

SESSION_FIELDS = [
    "title",
    "description",
    "starts_at",
    "ends_at",
    "capacity",
    "chatham_house",
    "retention_days",
    "questions_need_approval",
    "call_url",
]


def _clean_call_url(url) -> str:
    """An https link to an allowed call host (settings.LIVE_CALL_HOSTS), or ""."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValidationError({"call_url": "The call link must start with https://."})
    if not policy.call_host_allowed(parts.hostname):
        raise ValidationError(
            {"call_url": "Use a Microsoft Teams or Zoom link: other call services are not allowed."}
        )
    return url


def _apply_fields(session: LiveSession, data: dict) -> None:
    for field in SESSION_FIELDS:
        if field in data:
            setattr(session, field, data[field])
    session.call_url = _clean_call_url(session.call_url)
    session.description_html = render_markdown(session.description)
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        raise ValidationError({"ends_at": "The end must be after the start."})
    session.full_clean()


@transaction.atomic
def create_session(
    *, actor: User, space: Space, facilitators: list[User] | None = None, **data
) -> LiveSession:
    policy.check_create_session(actor, space)
    # No control characters: the title goes into calendar files and email subjects.
    for field, clean in (("title", ics.single_line), ("description", ics.multi_line)):
        if isinstance(data.get(field), str):
            data[field] = clean(data[field])
    session = LiveSession(space=space, created_by=actor)
    _apply_fields(session, data)
    session.save()
    session.facilitators.set(facilitators or [actor])
    return session


@transaction.atomic
def update_session(
    *, actor: User, session: LiveSession, facilitators: list[User] | None = None, **data
) -> bool:
    session = _locked(session)
    policy.check_facilitate(actor, session)
    if session.status == LiveSession.Status.ENDED:
        raise PermissionDenied("An ended session cannot be edited.")
    for field, clean in (("title", ics.single_line), ("description", ics.multi_line)):
        if isinstance(data.get(field), str):
            data[field] = clean(data[field])
    before = {field: getattr(session, field) for field in SESSION_FIELDS}
    _apply_fields(session, data)
    session.save()
    changed = before != {field: getattr(session, field) for field in SESSION_FIELDS}
    wanted = None if facilitators is None else {u.pk for u in facilitators}
    if wanted is not None and set(session.facilitators.values_list("pk", flat=True)) != wanted:
        session.facilitators.set(facilitators)
        changed = True
    return changed


@transaction.atomic
def register(*, actor: User, session: LiveSession) -> bool:
    """Register for a session, within its capacity. Registering twice changes nothing."""
    session = _locked(session)
    policy.check_register(actor, session)
    if Registration.objects.filter(session=session, user=actor).exists():
        return False
    if session.capacity and session.registrations.count() >= session.capacity:
        raise PermissionDenied("This session is full.")
    Registration.objects.create(session=session, user=actor)
    return True


@transaction.atomic
def cancel_registration(*, actor: User, session: LiveSession) -> bool:
    session = _locked(session)
    policy.check_see_session(actor, session)
    deleted, _ = Registration.objects.filter(session=session, user=actor).delete()
    return bool(deleted)


def _end_overdue(now: datetime) -> None:
    """End the sessions still not ended a day after their end time (nobody pressed "end"), as
    ``end_session`` would: chat unlocked, hands lowered, an ``end`` state event for the room."""
    overdue = LiveSession.objects.exclude(status=LiveSession.Status.ENDED).filter(
        ends_at__lt=now - timedelta(days=1)
    )
    for pk in list(overdue.values_list("pk", flat=True)):
        with transaction.atomic():
            session = _locked(pk)
            if session.status == LiveSession.Status.ENDED:
                continue
            session.status = LiveSession.Status.ENDED
            session.ended_at = now
            session.locked = False
            session.save(update_fields=["status", "ended_at", "locked"])
            if RaisedHand.objects.filter(session=session).delete()[0]:
                _push_hands(session)
            breakouts.close_open(session, "end")
            _append_state(session, "end")


def purge_expired(*, now: datetime | None = None) -> int:
    """End sessions left running a day past their end, then delete transcripts whose retention
    has ended; return how many sessions were purged. Idempotent: run it from cron."""
    now = now or timezone.now()
    _end_overdue(now)
    purged = 0
    candidates = LiveSession.objects.filter(
        status=LiveSession.Status.ENDED, ended_at__isnull=False, transcript_purged_at__isnull=True
    )
    for session in candidates.iterator():
        if session.ended_at + timedelta(days=session.retention_days) > now:
            continue
        with transaction.atomic():
            locked = _locked(session)
            if locked.transcript_purged_at is not None:
                continue
            locked.save(update_fields=_purge_transcript(locked, now))
            purged += 1
    return purged


def _purge_transcript(session: LiveSession, now: datetime) -> list[str]:
    """Delete everything said in ``session`` (the caller holds its row and saves the fields
    returned). Later events, such as the end itself, still follow on from ``last_seq``."""
    LiveEvent.objects.filter(session=session).delete()
    HeldQuestion.objects.filter(session=session).delete()
    BackchannelMessage.objects.filter(session=session).delete()
    breakouts.purge(session)
    FeedbackAnswer.objects.filter(session=session).delete()
    session.transcript_purged_at = now
    session.spotlight_seq = None
    return ["transcript_purged_at", "spotlight_seq"]


def send_reminders(*, within: timedelta, now: datetime | None = None) -> int:
    """Email each registered member of sessions starting within ``within``, once per session.

    The email carries the title, the time and a link: nothing said in the session. The session
    is marked reminded before any email goes, so a reminder is never sent twice; each email is
    sent on its own, and one that fails is logged (not retried) while the others still go.
    """
    now = now or timezone.now()
    sent = 0
    due = LiveSession.objects.filter(
        status__in=[LiveSession.Status.SCHEDULED, LiveSession.Status.OPEN],
        starts_at__gt=now,
        starts_at__lte=now + within,
        reminder_sent_at__isnull=True,
    )
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    for session in due.select_related("space"):
        with transaction.atomic():
            locked = _locked(session)
            if locked.reminder_sent_at is not None:
                continue
            locked.reminder_sent_at = now
            locked.save(update_fields=["reminder_sent_at"])
            recipients = [
                registration.user
                for registration in locked.registrations.select_related("user").filter(
                    user__is_active=True
                )
                if community_policy.can_read_space(registration.user, locked.space)
            ]
        # A title stored before titles were cleaned must not break the subject header.
        title = ics.single_line(locked.title)
        starts = timezone.localtime(locked.starts_at).strftime("%A %d %B %Y, %H:%M")
        link = f"{base}{reverse('live_room', args=[locked.pk])}"
        for user in recipients:
            try:
                send_mail(
                    subject=f"Reminder: {title} starts {starts}",
                    message=(
                        f"Hello {user.display_name},\n\n"
                        f"You registered for “{title}” in {locked.space.name}. "
                        f"It starts {starts}.\n\nJoin the room: {link}\n"
                    ),
                    from_email=None,
                    recipient_list=[user.email],
                )
            except Exception:
                logger.exception(
                    "Reminder for live session %s to member %s failed", locked.pk, user.pk
                )
                continue
            sent += 1
    return sent


FEEDBACK_TEXT_MAX = 2000


@transaction.atomic
def give_feedback(*, actor: User, session: LiveSession, safety, helped: str, change: str) -> bool:
    """Store one anonymous answer: that ``actor`` answered, and apart from it what was said."""
    session = _locked(session)
    policy.check_give_feedback(actor, session)
    if isinstance(safety, bool) or not isinstance(safety, int) or not 1 <= safety <= 5:
        raise ValidationError({"safety": "Choose how safe the session felt, from 1 to 5."})
    helped, change = (helped or "").strip(), (change or "").strip()
    for field, text in (("helped", helped), ("change", change)):
        if len(text) > FEEDBACK_TEXT_MAX:
            raise ValidationError(
                {field: f"Write at most {FEEDBACK_TEXT_MAX:,} characters; this has {len(text):,}."}
            )
    FeedbackSubmission.objects.create(session=session, user=actor)
    FeedbackAnswer.objects.create(session=session, safety=safety, helped=helped, change=change)
    return True
