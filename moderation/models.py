"""Flags, watched words, moderators' notes on members, saved replies and the moderators' rota.
(The audit log is community core's: community.audit.)"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from community.models import AuditEntry, ScopedQuerySet, Space

from .text import normalize


class FlagReason(models.TextChoices):
    """The guidelines' categories (SPEC.md "Moderation")."""

    RACIST = "racist", "Racism, discrimination or a microaggression"
    PERSONAL_ATTACK = "personal_attack", "Personal attack"
    CONFIDENTIALITY = "confidentiality", "Breach of confidentiality"
    SPAM = "spam", "Spam"
    OTHER = "other", "Other"


#: The report reasons counted on a moderator's wellbeing page ("racism, discrimination or a
#: microaggression").
RACISM_REASONS = (FlagReason.RACIST.value,)


class MatchedIn(models.TextChoices):
    """Where the watched word of an automatic flag was found."""

    TITLE = "title", "title"
    BODY = "body", "text"


class FlagKind(models.TextChoices):
    POST = "post", "Post"
    THREAD = "thread", "Thread"
    MEMBER = "member", "Member"
    LIVE_MESSAGE = "live_message", "Live message"
    BREAKOUT_MESSAGE = "breakout_message", "Breakout room message"
    COMMITMENT = "commitment", "Commitment"


class FlagQuerySet(models.QuerySet["Flag"]):
    def open(self) -> FlagQuerySet:
        return self.filter(status=Flag.Status.OPEN)

    def raised_by(self, user) -> FlagQuerySet:
        """The reports ``user`` made: the only flags a member who moderates nothing sees."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(flagger=user)

    def for_target(self, target) -> FlagQuerySet:
        return self.filter(
            target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
            target_id=target.pk,
        )


class Flag(models.Model):
    """A member's report of one item; ``flagger`` is empty for an automatic (watched word) flag."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Action taken"
        DISMISSED = "dismissed", "No action needed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="flags_raised",
    )
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags_received",
        help_text="The author of the flagged content, or the flagged member.",
    )
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    details = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    matched_word = models.CharField(
        max_length=100, blank=True, help_text="The watched word of an automatic flag."
    )
    matched_in = models.CharField(max_length=10, choices=MatchedIn.choices, blank=True)
    outcome_reason = models.TextField(
        max_length=500, blank=True, help_text="The moderator's reason, told to the reporter."
    )
    email_outcome = models.BooleanField(
        default=False, help_text="The reporter asked to be emailed the outcome too."
    )

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["flagger", "target_type", "target_id"],
                condition=Q(status="open"),
                name="one_open_flag_per_member_per_item",
                violation_error_message="You have already flagged this. A moderator will review it.",
            )
        ]
        indexes = [
            models.Index(fields=["space", "status"]),
            models.Index(fields=["target_type", "target_id", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} flag on {self.kind} {self.target_id}"

    @property
    def is_automatic(self) -> bool:
        return self.flagger_id is None


class WatchedWordQuerySet(ScopedQuerySet):
    def applying_to(self, space: Space | None) -> WatchedWordQuerySet:
        if space is None:
            return self.filter(space__isnull=True)
        return self.filter(Q(space__isnull=True) | Q(space=space))

    def editable_by(self, user) -> WatchedWordQuerySet:
        return self.scoped_to(
            user, lambda qs: qs.filter(space__in=Space.objects.moderated_by(user).values("pk"))
        )


class WatchedWord(models.Model):
    """A word or phrase screened in new posts, site-wide (no space) or in one space."""

    class Action(models.TextChoices):
        BLOCK = "block", "Block: refuse the post"
        REQUIRE_APPROVAL = "require_approval", "Require approval: hold for a moderator"
        FLAG = "flag", "Flag: publish and ask a moderator to look"

    word = models.CharField(max_length=100)
    normalized = models.CharField(max_length=200, editable=False)
    space = models.ForeignKey(
        Space,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="watched_words",
        help_text="Empty for a site-wide word.",
    )
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.FLAG)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WatchedWordQuerySet.as_manager()

    class Meta:
        ordering = ["normalized"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "normalized"],
                name="unique_watched_word_per_space",
                violation_error_message="This word is already watched here.",
            ),
            models.UniqueConstraint(
                fields=["normalized"],
                condition=Q(space__isnull=True),
                name="unique_site_watched_word",
                violation_error_message="This word is already watched site-wide.",
            ),
        ]

    def __str__(self) -> str:
        return self.word

    def save(self, *args, **kwargs) -> None:
        self.normalized = normalize(self.word.strip())
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.word = (self.word or "").strip()
        self.normalized = normalize(self.word)


class ModeratorNoteQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> ModeratorNoteQuerySet:
        """Notes of the spaces ``user`` moderates; staff see every note. Nobody reads the notes
        about themselves."""
        notes = self.scoped_to(
            user, lambda qs: qs.filter(space__in=Space.objects.moderated_by(user).values("pk"))
        )
        return notes.exclude(member=user) if user.is_authenticated else notes


class ModeratorNote(models.Model):
    """A private note about a member, by a moderator of a space, for that space's moderators."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="moderator_notes")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ModeratorNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["space", "member"])]

    def __str__(self) -> str:
        return f"Note on {self.member} in {self.space}"


class SavedReplyQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> SavedReplyQuerySet:
        return self.scoped_to(
            user, lambda qs: qs.filter(space__in=Space.objects.moderated_by(user).values("pk"))
        )


class SavedReply(models.Model):
    """A space's reusable reason for hiding, warning or answering a report."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(max_length=80)
    body = models.TextField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = SavedReplyQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "title"],
                name="unique_saved_reply_title_per_space",
                violation_error_message="This space already has a saved reply with that name.",
            )
        ]

    def __str__(self) -> str:
        return self.title


class RotaPause(models.Model):
    """A moderator stepped out of the rota: not told of new reports until ``until`` (a date)."""

    moderator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rota_pause"
    )
    until = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.moderator} away until {self.until}"


class AppealQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> AppealQuerySet:
        """Moderators see the appeals of their spaces, staff every appeal (site-wide ones too),
        a member their own."""
        return self.scoped_to(
            user,
            lambda qs: qs.filter(
                Q(appellant=user) | Q(space__in=Space.objects.moderated_by(user).values("pk"))
            ),
        )

    def to_decide(self, user) -> AppealQuerySet:
        """The appeals ``user`` reviews as a moderator or staff (not their own)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.exclude(appellant=user)
        return self.filter(space__in=Space.objects.moderated_by(user).values("pk")).exclude(
            appellant=user
        )


class Appeal(models.Model):
    """A member's one appeal against a moderator's action on them or their content, which
    another moderator of the space (or staff) decides. ``entry`` is the action, as audited."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a decision"
        UPHELD = "upheld", "Decision upheld"
        OVERTURNED = "overturned", "Decision overturned"

    entry = models.OneToOneField(
        AuditEntry,
        on_delete=models.PROTECT,
        related_name="appeal",
        error_messages={"unique": "You have already appealed this decision."},
    )
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals"
    )
    space = models.ForeignKey(
        Space,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="appeals",
        help_text="Empty for a site-wide action (a suspension): staff decide.",
    )
    statement = models.TextField(max_length=2000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(max_length=500, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["space", "status"])]

    def __str__(self) -> str:
        return f"Appeal against {self.entry.get_action_display().lower()} ({self.get_status_display()})"
