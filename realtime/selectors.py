"""Reads for live sessions; every one starts from ``LiveSession.objects.visible_to``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from community.models import AuditAction, AuditEntry, Membership, Space, User
from moderation.models import Flag

from . import policy
from .compiled import CompiledValues
from .models import (
    BackchannelMessage,
    FeedbackAnswer,
    HeldQuestion,
    LiveEvent,
    LiveSession,
    PollVote,
    Presence,
    RaisedHand,
    Registration,
)


def backfill_cap() -> int:
    """The most events one ``hello`` replays; beyond it the client is told to ``resync``."""
    return int(getattr(settings, "LIVE_BACKFILL_MAX", 1000))


def sessions_for_member(user) -> QuerySet[LiveSession]:
    """Upcoming and current sessions in the member's spaces, with registration figures."""
    return (
        LiveSession.objects.visible_to(user)
        .upcoming_or_current()
        .select_related("space")
        .annotate(
            registered_count=Count("registrations", distinct=True),
            is_registered=Exists(Registration.objects.filter(session=OuterRef("pk"), user=user)),
        )
    )


def past_sessions_for_member(user) -> QuerySet[LiveSession]:
    return (
        LiveSession.objects.visible_to(user)
        .filter(status=LiveSession.Status.ENDED)
        .select_related("space")
        .order_by("-starts_at")
    )


def visible_session(user, session_id: int) -> LiveSession | None:
    return (
        LiveSession.objects.visible_to(user).select_related("space").filter(pk=session_id).first()
    )


def person(user) -> dict:
    return {"id": user.pk, "display_name": user.display_name}


def event_frame(event: LiveEvent, *, upvotes: int | None = None, attributed: bool = True) -> dict:
    """The protocol frame of a stored event. A removed message is replayed without its body;
    without ``attributed`` (a Chatham House session that has ended) no author is named."""
    frame: dict = {"type": event.kind, "seq": event.seq, "created": event.created.isoformat()}
    if event.kind in (LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION):
        show_author = (
            attributed and event.author_id is not None and not event.anonymous and not event.removed
        )
        frame.update(
            author=person(event.author) if show_author else None,
            body_html="" if event.removed else event.body_html,
            client_msg_id=event.client_msg_id,
            reply_to=event.reply_to,
        )
        if event.removed:
            frame["removed"] = True
        if event.kind == LiveEvent.Kind.QUESTION:
            frame["anonymous"] = event.anonymous
            frame["upvotes"] = upvotes if upvotes is not None else event.upvotes.count()
    elif event.kind == LiveEvent.Kind.REMOVED:
        frame["target_seq"] = event.target_seq
    elif event.kind == LiveEvent.Kind.POLL_OPEN:
        frame.update(
            poll_id=event.seq,
            question=event.data.get("question", ""),
            options=event.data.get("options", []),
        )
    elif event.kind == LiveEvent.Kind.POLL_CLOSE:
        frame.update(poll_id=event.target_seq)
    elif event.kind in (LiveEvent.Kind.BREAKOUT_OPEN, LiveEvent.Kind.BREAKOUT_CLOSE):
        # Which rooms and until when, or the return notice: never who is in which room.
        frame.update(event.data)
    else:
        frame.update(change=event.data.get("change"), session=event.data.get("session", {}))
    return frame


def attribution_shown(session_id: int) -> bool:
    """:func:`realtime.policy.shows_attribution` for a session known by id (one query)."""
    session = LiveSession.objects.filter(pk=session_id).only("chatham_house", "status").first()
    return session is not None and policy.shows_attribution(session)


def events_after(
    session_id: int,
    after_seq: int,
    *,
    until_seq: int | None = None,
    limit: int,
    attributed: bool | None = None,
):
    """Stored events with ``after_seq < seq <= until_seq``, in order, at most ``limit``, named
    as the session's state allows (``attributed`` None: read it)."""
    if attributed is None:
        attributed = attribution_shown(session_id)
    qs = (
        LiveEvent.objects.filter(session_id=session_id, seq__gt=after_seq)
        .select_related("author")
        .annotate(upvote_count=Count("upvotes"))
        .order_by("seq")
    )
    if until_seq is not None:
        qs = qs.filter(seq__lte=until_seq)
    return [
        event_frame(event, upvotes=event.upvote_count, attributed=attributed)
        for event in qs[:limit]
    ]


