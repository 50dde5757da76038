"""Threads, posts, revisions, reactions, following, notifications and read state.

Visibility is written once, here: ``Thread.objects.visible_to(user)`` and
``Post.objects.visible_to(user)``. Every list, page, search, feed, notification and email starts
from them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from community.models import EmailFrequency, Space
from community.rendering import render_markdown

TITLE_MAX = 200
BODY_MAX = 20_000
ANONYMOUS_LABEL = "A member of this space"
FORMER_MEMBER_LABEL = "Former member"


class ThreadKind(models.TextChoices):
    DISCUSSION = "discussion", "Discussion"
    QUESTION = "question", "Question"
    CASE_STUDY = "case-study", "Case study"
    RESOURCE = "resource", "Resource"


class ThreadVisibility(models.TextChoices):
    SPACE = "space", "Members of this space only"
    COMMUNITY = "community", "All signed-in members of the forum"


def _everything(prefix: str) -> Q:
    # An empty Q() vanishes when OR-ed with another (``Q(x) | Q()`` is ``Q(x)``): say "exists".
    return Q(**{f"{prefix}pk__isnull": False}) if prefix else Q()


def thread_visibility_q(user, prefix: str = "") -> Q:
    """The one rule for which threads ``user`` may know exist, as a Q over ``prefix`` (e.g.
    ``"thread__"`` from a post or notification), so related rows filter by join, not by an
    ``IN (subquery)`` over the whole table.

    Active members of a space (and its moderators, and staff) see its threads; every signed-in
    member sees ``community`` threads of listed spaces. A hidden or not yet approved thread is
    seen only by its author and the space's moderators.
    """
    if user.is_staff:
        return _everything(prefix)
    p = prefix
    readable = Space.objects.readable_by(user).values("pk")
    moderated = Space.objects.moderated_by(user).values("pk")
    reach = Q(**{f"{p}space__in": readable}) | Q(
        **{f"{p}visibility": ThreadVisibility.COMMUNITY, f"{p}space__listed": True}
    )
    shown = (
        Q(**{f"{p}is_hidden": False, f"{p}is_pending": False})
        | Q(**{f"{p}author": user})
        | Q(**{f"{p}space__in": moderated})
    )
    return reach & shown


class ThreadQuerySet(models.QuerySet["Thread"]):
    def visible_to(self, user) -> ThreadQuerySet:
        """Threads ``user`` may know exist (see :func:`thread_visibility_q`)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(thread_visibility_q(user))


class Thread(models.Model):
    """A conversation in a space. Counters are kept by :mod:`threads.services`."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=TITLE_MAX)
    kind = models.CharField(
        max_length=12, choices=ThreadKind.choices, default=ThreadKind.DISCUSSION
    )
    visibility = models.CharField(
        max_length=10, choices=ThreadVisibility.choices, default=ThreadVisibility.SPACE
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="threads_started",
    )
    anonymous = models.BooleanField(default=False)
    content_note = models.CharField(
        max_length=120, blank=True, help_text="A short warning; the body stays folded until opened."
    )
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=500, blank=True)
    # True while the opening post waits for a moderator's approval (pre-moderation).
    is_pending = models.BooleanField(default=False)
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_post_at = models.DateTimeField(default=timezone.now)
    # Published, not deleted posts, the opening post included.
    post_count = models.PositiveIntegerField(default=0)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-is_pinned", "-last_post_at"]
        indexes = [
            models.Index(
                fields=["space", "-is_pinned", "-last_post_at"], name="thread_space_activity"
            ),
            models.Index(fields=["visibility"], name="thread_visibility"),
            # The home page's "unread" and "latest" lists across every readable space: walked
            # newest first until 8 are found, instead of sorting every visible thread.
            models.Index(fields=["-last_post_at", "-id"], name="thread_activity"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("thread_detail", args=[self.space.slug, self.pk])

    def audit_label(self) -> str:
        """How the audit log and the review queue name it (never its anonymous author)."""
        return f"Thread “{self.title}”"

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)


class PostStatus(models.TextChoices):
    PUBLISHED = "published", "Published"
    PENDING = "pending", "Awaiting approval"
    HIDDEN = "hidden", "Hidden by a moderator"


def post_visibility_q(user, prefix: str = "") -> Q:
    """Posts ``user`` may read: in a visible thread, and published, or their own (pending or
    hidden, so they can see why), or in a space they moderate (everything, deleted too)."""
    if user.is_staff:
        return _everything(prefix)
    p = prefix
    moderated = Space.objects.moderated_by(user).values("pk")
    shown = (
        Q(**{f"{p}status": PostStatus.PUBLISHED, f"{p}is_deleted": False})
        | Q(**{f"{p}author": user, f"{p}is_deleted": False})
        | Q(**{f"{p}thread__space__in": moderated})
    )
    return thread_visibility_q(user, f"{p}thread__") & shown


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, user) -> PostQuerySet:
        """Posts ``user`` may read (see :func:`post_visibility_q`)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(post_visibility_q(user))


