"""Live facilitated sessions: the session, registrations, and one append-only event stream."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from community.models import Space


class LiveSessionQuerySet(models.QuerySet["LiveSession"]):
    def visible_to(self, user) -> LiveSessionQuerySet:
        """Sessions in spaces whose inside the user may see (active members and staff)."""
        return self.filter(space__in=Space.objects.readable_by(user))

    def upcoming_or_current(self) -> LiveSessionQuerySet:
        return self.exclude(status=LiveSession.Status.ENDED).order_by("starts_at", "pk")


class LiveSession(models.Model):
    """A facilitated live conversation in a space. ``last_seq`` is the stream's high-water mark."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        OPEN = "open", "Lobby open"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="live_sessions")
    title = models.CharField(max_length=160)
    description = models.TextField(max_length=4000, blank=True)
    description_html = models.TextField(blank=True, editable=False)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="facilitated_sessions", blank=True
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(
        default=100, help_text="How many members can register. 0 means no limit."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    chatham_house = models.BooleanField(
        "Chatham House rule",
        default=True,
        help_text="Names are shown live; the transcript kept afterwards carries no names.",
    )
    retention_days = models.PositiveIntegerField(
        "keep the transcript for (days)",
        default=30,
        help_text="0 means the transcript is not kept.",
    )
    questions_need_approval = models.BooleanField(
        "questions wait for approval",
        default=False,
        help_text="Members' questions reach only the facilitators until one approves them.",
    )
    call_url = models.URLField(
        "video call link",
        max_length=500,
        blank=True,
        help_text="Optional: the https link of the call this session runs beside (Microsoft "
        "Teams or Zoom). Only registered members see it, once the room is open.",
    )
    locked = models.BooleanField(default=False)
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    prompt = models.CharField(max_length=500, blank=True)
    spotlight_seq = models.PositiveBigIntegerField(null=True, blank=True)
    # Whether a breakout round is open (realtime.breakouts keeps it, under this row's lock): a
    # hello reads the rooms only then.
    breakouts_open = models.BooleanField(default=False, editable=False)
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    transcript_purged_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = LiveSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="live_session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("live_room", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def names_withheld(self) -> bool:
        """Chatham House, once ended: nothing said in it is attributed to anyone any more (not
        on the page, in a replay or a transcript); moderators reach the author of a flagged
        message through the review queue only, and that is audited."""
        return self.chatham_house and self.status == self.Status.ENDED

    def state(self) -> dict:
        """The room state every client mirrors (the ``session`` of ``welcome`` and ``state``)."""
        return {
            "id": self.pk,
            "title": self.title,
            "status": self.status,
            "locked": self.locked,
            "slow_mode": self.slow_mode_seconds,
            "prompt": self.prompt,
            "spotlight": self.spotlight_seq,
        }


class Registration(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_registrations"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="register_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.session}"


class LiveEvent(models.Model):
    """One entry of a session's append-only stream. ``seq`` runs 1, 2, 3… without gaps."""

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        QUESTION = "question", "Question"
        REMOVED = "message.removed", "Message removed"
        STATE = "state", "State change"
        POLL_OPEN = "poll.open", "Poll opened"
        POLL_CLOSE = "poll.close", "Poll closed"
        BREAKOUT_OPEN = "breakout.open", "Breakout rooms opened"
        BREAKOUT_CLOSE = "breakout.close", "Breakout rooms closed"

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="live_events",
    )
    anonymous = models.BooleanField(default=False)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # NULL, not "", for events without one: the unique constraint ignores NULLs.
    client_msg_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    reply_to = models.PositiveBigIntegerField(null=True, blank=True, help_text="seq replied to")
    target_seq = models.PositiveBigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    removed = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="live_event_seq_unique"),
            models.UniqueConstraint(
                fields=["session", "client_msg_id"], name="live_event_client_msg_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["session", "author", "created"])]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.kind}"

    def audit_label(self) -> str:
        """How the audit log and the review queue name it: never the (maybe anonymous) author."""
        return f"Live message #{self.seq} in “{self.session.title}”"


class QuestionUpvote(models.Model):
    question = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="upvotes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="upvote_question_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} upvoted {self.question_id}"


class HeldQuestion(models.Model):
    """A question waiting for a facilitator's approval (the session's "questions wait for
    approval"). Not in the stream until approved: then it is appended as a question event."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for approval"
        APPROVED = "approved", "Approved"
        MERGED = "merged", "Merged into another question"
        DECLINED = "declined", "Declined"

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="held")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    anonymous = models.BooleanField(default=False)
    body = models.TextField()
    body_html = models.TextField()
    client_msg_id = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    reason = models.CharField(max_length=500, blank=True)
    # The stream's question it became (approved) or joined (merged).
    question_seq = models.PositiveBigIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_msg_id"], name="held_question_client_msg_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Held question {self.pk} in {self.session_id} ({self.status})"


class BackchannelMessage(models.Model):
    """A message between the room's facilitators, the space's moderators and staff: never sent
    to participants, never in the transcript, purged with it."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="backchannel")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    body_html = models.TextField()
    client_msg_id = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_msg_id"], name="backchannel_client_msg_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Backchannel {self.pk} in {self.session_id}"