def author_reveal(event: LiveEvent) -> dict:
    """For moderators only: who wrote an anonymous message or question (no ``seq``: not stream)."""
    return {"type": "author", "target_seq": event.seq, "author": person(event.author)}


def reveals_after(session_id: int, after_seq: int, *, until_seq: int) -> list[dict]:
    """The author frames a moderator needs for the anonymous events of a replay."""
    qs = LiveEvent.objects.filter(
        session_id=session_id,
        seq__gt=after_seq,
        seq__lte=until_seq,
        anonymous=True,
        author__isnull=False,
    ).select_related("author")
    return [author_reveal(event) for event in qs.order_by("seq")]


def poll_counts(poll: LiveEvent) -> list[int]:
    """How many chose each option of ``poll`` (a ``poll.open`` event); never who."""
    counts = [0] * len(poll.data.get("options", []))
    rows = PollVote.objects.filter(poll=poll).values_list("option").annotate(n=Count("pk"))
    for option, n in rows:
        if 0 <= option < len(counts):
            counts[option] = n
    return counts


def poll_results(poll: LiveEvent, counts: list[int] | None = None) -> dict:
    counts = poll_counts(poll) if counts is None else counts
    return {
        "type": "poll.results",
        "poll_id": poll.seq,
        "counts": counts,
        "total": sum(counts),
        "closed": bool(poll.data.get("closed")),
    }


def results_public(results: dict) -> bool:
    """Participants see a poll's results once 5 have voted or it is closed (SPEC.md)."""
    return results["closed"] or results["total"] >= POLL_RESULTS_AFTER


POLL_RESULTS_AFTER = 5


def held_frame(held: HeldQuestion) -> dict:
    """For facilitators: a question waiting for approval (no author when asked anonymously)."""
    return {
        "type": "question.held",
        "id": held.pk,
        "body_html": held.body_html,
        "anonymous": held.anonymous,
        "author": None if held.anonymous else person(held.author),
        "created": held.created.isoformat(),
    }


def own_held_frame(held: HeldQuestion) -> dict:
    """For the asker: their own question, waiting."""
    return {
        "type": "question.waiting",
        "id": held.pk,
        "body_html": held.body_html,
        "client_msg_id": held.client_msg_id,
    }


def held_state_for(
    session: LiveSession, user, *, facilitating: bool, attributed: bool = True
) -> list[dict]:
    """On (re)connect: how many wait; the facilitators' list, or the asker's own. Three
    queries at most, whatever the numbers."""
    waiting = (
        list(
            HeldQuestion.objects.filter(session=session, status=HeldQuestion.Status.WAITING)
            .select_related("author")
            .order_by("created", "pk")
        )
        if getattr(session, "_has_held", True)  # with_room_flags said whether any wait
        else []
    )
    if not waiting and not session.questions_need_approval:
        return []
    frames: list[dict] = [{"type": "questions.waiting", "count": len(waiting)}]
    for held in waiting:
        if facilitating:
            frame = held_frame(held)
            if not attributed:
                frame["author"] = None
            frames.append(frame)
        elif held.author_id == user.pk:
            frames.append(own_held_frame(held))
    return frames


def backchannel_frame(message: BackchannelMessage) -> dict:
    return {
        "type": "backchannel",
        "id": message.pk,
        "author": person(message.author) if message.author_id else None,
        "body_html": message.body_html,
        "client_msg_id": message.client_msg_id,
        "created": message.created.isoformat(),
    }


BACKCHANNEL_REPLAY = 200


def backchannel_after(session_id: int, after_id: int) -> list[dict]:
    """The backchannel since ``after_id`` (its own order, not the room's ``seq``), at most the
    last ``BACKCHANNEL_REPLAY``. Call only for someone :func:`policy.can_use_backchannel`."""
    rows = (
        BackchannelMessage.objects.filter(session_id=session_id, pk__gt=after_id)
        .select_related("author")
        .order_by("-pk")[:BACKCHANNEL_REPLAY]
    )
    return [backchannel_frame(message) for message in reversed(list(rows))]


def has_polls(session_id: int) -> bool:
    return LiveEvent.objects.filter(session_id=session_id, kind=LiveEvent.Kind.POLL_OPEN).exists()