class Post(models.Model):
    """One message in a thread. ``body_html`` is rendered by community.rendering when saved."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    anonymous = models.BooleanField(default=False)
    is_opening = models.BooleanField(default=False, help_text="The thread's first post.")
    body = models.TextField(max_length=BODY_MAX)
    body_html = models.TextField(editable=False)
    renderer_version = models.PositiveSmallIntegerField(default=0, editable=False)
    quote_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="quoted_by"
    )
    # True when the quoted text is not copied into ``body`` (a quote of a post under a content
    # note): it is shown from ``quote_of``, under the note, by threads.content_notes.
    quote_by_reference = models.BooleanField(default=False, editable=False)
    status = models.CharField(
        max_length=10, choices=PostStatus.choices, default=PostStatus.PUBLISHED
    )
    hidden_reason = models.CharField(max_length=500, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # An author's edit held by a ``require approval`` watched word: readers keep seeing ``body``
    # (and the thread's title) until a moderator approves it (threads.services.approve_edit).
    pending_body = models.TextField(max_length=BODY_MAX, blank=True, editable=False)
    pending_title = models.CharField(max_length=TITLE_MAX, blank=True, editable=False)
    pending_reason = models.CharField(max_length=500, blank=True, editable=False)
    pending_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="post_thread_created"),
            models.Index(fields=["author", "created_at"], name="post_author_created"),
            models.Index(fields=["status"], name="post_status"),
            models.Index(
                fields=["pending_at"],
                name="post_pending_edit",
                condition=Q(pending_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} in {self.thread_id}"

    def get_absolute_url(self) -> str:
        return reverse("post_jump", args=[self.thread.space.slug, self.thread_id, self.pk])

    def audit_label(self) -> str:
        """How the audit log and the review queue name it (never its anonymous author)."""
        return f"Post #{self.pk} in “{self.thread.title}”"

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED and not self.is_deleted

    @property
    def is_pending(self) -> bool:
        return self.status == PostStatus.PENDING

    @property
    def is_hidden(self) -> bool:
        return self.status == PostStatus.HIDDEN

    @property
    def has_pending_edit(self) -> bool:
        return self.pending_at is not None

    @property
    def pending_body_html(self) -> str:
        """The held edit, rendered for its author and the moderators (not stored: it is shown
        rarely, and it is never stale when the renderer changes)."""
        return render_markdown(self.pending_body) if self.has_pending_edit else ""


class PostRevision(models.Model):
    """The text of a post before an edit. Moderators and staff may read these; peers may not."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision of post {self.post_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ReactionKind(models.TextChoices):
    THANKS = "thanks", "Thank you"
    RELATE = "relate", "I relate"
    INSIGHTFUL = "insightful", "Insightful"


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(max_length=12, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="one_reaction_of_a_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on post {self.post_id}"


class ThreadFollow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_follows"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="follow_thread_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows thread {self.thread_id}"


class SpaceFollow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_follows"
    )
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "space"], name="follow_space_once")]

    def __str__(self) -> str:
        return f"{self.user_id} follows space {self.space_id}"