class PollVote(models.Model):
    """One member's choice in a poll (a ``poll.open`` event). Never shown with who chose it:
    only counts leave the server."""

    poll = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="poll_votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    option = models.PositiveSmallIntegerField()
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "user"], name="poll_vote_once")]

    def __str__(self) -> str:
        return f"{self.user_id} voted in {self.poll_id}"


class RaisedHand(models.Model):
    """A raised hand, in the order raised; lowering deletes the row."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="hands")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["raised_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_hand_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}'s hand in {self.session_id}"


class Presence(models.Model):
    """One open connection to a room. Rows are shared by every daphne process through the DB."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["session", "user"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.session_id} ({self.channel_name})"


class ParticipantRemoval(models.Model):
    """A member a facilitator removed from one session: they cannot rejoin it."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="removals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="remove_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} removed from {self.session_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret in a member's calendar feed address (``/live/feed.ics?token=…``). Resetting
    it replaces the token, so every copy of the old address stops working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"


class Attendance(models.Model):
    """A member who came into the room (their first connection): who may give feedback."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attend_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} attended {self.session_id}"


class FeedbackSubmission(models.Model):
    """That a member gave feedback on a session (once), never what they said."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.CASCADE, related_name="feedback_submissions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="feedback_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} gave feedback on {self.session_id}"


class FeedbackAnswer(models.Model):
    """One anonymous answer: no member and no time, so it cannot be tied to who gave it."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.CASCADE, related_name="feedback_answers"
    )
    safety = models.PositiveSmallIntegerField()
    helped = models.TextField(max_length=2000, blank=True)
    change = models.TextField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(safety__gte=1, safety__lte=5), name="feedback_safety_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"Feedback on {self.session_id}"


class LiveSummary(models.Model):
    """A facilitator's summary of an ended session: themes and quotes, published without names
    once everyone quoted has had 48 hours to withdraw (realtime.summaries)."""

    session = models.OneToOneField(LiveSession, on_delete=models.CASCADE, related_name="summary")
    themes = models.TextField(max_length=6000)
    themes_html = models.TextField(editable=False)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The published thread's id: realtime knows nothing of threads, the publisher stores it.
    published_thread_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Summary of {self.session_id}"


class SummaryQuote(models.Model):
    """A message of the session picked for its summary; its author may withdraw it for 48 hours
    from ``added_at``."""

    summary = models.ForeignKey(LiveSummary, on_delete=models.CASCADE, related_name="quotes")
    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event__seq"]
        constraints = [
            models.UniqueConstraint(fields=["summary", "event"], name="summary_quote_once")
        ]

    def __str__(self) -> str:
        return f"Quote of #{self.event_id} in summary {self.summary_id}"


# Breakout rooms (realtime.breakouts): a round splits the participants present into small text
# rooms for a set time. Each room has its own stream with its own gap-free ``seq``.


class BreakoutRound(models.Model):
    """One split of a session into rooms, from ``breakout.open`` until time is up or
    ``breakout.close``. At most one round of a session is open at a time."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.CASCADE, related_name="breakout_rounds"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_msg_id = models.CharField(max_length=64)
    opened_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The main stream's events that opened and closed it.
    open_seq = models.PositiveBigIntegerField(null=True, blank=True)
    close_seq = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_msg_id"], name="breakout_round_client_msg_id_unique"
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(closed_at__isnull=True),
                name="one_open_breakout_round",
            ),
        ]

    def __str__(self) -> str:
        return f"Breakout round {self.pk} of {self.session_id}"


class BreakoutRoom(models.Model):
    """One room of a round. ``last_seq`` is its own stream's high-water mark."""

    round = models.ForeignKey(BreakoutRound, on_delete=models.CASCADE, related_name="rooms")
    number = models.PositiveSmallIntegerField()
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # The last "call the facilitator" not yet answered by a facilitator's visit.
    called_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="breakout_room_number_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"Room {self.number}"


class BreakoutMember(models.Model):
    """A participant placed in a room (one room a round); their hand is raised in that room
    while ``hand_raised_at`` is set."""

    round = models.ForeignKey(BreakoutRound, on_delete=models.CASCADE, related_name="members")
    room = models.ForeignKey(BreakoutRoom, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    hand_raised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="one_breakout_room_a_round")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id}"


class BreakoutMessage(models.Model):
    """One message of a room's stream. ``seq`` runs 1, 2, 3… in each room without gaps."""

    room = models.ForeignKey(BreakoutRoom, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    client_msg_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    removed = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="breakout_message_seq_unique"),
            models.UniqueConstraint(
                fields=["room", "client_msg_id"], name="breakout_message_client_msg_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["room", "author", "created"])]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"

    def audit_label(self) -> str:
        """How the audit log and the review queue name it (never its author)."""
        return f"Breakout message #{self.seq} in {self.room.name}"