def poll_state_for(
    session_id: int, user, *, facilitating: bool, replayed_after: int | None = None
) -> list[dict]:
    """What a (re)connecting client needs of the session's polls beyond the stream: polls from
    before ``replayed_after`` (the room page does not render them), the results it may see and
    its own choice in each (``poll.voted``). A fixed number of queries."""
    polls = list(
        LiveEvent.objects.filter(session_id=session_id, kind=LiveEvent.Kind.POLL_OPEN).order_by(
            "seq"
        )
    )
    if not polls:
        return []
    counts: dict[int, list[int]] = {
        poll.pk: [0] * len(poll.data.get("options", [])) for poll in polls
    }
    rows = (
        PollVote.objects.filter(poll__in=polls)
        .values_list("poll_id", "option")
        .annotate(n=Count("pk"))
    )
    for poll_id, option, n in rows:
        if 0 <= option < len(counts[poll_id]):
            counts[poll_id][option] = n
    mine = dict(PollVote.objects.filter(poll__in=polls, user=user).values_list("poll_id", "option"))
    frames: list[dict] = []
    for poll in polls:
        if replayed_after is not None and poll.seq <= replayed_after:
            frames.append(event_frame(poll))
        results = poll_results(poll, counts[poll.pk])
        if facilitating or results_public(results):
            frames.append(results)
        if poll.pk in mine:
            frames.append({"type": "poll.voted", "poll_id": poll.seq, "option": mine[poll.pk]})
    return frames


def open_reports(session_id: int) -> list[dict]:
    """The open reports on the room's messages, and on the messages of its open breakout rooms
    (with their ``room_id``, as ``breakout.flag`` pushes them), one frame per message, oldest
    first: a facilitator who reconnects sees what they saw live. Two queries, three when a
    breakout message is reported, whatever the numbers."""
    from .models import BreakoutMessage

    types = ContentType.objects.get_for_models(
        LiveEvent, BreakoutMessage, for_concrete_models=False
    )  # one query for both, none once cached
    event_type, message_type = types[LiveEvent], types[BreakoutMessage]
    events = LiveEvent.objects.filter(session_id=session_id, kind__in=SPEAKING_KINDS)
    messages = BreakoutMessage.objects.filter(
        room__round__session_id=session_id, room__round__closed_at__isnull=True
    )
    flags = list(
        Flag.objects.open()
        .filter(
            Q(target_type=event_type, target_id__in=events.values("pk"))
            | Q(target_type=message_type, target_id__in=messages.values("pk"))
        )
        .order_by("created_at", "pk")
    )
    wanted = {
        kind: {f.target_id for f in flags if f.target_type_id == kind.pk}
        for kind in (event_type, message_type)
    }
    seqs = dict(events.filter(pk__in=wanted[event_type]).values_list("pk", "seq"))
    rooms = {
        pk: (room_id, seq)
        for pk, room_id, seq in (
            messages.filter(pk__in=wanted[message_type]).values_list("pk", "room_id", "seq")
            if wanted[message_type]
            else ()
        )
    }
    frames: dict[tuple[int, int], dict] = {}
    for flag in flags:
        key = (flag.target_type_id, flag.target_id)
        if key in frames:
            continue
        reason = flag.get_reason_display()
        if flag.target_type_id == event_type.pk and flag.target_id in seqs:
            frames[key] = {"type": "report", "target_seq": seqs[flag.target_id], "reason": reason}
        elif flag.target_type_id == message_type.pk and flag.target_id in rooms:
            room_id, seq = rooms[flag.target_id]
            frames[key] = {
                "type": "report",
                "room_id": room_id,
                "target_seq": seq,
                "reason": reason,
            }
    return list(frames.values())


SPEAKING_KINDS = [LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION]


def with_room_flags(sessions: QuerySet) -> QuerySet:
    """Annotate whether each session has polls, waiting questions and raised hands, so that a
    ``hello`` in a room without them asks nothing more about them (the join storm of a room
    that has just opened)."""
    return sessions.annotate(
        _has_polls=Exists(
            LiveEvent.objects.filter(session=OuterRef("pk"), kind=LiveEvent.Kind.POLL_OPEN)
        ),
        _has_held=Exists(
            HeldQuestion.objects.filter(session=OuterRef("pk"), status=HeldQuestion.Status.WAITING)
        ),
        _has_hands=Exists(RaisedHand.objects.filter(session=OuterRef("pk"))),
    )