class NotificationKind(models.TextChoices):
    REPLY = "reply", "New reply"
    QUOTE = "quote", "Quoted you"
    MENTION = "mention", "Mentioned you"
    NEW_THREAD = "new_thread", "New thread"
    MODERATION = "moderation", "From the moderators"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user) -> NotificationQuerySet:
        """The member's notifications about things they can still see (or about no thread)."""
        if not user.is_authenticated:
            return self.none()
        # Joins on the member's own notifications, never a scan of every visible post.
        return (
            self.filter(recipient=user)
            .filter(Q(thread__isnull=True) | thread_visibility_q(user, "thread__"))
            .filter(Q(post__isnull=True) | post_visibility_q(user, "post__"))
        )

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """In-app notice. ``actor`` is left empty for anonymous posts: no trace of who wrote it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=500, blank=True)
    # A gathered notice (community.notices.tell_gathered, e.g. new reports for a moderator):
    # its key, and how many it counts while unread.
    gather = models.CharField(max_length=40, blank=True, default="", editable=False)
    gathered = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["emailed_at", "created_at"], name="notification_email"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "gather"],
                condition=models.Q(read_at__isnull=True) & ~models.Q(gather=""),
                name="one_unread_gathered_notice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}"


class ReadState(models.Model):
    """How far a member has read a thread: posts created after ``last_read_at`` are new."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_states"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="read_state_once")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} to {self.last_read_at}"


def bookmark_visibility_q(user, prefix: str = "") -> Q:
    """Bookmarks whose thread (and post, for a post's bookmark) ``user`` may still read."""
    p = prefix
    return thread_visibility_q(user, f"{p}thread__") & (
        Q(**{f"{p}post__isnull": True}) | post_visibility_q(user, f"{p}post__")
    )


class BookmarkQuerySet(models.QuerySet["Bookmark"]):
    def visible_to(self, user) -> BookmarkQuerySet:
        """The member's own bookmarks of things they can still see: a bookmark of a post or
        thread that became invisible to them shows nothing of it (the row stays, in case the
        post comes back)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user).filter(bookmark_visibility_q(user))


class Bookmark(models.Model):
    """A member's bookmark of a thread (``post`` empty) or of one post in it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="bookmarks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BookmarkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(post__isnull=True),
                name="bookmark_thread_once",
            ),
            models.UniqueConstraint(
                fields=["user", "post"],
                condition=Q(post__isnull=False),
                name="bookmark_post_once",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="bookmark_user_recent")]

    def __str__(self) -> str:
        what = f"post {self.post_id}" if self.post_id else f"thread {self.thread_id}"
        return f"{self.user_id} bookmarked {what}"


DRAFT_BODY_MAX = BODY_MAX


class Draft(models.Model):
    """What a member has typed and not posted yet: a reply to ``thread``, or (``thread`` empty)
    a new thread in ``space``. Only its writer ever reads it (threads.drafts)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts"
    )
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    body = models.TextField(max_length=DRAFT_BODY_MAX, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="draft_reply_once",
            ),
            models.UniqueConstraint(
                fields=["user", "space"],
                condition=Q(thread__isnull=True),
                name="draft_new_thread_once",
            ),
        ]

    def __str__(self) -> str:
        where = f"thread {self.thread_id}" if self.thread_id else f"new thread in {self.space_id}"
        return f"Draft by {self.user_id} for {where}"


class EmailChoice(models.Model):
    """A member's email choice for one space (``thread`` empty) or one thread, over their usual
    ``User.email_frequency``: the thread's choice wins, then the space's (threads.email_choices)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_choices"
    )
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="email_choices"
    )
    frequency = models.CharField(max_length=12, choices=EmailFrequency.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="email_choice_thread_once",
            ),
            models.UniqueConstraint(
                fields=["user", "space"],
                condition=Q(thread__isnull=True),
                name="email_choice_space_once",
            ),
        ]

    def __str__(self) -> str:
        where = f"thread {self.thread_id}" if self.thread_id else f"space {self.space_id}"
        return f"{self.user_id}: {self.frequency} for {where}"
