"""Members, profiles, spaces, membership, guidelines and invitations."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class EmailFrequency(models.TextChoices):
    """How often a member is emailed about what they follow (their usual choice, and per space
    and per thread in threads.models.EmailChoice)."""

    IMMEDIATELY = "immediately", "Straight away"
    DAILY = "daily", "Once a day"
    WEEKLY = "weekly", "Once a week"
    NEVER = "never", "Never"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("display_name", "Administrator")
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. The profile lives on the same row: one read per request."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80)
    organisation = models.CharField(max_length=120, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    bio = models.TextField("short bio", max_length=600, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    email_frequency = models.CharField(
        "email me about activity I follow",
        max_length=12,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATELY,
        help_text="Your usual choice: you can choose differently for a space or a thread. "
        "Anonymous authors are never named in emails.",
    )
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    delete_content = models.BooleanField(
        default=False, help_text="Remove what they wrote too, not only their personal data."
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("profile", args=[self.pk])

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()


class JoinPolicy(models.TextChoices):
    OPEN = "open", "Open: anyone can join"
    REQUEST = "request", "Request: a moderator approves each request"
    INVITE = "invite", "Invite only"


class ScopedQuerySet(models.QuerySet):
    """The one shape of every visibility rule: a visitor who is not signed in sees nothing,
    staff see everything, a member sees what the model's own ``member_rule`` keeps."""

    def scoped_to(self, user, member_rule: Callable[[models.QuerySet], models.QuerySet]):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return member_rule(self)


class SpaceQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> SpaceQuerySet:
        """Spaces whose page (name, summary, guidelines) the user may see."""
        return self.scoped_to(
            user,
            lambda qs: qs.filter(
                Q(listed=True)
                | Q(
                    memberships__user=user,
                    memberships__status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING],
                )
            ).distinct(),
        )

    def readable_by(self, user) -> SpaceQuerySet:
        """Spaces whose inside (threads, live sessions, members) the user may see."""
        return self.scoped_to(
            user,
            lambda qs: qs.filter(
                memberships__user=user, memberships__status=Membership.Status.ACTIVE
            ).distinct(),
        )

    def moderated_by(self, user) -> SpaceQuerySet:
        return self.scoped_to(
            user,
            lambda qs: qs.filter(
                memberships__user=user,
                memberships__status=Membership.Status.ACTIVE,
                memberships__is_moderator=True,
            ).distinct(),
        )


class Space(models.Model):
    """A moderated topic space: one of the five action areas, or one created by staff."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    summary = models.TextField(max_length=1500)
    join_policy = models.CharField(
        max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    listed = models.BooleanField(
        default=True, help_text="Listed spaces appear in the directory for every member."
    )
    premoderation_count = models.PositiveIntegerField(
        default=0, help_text="A member's first N posts here wait for a moderator's approval."
    )
    autohide_threshold = models.PositiveIntegerField(
        default=3, help_text="Hide an item once this many different members flag it."
    )
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SpaceQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("space_detail", args=[self.slug])


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(status=Membership.Status.ACTIVE)


class Membership(models.Model):
    """One member's standing in one space. Roles are flags: one person may hold several."""

    class Status(models.TextChoices):
        PENDING = "pending", "Asked to join"
        ACTIVE = "active", "Active"
        BANNED = "banned", "Banned"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="memberships")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    is_moderator = models.BooleanField(default=False)
    is_facilitator = models.BooleanField(default=False)
    muted_until = models.DateTimeField(null=True, blank=True)
    mute_reason = models.CharField(max_length=500, blank=True)
    ban_reason = models.CharField(max_length=500, blank=True)
    request_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "space"], name="one_membership_per_space")
        ]
        indexes = [models.Index(fields=["space", "status"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.space} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_muted(self) -> bool:
        return self.muted_until is not None and self.muted_until > timezone.now()

    @property
    def role_labels(self) -> list[str]:
        labels = ["Member"]
        if self.is_moderator:
            labels.append("Moderator")
        if self.is_facilitator:
            labels.append("Facilitator")
        return labels


class GuidelinesVersion(models.Model):
    """One version of the community's (space is null) or a space's guidelines. Never edited."""

    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.CASCADE, related_name="guidelines_versions"
    )
    version = models.PositiveIntegerField()
    body = models.TextField()
    body_html = models.TextField(editable=False)
    change_summary = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "version"], name="unique_space_guidelines_version"
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=Q(space__isnull=True),
                name="unique_community_guidelines_version",
            ),
        ]

    def __str__(self) -> str:
        where = self.space.name if self.space_id else "Community"
        return f"{where} guidelines v{self.version}"


class GuidelinesAcceptance(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guidelines_acceptances"
    )
    version = models.ForeignKey(
        GuidelinesVersion, on_delete=models.CASCADE, related_name="acceptances"
    )
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="accept_guidelines_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.version}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(24)


