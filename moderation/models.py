"""Flags, watched words and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from community.models import Space

from .text import normalize


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads only: bulk updates and deletes are refused like the single-row ones."""

    def update(self, **kwargs):
        raise TypeError("The audit log is append-only: entries cannot be updated.")

    def delete(self):
        raise TypeError("The audit log is append-only: entries cannot be deleted.")

    def visible_to(self, user) -> AuditEntryQuerySet:
        """Entries of the spaces ``user`` moderates; staff see every entry, site-wide ones too."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(space__in=Space.objects.moderated_by(user).values("pk"))


class AuditEntry(models.Model):
    """One moderation action: written by the service that acted, in the same transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for automatic actions (auto-hide at the flag threshold).",
    )
    actor_label = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    space_label = models.CharField(max_length=120, blank=True)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["space", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_label or 'System'}: {self.action} {self.target_label}".strip()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None or not self._state.adding:
            raise TypeError("The audit log is append-only: entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only: entries cannot be deleted.")

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action.replace(".", " ").replace("_", " "))


ACTION_LABELS = {
    "membership.approve": "Approved join request",
    "membership.decline": "Declined join request",
    "membership.roles": "Changed roles",
    "membership.remove": "Removed from space",
    "membership.ban": "Banned from space",
    "membership.unban": "Lifted ban",
    "guidelines.publish": "Published guidelines",
    "member.warn": "Warned",
    "member.mute": "Muted",
    "member.unmute": "Unmuted",
    "member.suspend": "Suspended",
    "member.unsuspend": "Lifted suspension",
    "post.approve": "Approved post",
    "post.hide": "Hid post",
    "post.autohide": "Hid post automatically",
    "post.restore": "Restored post",
    "post.delete": "Deleted post",
    "post.edit": "Edited post",
    "thread.hide": "Hid thread",
    "thread.autohide": "Hid thread automatically",
    "thread.restore": "Restored thread",
    "thread.delete": "Deleted thread",
    "thread.lock": "Locked thread",
    "thread.unlock": "Unlocked thread",
    "thread.pin": "Pinned thread",
    "thread.unpin": "Unpinned thread",
    "thread.move": "Moved thread",
    "live.hide": "Removed live message",
    "live.autohide": "Removed live message automatically",
    "flag.dismiss": "Dismissed flags",
    "word.add": "Added watched word",
    "word.remove": "Removed watched word",
}


class FlagReason(models.TextChoices):
    """The guidelines' categories (SPEC.md "Moderation")."""

    RACIST = "racist", "Racist or discriminatory content"
    PERSONAL_ATTACK = "personal_attack", "Personal attack"
    CONFIDENTIALITY = "confidentiality", "Breach of confidentiality"
    SPAM = "spam", "Spam"
    OTHER = "other", "Other"


class FlagKind(models.TextChoices):
    POST = "post", "Post"
    THREAD = "thread", "Thread"
    MEMBER = "member", "Member"
    LIVE_MESSAGE = "live_message", "Live message"


class FlagQuerySet(models.QuerySet["Flag"]):
    def open(self) -> FlagQuerySet:
        return self.filter(status=Flag.Status.OPEN)

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


class WatchedWordQuerySet(models.QuerySet["WatchedWord"]):
    def applying_to(self, space: Space | None) -> WatchedWordQuerySet:
        if space is None:
            return self.filter(space__isnull=True)
        return self.filter(Q(space__isnull=True) | Q(space=space))

    def editable_by(self, user) -> WatchedWordQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(space__in=Space.objects.moderated_by(user).values("pk"))


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
