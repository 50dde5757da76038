"""The member's live-session rows for their data export (``community.site.account_data``).

Every realtime row that names a member is listed in :data:`COVERED`, with the export key that
carries it (a test holds the list to the models, so a new column naming a member fails until it
is exported or its omission is explained here). Nothing of another member goes out: a question
they upvoted is named by its number, not its words or asker; a held question's decider, a
removal's remover, a summary's drafter are not named.

Decisions:

- **Feedback answers** are stored apart from who gave them (``FeedbackAnswer`` has no member
  and no time, which is what keeps them anonymous to facilitators and staff). The export says
  which sessions the member gave feedback on (``FeedbackSubmission``); it cannot, by design,
  say what they answered, and the key's note says so.
- **Poll votes** are anonymous to everyone else (only counts leave the server), but a vote is
  the member's own row: the export gives their own choice, with the poll's question and the
  option's text (words the whole room was shown, like a thread's title), never who opened it.
- **Held questions** give the member's words, what became of them, and the reason when a
  facilitator declined one (the reason was told to them), never who decided.
- The calendar feed's token is a credential, so only that a feed exists and since when.
- Presence rows give when they connected, not the connection's internal channel name.
"""

from __future__ import annotations

from typing import Any

from community.models import User

from .models import (
    Attendance,
    BackchannelMessage,
    BreakoutMember,
    BreakoutMessage,
    BreakoutRound,
    CalendarFeed,
    FeedbackSubmission,
    HeldQuestion,
    LiveEvent,
    LiveSession,
    LiveSummary,
    ParticipantRemoval,
    PollVote,
    Presence,
    QuestionUpvote,
    RaisedHand,
    Registration,
    SummaryQuote,
)

# (model, field naming the member) -> the export key that carries the member's rows.
COVERED: dict[tuple[str, str], str] = {
    ("LiveSession", "created_by"): "live_sessions_scheduled",
    ("LiveSession", "facilitators"): "live_sessions_facilitated",
    ("Registration", "user"): "live_registrations",
    ("LiveEvent", "author"): "live_messages",  # messages, questions and the polls they opened
    ("QuestionUpvote", "user"): "live_question_upvotes",
    ("HeldQuestion", "author"): "live_held_questions",
    ("HeldQuestion", "decided_by"): "live_held_questions_decided",
    ("BackchannelMessage", "author"): "live_backchannel_messages",
    ("PollVote", "user"): "live_poll_votes",
    ("RaisedHand", "user"): "live_raised_hands",
    ("Presence", "user"): "live_connections",
    ("ParticipantRemoval", "user"): "live_removals",
    ("ParticipantRemoval", "removed_by"): "live_removals_made",
    ("CalendarFeed", "user"): "live_calendar_feed",
    ("Attendance", "user"): "live_attendance",
    ("FeedbackSubmission", "user"): "live_feedback_given",
    ("LiveSummary", "drafted_by"): "live_summaries_drafted",
    ("BreakoutMessage", "author"): "live_breakout_messages",
    ("BreakoutMember", "user"): "live_breakout_rooms",
    ("BreakoutRound", "opened_by"): "live_breakout_rounds_opened",
}

FEEDBACK_NOTE = (
    "Your feedback answers are stored apart from your account, so that nobody can tell who "
    "gave them: this export can list the sessions you gave feedback on, not what you said."
)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _messages(user: User) -> list[dict[str, Any]]:
    out = []
    for e in (
        LiveEvent.objects.filter(
            author=user,
            kind__in=[LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION, LiveEvent.Kind.POLL_OPEN],
        )
        .select_related("session")
        .order_by("created", "pk")
    ):
        row: dict[str, Any] = {
            "session": e.session.title,
            "seq": e.seq,
            "kind": e.kind,
            "anonymous": e.anonymous,
            "body": e.body,
            "created": _iso(e.created),
        }
        if e.kind == LiveEvent.Kind.POLL_OPEN:
            row["poll"] = {
                "question": e.data.get("question", ""),
                "options": list(e.data.get("options", [])),
            }
        out.append(row)
    return out


def _poll_votes(user: User) -> list[dict[str, Any]]:
    out = []
    for v in PollVote.objects.filter(user=user).select_related("poll__session").order_by("pk"):
        options = v.poll.data.get("options", [])
        out.append(
            {
                "session": v.poll.session.title,
                "poll_id": v.poll.seq,
                "question": v.poll.data.get("question", ""),
                "option": v.option,
                "option_text": options[v.option] if v.option < len(options) else "",
                "updated": _iso(v.updated),
            }
        )
    return out


def _held_questions(user: User) -> list[dict[str, Any]]:
    return [
        {
            "session": h.session.title,
            "body": h.body,
            "anonymous": h.anonymous,
            "status": h.status,
            # Told to the asker when declined; nothing else is said about the decision.
            "reason": h.reason if h.status == HeldQuestion.Status.DECLINED else "",
            "question_seq": h.question_seq,
            "created": _iso(h.created),
        }
        for h in HeldQuestion.objects.filter(author=user)
        .select_related("session")
        .order_by("created", "pk")
    ]


