"""Reads for live sessions; every one starts from ``LiveSession.objects.visible_to``."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from community.models import AuditAction, AuditEntry, Membership, Space, User

from . import policy
from .models import LiveEvent, LiveSession, Presence, RaisedHand, Registration


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


def present(session_id: int) -> list[dict]:
    """Members with at least one open connection to the room, by name."""
    rows = (
        Presence.objects.filter(session_id=session_id)
        .values_list("user_id", "user__display_name")
        .distinct()
        .order_by("user__display_name", "user_id")
    )
    return [{"id": uid, "display_name": name} for uid, name in rows]


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
    """What the transcript keeps: messages and questions not removed, in order."""
    return (
        LiveEvent.objects.filter(
            session=session,
            kind__in=[LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION],
            removed=False,
        )
        .select_related("author")
        .annotate(upvote_count=Count("upvotes"))
        .order_by("seq")
    )


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