def _present_query(session_id: int) -> QuerySet:
    return (
        Presence.objects.filter(session_id=session_id)
        .values_list("user_id", "user__display_name")
        .distinct()
        .order_by("user__display_name", "user_id")
    )


# Every welcome and every presence snapshot reads these: compiled once (realtime.compiled).
_PRESENT = CompiledValues(_present_query, "session_id")


def present(session_id: int) -> list[dict]:
    """Members with at least one open connection to the room, by name."""
    return [{"id": uid, "display_name": name} for uid, name in _PRESENT.rows(session_id=session_id)]


# Rooms over this many people show participants a count and the facilitators, not everyone.
PRESENCE_FULL_LIST_MAX = 50


def _facilitates(session_id: int) -> Q:
    """Users who facilitate the session: its facilitators, the space's active facilitators and
    moderators, staff (``policy.can_facilitate``, as one filter, the space read in SQL)."""
    space_id = LiveSession.objects.filter(pk=session_id).values("space_id")[:1]
    return (
        Q(is_staff=True)
        | Q(facilitated_sessions=session_id)
        | Q(
            Q(memberships__is_facilitator=True) | Q(memberships__is_moderator=True),
            memberships__space_id=Subquery(space_id),
            memberships__status=Membership.Status.ACTIVE,
        )
    )


def present_facilitators(session_id: int, people: list[dict]) -> list[dict]:
    """Those of ``people`` who facilitate the session (its facilitators, the space's
    facilitators and moderators, staff). One query."""
    if not people:
        return []
    ids = set(
        User.objects.filter(pk__in=[p["id"] for p in people])
        .filter(_facilitates(session_id))
        .values_list("pk", flat=True)
    )
    return [person for person in people if person["id"] in ids]


def _present_count_query(session_id: int) -> QuerySet:
    counts = (
        Presence.objects.filter(session_id=OuterRef("pk"))
        .order_by()
        .values("session_id")
        .annotate(n=Count("user_id", distinct=True))
        .values("n")
    )
    return LiveSession.objects.filter(pk=session_id).values_list(Subquery(counts))


def _present_facilitators_query(session_id: int) -> QuerySet:
    facilitators = User.objects.filter(_facilitates(session_id)).values("pk")
    return (
        Presence.objects.filter(session_id=session_id, user_id__in=facilitators)
        .values_list("user_id", "user__display_name")
        .distinct()
        .order_by("user__display_name", "user_id")
    )


_PRESENT_COUNT = CompiledValues(_present_count_query, "session_id")
_PRESENT_FACILITATORS = CompiledValues(_present_facilitators_query, "session_id")


def present_count(session_id: int) -> int:
    """How many members have a socket open in the room. One query."""
    rows = _PRESENT_COUNT.rows(session_id=session_id)
    return (rows[0][0] or 0) if rows else 0


def presence_for(session_id: int, *, facilitating: bool) -> dict:
    """Who is here as this viewer may see it: everyone, or (a participant in a room over
    ``PRESENCE_FULL_LIST_MAX``) the count and the facilitators. At most two queries, and for a
    participant in a large room only the facilitators' rows are read, not everyone's: each
    join of a storm costs the same however full the room is."""
    if facilitating:
        people = present(session_id)
        return {"present": people, "count": len(people), "summary": False}
    count = present_count(session_id)
    if count <= PRESENCE_FULL_LIST_MAX:
        people = present(session_id)
        count = len(people)  # joins between the two reads: the list is the truth
        if count <= PRESENCE_FULL_LIST_MAX:
            return {"present": people, "count": count, "summary": False}
    rows = _PRESENT_FACILITATORS.rows(session_id=session_id)
    return {
        "present": [{"id": uid, "display_name": name} for uid, name in rows],
        "count": count,
        "summary": True,
    }


def presence_frames(session_id: int, previous: list[dict]) -> tuple[list[tuple[str, dict]], list]:
    """The coalesced presence frames for a room, as (audience, frame) with audience "all",
    "facilitators" or "participants", and the snapshot to diff the next ones against.
    ``action`` and ``user`` say what changed since ``previous`` when it was one kind of change."""
    people = present(session_id)
    before = {person["id"]: person for person in previous}
    now = {person["id"]: person for person in people}
    joined = [now[i] for i in now if i not in before]
    left = [before[i] for i in before if i not in now]
    frame: dict = {"type": "presence", "action": "sync", "count": len(people)}
    if joined and not left:
        frame.update(action="join", user=joined[-1])
    elif left and not joined:
        frame.update(action="leave", user=left[-1])
    if len(people) <= PRESENCE_FULL_LIST_MAX:
        return [("all", {**frame, "present": people})], people
    summary = {
        "type": "presence",
        "action": frame["action"],
        "count": len(people),
        "present": present_facilitators(session_id, people),
        "summary": True,
    }
    return [("facilitators", {**frame, "present": people}), ("participants", summary)], people