def _summary_quotes(user: User) -> list[dict[str, Any]]:
    """Their messages picked for a session's summary: which message, and whether withdrawn."""
    return [
        {
            "session": q.summary.session.title,
            "message_seq": q.event.seq,
            "added_at": _iso(q.added_at),
            "withdrawn_at": _iso(q.withdrawn_at),
            "summary_published": q.summary.published_at is not None,
        }
        for q in SummaryQuote.objects.filter(event__author=user)
        .select_related("event", "summary__session")
        .order_by("added_at", "pk")
    ]


def _by_session(qs, when: str) -> list[dict[str, Any]]:
    return [
        {"session": row.session.title, when: _iso(getattr(row, when))}
        for row in qs.select_related("session").order_by(when, "pk")
    ]


def export_for(user: User) -> dict[str, Any]:
    """Every live-session row of ``user``, one key per row kind (see :data:`COVERED`)."""
    feed = CalendarFeed.objects.filter(user=user).first()
    return {
        "live_messages": _messages(user),
        "live_question_upvotes": [
            # Which question, not its text or asker: those are another member's.
            {
                "session": u.question.session.title,
                "question_seq": u.question.seq,
                "created": _iso(u.created),
            }
            for u in QuestionUpvote.objects.filter(user=user)
            .select_related("question__session")
            .order_by("created", "pk")
        ],
        "live_registrations": [
            {"session": r.session.title, "registered_at": _iso(r.created_at)}
            for r in Registration.objects.filter(user=user)
            .select_related("session")
            .order_by("created_at", "pk")
        ],
        "live_held_questions": _held_questions(user),
        "live_held_questions_decided": [
            # What they decided as a facilitator, not the asker's words or name.
            {"session": h.session.title, "status": h.status}
            for h in HeldQuestion.objects.filter(decided_by=user)
            .select_related("session")
            .order_by("created", "pk")
        ],
        "live_poll_votes": _poll_votes(user),
        "live_summary_quotes": _summary_quotes(user),
        "live_backchannel_messages": [
            {"session": m.session.title, "body": m.body, "created": _iso(m.created)}
            for m in BackchannelMessage.objects.filter(author=user)
            .select_related("session")
            .order_by("created", "pk")
        ],
        "live_breakout_messages": [
            # Their own words in breakout rooms (realtime.breakouts), never the others' there.
            {
                "session": m.room.round.session.title,
                "room": m.room.name,
                "body": m.body,
                "created": _iso(m.created),
            }
            for m in BreakoutMessage.objects.filter(author=user, removed=False)
            .select_related("room__round__session")
            .order_by("created", "pk")
        ],
        "live_breakout_rooms": [
            # Which room they were placed in, not who else was there.
            {
                "session": b.round.session.title,
                "room": b.room.name,
                "opened_at": _iso(b.round.opened_at),
            }
            for b in BreakoutMember.objects.filter(user=user)
            .select_related("round__session", "room")
            .order_by("round__opened_at", "pk")
        ],
        "live_breakout_rounds_opened": [
            {"session": r.session.title, "opened_at": _iso(r.opened_at)}
            for r in BreakoutRound.objects.filter(opened_by=user)
            .select_related("session")
            .order_by("opened_at", "pk")
        ],
        "live_summaries_drafted": [
            {
                "session": s.session.title,
                "themes": s.themes,
                "created_at": _iso(s.created_at),
                "published_at": _iso(s.published_at),
            }
            for s in LiveSummary.objects.filter(drafted_by=user)
            .select_related("session")
            .order_by("created_at", "pk")
        ],
        "live_sessions_scheduled": [
            {"session": s.title, "starts_at": _iso(s.starts_at)}
            for s in LiveSession.objects.filter(created_by=user).order_by("starts_at", "pk")
        ],
        "live_sessions_facilitated": [
            {"session": s.title, "starts_at": _iso(s.starts_at)}
            for s in LiveSession.objects.filter(facilitators=user).order_by("starts_at", "pk")
        ],
        "live_removals": [
            # The reason they were given; not who removed them.
            {"session": r.session.title, "reason": r.reason, "created": _iso(r.created)}
            for r in ParticipantRemoval.objects.filter(user=user)
            .select_related("session")
            .order_by("created", "pk")
        ],
        "live_removals_made": _by_session(
            ParticipantRemoval.objects.filter(removed_by=user), "created"
        ),
        "live_raised_hands": _by_session(RaisedHand.objects.filter(user=user), "raised_at"),
        "live_connections": _by_session(Presence.objects.filter(user=user), "connected_at"),
        "live_attendance": _by_session(Attendance.objects.filter(user=user), "first_seen"),
        "live_feedback_given": {
            "note": FEEDBACK_NOTE,
            "sessions": [
                f.session.title
                for f in FeedbackSubmission.objects.filter(user=user)
                .select_related("session")
                .order_by("pk")
            ],
        },
        "live_calendar_feed": {"created_at": _iso(feed.created_at)} if feed else None,
    }