def _invitation_expiry():
    return timezone.now() + timedelta(days=14)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self) -> InvitationQuerySet:
        return self.filter(used_at__isnull=True, revoked=False, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, expiring invitation to the forum, optionally into one space."""

    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    email = models.EmailField(
        blank=True, help_text="Leave empty to let anyone with the link use it."
    )
    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_used",
    )
    revoked = models.BooleanField(default=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        target = self.space.name if self.space_id else "the forum"
        return f"Invitation to {target} ({self.email or 'anyone with the link'})"

    def get_absolute_url(self) -> str:
        return reverse("invitation_accept", args=[self.token])

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and not self.revoked and self.expires_at > timezone.now()


class AuditAction(models.TextChoices):
    """Every moderation action the audit log records: one vocabulary, a label for each."""

    MEMBERSHIP_APPROVE = "membership.approve", "Approved join request"
    MEMBERSHIP_DECLINE = "membership.decline", "Declined join request"
    MEMBERSHIP_ROLES = "membership.roles", "Changed roles"
    MEMBERSHIP_REMOVE = "membership.remove", "Removed from space"
    MEMBERSHIP_BAN = "membership.ban", "Banned from space"
    MEMBERSHIP_UNBAN = "membership.unban", "Lifted ban"
    MEMBER_WARN = "member.warn", "Warned"
    MEMBER_MUTE = "member.mute", "Muted"
    MEMBER_UNMUTE = "member.unmute", "Unmuted"
    MEMBER_SUSPEND = "member.suspend", "Suspended"
    MEMBER_UNSUSPEND = "member.unsuspend", "Lifted suspension"
    GUIDELINES_PUBLISH = "guidelines.publish", "Published guidelines"
    SPACE_CREATE = "space.create", "Created space"
    SPACE_SETTINGS = "space.settings", "Changed space settings"
    POST_APPROVE = "post.approve", "Approved post"
    POST_HIDE = "post.hide", "Hid post"
    POST_AUTOHIDE = "post.autohide", "Hid post automatically"
    POST_RESTORE = "post.restore", "Restored post"
    POST_DELETE = "post.delete", "Deleted post"
    POST_EDIT = "post.edit", "Edited post"
    THREAD_HIDE = "thread.hide", "Hid thread"
    THREAD_AUTOHIDE = "thread.autohide", "Hid thread automatically"
    THREAD_RESTORE = "thread.restore", "Restored thread"
    THREAD_DELETE = "thread.delete", "Deleted thread"
    THREAD_LOCK = "thread.lock", "Locked thread"
    THREAD_UNLOCK = "thread.unlock", "Unlocked thread"
    THREAD_PIN = "thread.pin", "Pinned thread"
    THREAD_UNPIN = "thread.unpin", "Unpinned thread"
    THREAD_MOVE = "thread.move", "Moved thread"
    LIVE_HIDE = "live.hide", "Removed live message"
    LIVE_AUTOHIDE = "live.autohide", "Removed live message automatically"
    LIVE_MESSAGE_REMOVE = "live.message.remove", "Removed live message (facilitator)"
    LIVE_PARTICIPANT_REMOVE = "live.participant.remove", "Removed from live session"
    LIVE_AUTHOR_REVEAL = "live.author.reveal", "Revealed a live message's author"
    COMMITMENT_UNSHARE = "commitment.unshare", "Stopped sharing a commitment"
    COMMITMENT_APPROVE = "commitment.approve", "Approved commitment"
    FLAG_DISMISS = "flag.dismiss", "Dismissed flags"
    APPEAL_UPHOLD = "appeal.uphold", "Upheld a decision on appeal"
    APPEAL_OVERTURN = "appeal.overturn", "Overturned a decision on appeal"
    WORD_ADD = "word.add", "Added watched word"
    WORD_REMOVE = "word.remove", "Removed watched word"
    WORD_EDIT = "word.edit", "Changed watched word"
    NOTE_ADD = "note.add", "Wrote a moderator note"
    REPLY_ADD = "reply.add", "Added saved reply"
    REPLY_REMOVE = "reply.remove", "Removed saved reply"


class AuditEntryQuerySet(ScopedQuerySet):
    """Reads only: bulk updates and deletes are refused like the single-row ones."""

    def update(self, **kwargs):
        raise TypeError("The audit log is append-only: entries cannot be updated.")

    def delete(self):
        raise TypeError("The audit log is append-only: entries cannot be deleted.")

    def visible_to(self, user) -> AuditEntryQuerySet:
        """Entries of the spaces ``user`` moderates; staff see every entry, site-wide ones too."""
        return self.scoped_to(
            user, lambda qs: qs.filter(space__in=Space.objects.moderated_by(user).values("pk"))
        )


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
    action = models.CharField(max_length=40, db_index=True, choices=AuditAction.choices)
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
        # Created by the moderation app, which kept it until the layers were drawn.
        db_table = "moderation_auditentry"
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
        return self.get_action_display()


class SupportEntryQuerySet(models.QuerySet["SupportEntry"]):
    def visible_to(self, user) -> SupportEntryQuerySet:
        """Every signed-in member sees the published entries; staff edit them in the admin."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(is_published=True)


class SupportEntry(models.Model):
    """One place a member can turn to for support (a guardian, a helpline), edited by staff."""

    name = models.CharField(max_length=120)
    purpose = models.TextField("what it is for", max_length=600)
    how_to_reach = models.TextField(
        "how to reach it",
        max_length=600,
        help_text="A phone number, text number, email address or where to find it. Plain text.",
    )
    link = models.URLField(
        blank=True,
        help_text="Optional. A plain address, without tracking parameters.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers are listed first."
    )
    is_published = models.BooleanField("shown to members", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupportEntryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "support entries"

    def __str__(self) -> str:
        return self.name