def hands(session_id: int) -> list[dict]:
    return [
        {
            "id": hand.user_id,
            "display_name": hand.user.display_name,
            "raised_at": hand.raised_at.isoformat(),
        }
        for hand in RaisedHand.objects.filter(session_id=session_id).select_related("user")
    ]


def recent_events(session: LiveSession, *, limit: int = 200) -> list[dict]:
    """The latest events for the room page's first paint, oldest first."""
    start = max(0, session.last_seq - limit)
    return events_after(
        session.pk,
        start,
        until_seq=session.last_seq,
        limit=limit,
        attributed=policy.shows_attribution(session),
    )


def transcript(session: LiveSession) -> QuerySet[LiveEvent]:
    """What the transcript keeps: messages and questions not removed, and polls (their question
    and totals, from ``poll_totals``), in order."""
    return (
        LiveEvent.objects.filter(
            session=session,
            kind__in=[LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION, LiveEvent.Kind.POLL_OPEN],
            removed=False,
        )
        .select_related("author")
        .annotate(upvote_count=Count("upvotes"))
        .order_by("seq")
    )


def with_poll_totals(events: list[LiveEvent]) -> list[LiveEvent]:
    """Give each poll of a transcript ``poll_totals``: (option, count) pairs. One query."""
    polls = [event for event in events if event.kind == LiveEvent.Kind.POLL_OPEN]
    if polls:
        rows = (
            PollVote.objects.filter(poll__in=polls)
            .values_list("poll_id", "option")
            .annotate(n=Count("pk"))
        )
        counts: dict[tuple[int, int], int] = {(pid, opt): n for pid, opt, n in rows}
        for poll in polls:
            options = poll.data.get("options", [])
            poll.poll_totals = [
                (text, counts.get((poll.pk, i), 0)) for i, text in enumerate(options)
            ]
            poll.poll_total = sum(n for _, n in poll.poll_totals)
    return events


def authors_revealed_to(user) -> set[int]:
    """The live messages whose withheld author ``user`` asked to see (each time audited)."""
    return set(
        AuditEntry.objects.filter(actor=user, action=AuditAction.LIVE_AUTHOR_REVEAL).values_list(
            "target_id", flat=True
        )
    )


def spaces_to_schedule_in(user) -> QuerySet:
    """Spaces where ``user`` may schedule sessions: their facilitators and moderators, staff."""
    if user.is_staff:
        return Space.objects.all()
    return Space.objects.filter(
        Q(memberships__is_facilitator=True) | Q(memberships__is_moderator=True),
        memberships__user=user,
        memberships__status=Membership.Status.ACTIVE,
    ).distinct()


def facilitator_choices(spaces) -> QuerySet:
    """People who could co-facilitate in ``spaces``: their active facilitators and moderators."""
    return (
        User.objects.filter(
            Q(memberships__is_facilitator=True) | Q(memberships__is_moderator=True),
            memberships__space__in=spaces,
            memberships__status=Membership.Status.ACTIVE,
        )
        .distinct()
        .order_by("display_name")
    )


def feedback_summary(session: LiveSession) -> dict:
    """Totals and comments of a session's feedback; all of it hidden below
    ``policy.FEEDBACK_SHOWN_FROM`` answers, so that no answer can be told apart. Two queries."""
    answers = list(
        FeedbackAnswer.objects.filter(session=session)
        .order_by("?")
        .values_list("safety", "helped", "change")
    )
    count = len(answers)
    if count < policy.FEEDBACK_SHOWN_FROM:
        return {"count": count, "shown": False}
    distribution = [(score, sum(1 for a in answers if a[0] == score)) for score in range(5, 0, -1)]
    return {
        "count": count,
        "shown": True,
        "average": round(sum(a[0] for a in answers) / count, 1),
        "distribution": distribution,
        "helped": [a[1] for a in answers if a[1]],
        "change": [a[2] for a in answers if a[2]],
    }
