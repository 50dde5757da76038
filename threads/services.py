"""Every write for threads and posts.

Order inside each service: policy check → validate → moderation hooks → save → notifications →
broadcast on commit. Each returns what changed, so a repeated action is harmless.

Contract for the moderation app: after changing a post's ``status`` or ``is_deleted`` (approve,
hide, restore, delete), call :func:`recount_thread`; after approving a pending post, call
:func:`announce_post` so followers hear of it. :func:`notify` sends a moderation notice.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone

from community.models import Space, User
from community.rendering import RENDERER_VERSION, render_markdown, render_plain
from moderation import hooks

from . import policy
from .models import (
    ANONYMOUS_LABEL,
    BODY_MAX,
    TITLE_MAX,
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    PostStatus,
    Reaction,
    ReactionKind,
    ReadState,
    SpaceFollow,
    Thread,
    ThreadFollow,
    ThreadKind,
    ThreadVisibility,
)


def clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Enter a title for your thread."})
    if len(title) > TITLE_MAX:
        raise ValidationError(
            {"title": f"The title must be {TITLE_MAX} characters or fewer (it has {len(title)})."}
        )
    return title


def clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something before you post."})
    if len(body) > BODY_MAX:
        raise ValidationError(
            {
                "body": f"Your post must be {BODY_MAX:,} characters or fewer "
                f"(it has {len(body):,}). Shorten it or split it into two posts."
            }
        )
    return body


def _screen(*, actor: User, space: Space, thread: Thread | None, text: str) -> str:
    """Run the moderation hooks; a ``block`` word comes back as a form error on the body."""
    hooks.check_slow_mode(actor=actor, space=space, thread=thread)
    try:
        return hooks.screen_text(actor=actor, space=space, text=text)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"body": exc.messages}) from exc


def _status_for(*, actor: User, space: Space, outcome: str) -> str:
    if outcome == hooks.Outcome.REQUIRE_APPROVAL or hooks.needs_premoderation(
        actor=actor, space=space
    ):
        return PostStatus.PENDING
    return PostStatus.PUBLISHED


def _render(post: Post) -> None:
    post.body_html = render_markdown(post.body)
    post.renderer_version = RENDERER_VERSION


def _broadcast_notifications(user_ids) -> None:
    try:
        from realtime.broadcast import notifications_changed
    except ImportError:
        return
    notifications_changed(user_ids)


def broadcast_post_changed(post: Post) -> None:
    """After a post's text or visibility changed (edit, delete, hide, restore), on commit."""
    try:
        from realtime.broadcast import thread_post_changed
    except ImportError:
        return
    thread_post_changed(post)


def _broadcast_post(post: Post) -> None:
    try:
        from realtime.broadcast import thread_post_created
    except ImportError:
        return
    thread_post_created(post)


@transaction.atomic
def create_thread(
    *,
    actor: User,
    space: Space,
    title: str,
    body: str,
    kind: str = ThreadKind.DISCUSSION,
    visibility: str = ThreadVisibility.SPACE,
    content_note: str = "",
    anonymous: bool = False,
) -> Thread:
    policy.check_start_thread(actor, space)
    errors: dict[str, list[str]] = {}
    try:
        title = clean_title(title)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        body = clean_body(body)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if kind not in ThreadKind.values:
        errors["kind"] = ["Choose what kind of thread this is."]
    if visibility not in ThreadVisibility.values:
        errors["visibility"] = ["Choose who can see this thread."]
    content_note = " ".join((content_note or "").split())
    if len(content_note) > 120:
        errors["content_note"] = ["Keep the content note to 120 characters or fewer."]
    if errors:
        raise ValidationError(errors)
    outcome = _screen(actor=actor, space=space, thread=None, text=f"{title}\n\n{body}")
    status = _status_for(actor=actor, space=space, outcome=outcome)
    now = timezone.now()
    thread = Thread.objects.create(
        space=space,
        title=title,
        kind=kind,
        visibility=visibility,
        author=actor,
        anonymous=anonymous,
        content_note=content_note,
        is_pending=status == PostStatus.PENDING,
        created_at=now,
        last_post_at=now,
        post_count=1 if status == PostStatus.PUBLISHED else 0,
    )
    post = Post(
        thread=thread,
        author=actor,
        anonymous=anonymous,
        is_opening=True,
        body=body,
        status=status,
        created_at=now,
    )
    _render(post)
    post.save()
    ThreadFollow.objects.get_or_create(user=actor, thread=thread)
    ReadState.objects.update_or_create(user=actor, thread=thread, defaults={"last_read_at": now})
    if outcome == hooks.Outcome.FLAG:
        hooks.after_content_created(actor=actor, space=space, obj=post, outcome=outcome)
    if status == PostStatus.PUBLISHED:
        announce_post(post)
    return thread


def _quote_markdown(quoted: Post) -> str:
    """The quoted text as a Markdown blockquote. An anonymous author stays anonymous."""
    if quoted.anonymous:
        who = ANONYMOUS_LABEL
    elif quoted.author is None:
        who = "A former member"
    else:
        who = render_plain(quoted.author.display_name)
    lines = quoted.body.strip().splitlines() or [""]
    quoted_text = "\n".join(f"> {line}" if line else ">" for line in lines)
    return f"**{who}** wrote:\n\n{quoted_text}\n\n"


def quote_for_reply(*, actor: User, thread: Thread, post_id: int | None) -> tuple[Post | None, str]:
    """The post being quoted (visible, same thread) and the draft text it starts a reply with."""
    if not post_id:
        return None, ""
    quoted = (
        Post.objects.visible_to(actor)
        .select_related("author")
        .filter(pk=post_id, thread=thread, status=PostStatus.PUBLISHED, is_deleted=False)
        .first()
    )
    if quoted is None:
        return None, ""
    return quoted, _quote_markdown(quoted)


@transaction.atomic
def create_reply(
    *,
    actor: User,
    thread: Thread,
    body: str,
    quote: Post | None = None,
    anonymous: bool = False,
) -> Post:
    thread = Thread.objects.select_for_update().select_related("space").get(pk=thread.pk)
    policy.check_see_thread(actor, thread)
    policy.check_reply(actor, thread)
    body = clean_body(body)
    if quote is not None and (
        quote.thread_id != thread.pk or not policy.can_see_post(actor, quote) or quote.is_deleted
    ):
        raise ValidationError({"body": "The post you are quoting is no longer available."})
    outcome = _screen(actor=actor, space=thread.space, thread=thread, text=body)
    status = _status_for(actor=actor, space=thread.space, outcome=outcome)
    post = Post(
        thread=thread,
        author=actor,
        anonymous=anonymous,
        body=body,
        quote_of=quote,
        status=status,
        created_at=timezone.now(),
    )
    _render(post)
    post.save()
    if status == PostStatus.PUBLISHED:
        thread.post_count += 1
        thread.last_post_at = post.created_at
        thread.save(update_fields=["post_count", "last_post_at"])
    ThreadFollow.objects.get_or_create(user=actor, thread=thread)
    _mark_read(actor, thread, post.created_at)
    if outcome == hooks.Outcome.FLAG:
        hooks.after_content_created(actor=actor, space=thread.space, obj=post, outcome=outcome)
    if status == PostStatus.PUBLISHED:
        announce_post(post)
    return post


def announce_post(post: Post) -> int:
    """Notify followers of a newly published post and broadcast it once committed.

    Call for a post that has just become visible (created published, or approved). The actor is
    left off the notification when the post is anonymous. Returns notifications created.
    """
    thread = post.thread
    actor_id = post.author_id
    shown_actor = None if post.anonymous else post.author
    recipients: dict[int, str] = {}
    if post.is_opening:
        followers = SpaceFollow.objects.filter(space_id=thread.space_id)
        for user_id in followers.values_list("user_id", flat=True):
            recipients[user_id] = NotificationKind.NEW_THREAD
    else:
        if post.quote_of_id and post.quote_of and post.quote_of.author_id:
            recipients[post.quote_of.author_id] = NotificationKind.QUOTE
        for user_id in ThreadFollow.objects.filter(thread=thread).values_list("user_id", flat=True):
            recipients.setdefault(user_id, NotificationKind.REPLY)
    recipients.pop(actor_id, None)
    notifications = [
        Notification(
            recipient_id=user_id,
            kind=kind,
            actor=shown_actor,
            thread=thread,
            post=post,
            created_at=post.created_at,
        )
        for user_id, kind in recipients.items()
    ]
    Notification.objects.bulk_create(notifications)
    _broadcast_notifications(recipients)
    if not post.is_opening:
        transaction.on_commit(lambda: _broadcast_post(post))
    return len(notifications)


def notify(*, recipient: User, text: str, thread: Thread | None = None, post: Post | None = None):
    """A notice from the moderators (a hidden post and why, a warning). Never names a moderator."""
    _broadcast_notifications([recipient.pk])
    return Notification.objects.create(
        recipient=recipient,
        kind=NotificationKind.MODERATION,
        thread=thread,
        post=post,
        text=text[:500],
    )


def recount_thread(thread: Thread) -> None:
    """Recompute a thread's counters and pending flag from its posts (after any status change)."""
    published = Post.objects.filter(thread=thread, status=PostStatus.PUBLISHED, is_deleted=False)
    stats = published.aggregate(last=Max("created_at"))
    opening = Post.objects.filter(thread=thread, is_opening=True).only("status").first()
    Thread.objects.filter(pk=thread.pk).update(
        post_count=published.count(),
        last_post_at=stats["last"] or thread.created_at,
        is_pending=opening is not None and opening.status == PostStatus.PENDING,
    )
    thread.refresh_from_db(fields=["post_count", "last_post_at", "is_pending"])


@transaction.atomic
def edit_post(
    *, actor: User, post: Post, body: str, title: str | None = None, reason: str = ""
) -> bool:
    """Keep the old text as a revision, render the new one. Returns False when nothing changed."""
    post = Post.objects.select_for_update().select_related("thread__space").get(pk=post.pk)
    thread = post.thread
    policy.check_see_post(actor, post)
    policy.check_edit_post(actor, post)
    moderating = post.author_id != actor.pk
    errors: dict[str, list[str]] = {}
    try:
        body = clean_body(body)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    new_title = thread.title
    if title is not None and post.is_opening:
        try:
            new_title = clean_title(title)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    reason = (reason or "").strip()
    if moderating and not reason:
        errors["reason"] = ["Give a reason: the author is told why their post was edited."]
    if errors:
        raise ValidationError(errors)
    if body == post.body and new_title == thread.title:
        return False
    if not moderating:
        hooks.screen_text(actor=actor, space=thread.space, text=f"{new_title}\n\n{body}")
    PostRevision.objects.create(
        post=post,
        body=post.body,
        title=thread.title if post.is_opening else "",
        edited_by=actor,
        reason=reason[:500],
    )
    post.body = body
    post.edited_at = timezone.now()
    _render(post)
    post.save(update_fields=["body", "body_html", "renderer_version", "edited_at"])
    if new_title != thread.title:
        thread.title = new_title
        thread.save(update_fields=["title"])
    if moderating and post.author_id:
        notify(
            recipient=post.author,
            text=f"A moderator edited your post in “{thread.title}”: {reason}",
            thread=thread,
            post=post,
        )
    broadcast_post_changed(post)
    return True


@transaction.atomic
def delete_post(*, actor: User, post: Post) -> bool:
    """Soft delete: the row stays (moderators can see it); everyone else stops seeing it."""
    post = Post.objects.select_for_update().select_related("thread__space").get(pk=post.pk)
    policy.check_see_post(actor, post)
    if post.is_deleted:
        return False
    policy.check_delete_post(actor, post)
    post.is_deleted = True
    post.deleted_at = timezone.now()
    post.save(update_fields=["is_deleted", "deleted_at"])
    recount_thread(post.thread)
    broadcast_post_changed(post)
    return True


@transaction.atomic
def toggle_reaction(*, actor: User, post: Post, kind: str) -> bool:
    """Add the reaction, or take it back if already given. Returns whether it is now given."""
    if kind not in ReactionKind.values:
        raise ValidationError({"kind": "Choose one of the reactions offered."})
    post = Post.objects.select_related("thread__space").get(pk=post.pk)
    policy.check_see_post(actor, post)
    policy.check_react(actor, post)
    deleted, _ = Reaction.objects.filter(post=post, user=actor, kind=kind).delete()
    if deleted:
        return False
    Reaction.objects.get_or_create(post=post, user=actor, kind=kind)
    return True


@transaction.atomic
def follow_thread(*, actor: User, thread: Thread) -> bool:
    policy.check_follow_thread(actor, thread)
    _, created = ThreadFollow.objects.get_or_create(user=actor, thread=thread)
    return created


@transaction.atomic
def unfollow_thread(*, actor: User, thread: Thread) -> bool:
    policy.check_follow_thread(actor, thread)
    deleted, _ = ThreadFollow.objects.filter(user=actor, thread=thread).delete()
    return bool(deleted)


@transaction.atomic
def follow_space(*, actor: User, space: Space) -> bool:
    policy.check_follow_space(actor, space)
    _, created = SpaceFollow.objects.get_or_create(user=actor, space=space)
    return created


@transaction.atomic
def unfollow_space(*, actor: User, space: Space) -> bool:
    policy.check_follow_space(actor, space)
    deleted, _ = SpaceFollow.objects.filter(user=actor, space=space).delete()
    return bool(deleted)


def _mark_read(actor: User, thread: Thread, up_to) -> bool:
    updated = ReadState.objects.filter(user=actor, thread=thread, last_read_at__lt=up_to).update(
        last_read_at=up_to
    )
    if updated:
        return True
    _, created = ReadState.objects.get_or_create(
        user=actor, thread=thread, defaults={"last_read_at": up_to}
    )
    return created


def mark_thread_read(*, actor: User, thread: Thread, up_to) -> bool:
    """Record that ``actor`` has read ``thread`` up to ``up_to`` (never moves backwards).

    When ``thread`` carries ``last_read_at`` (from ``selectors.thread_in_space``) this runs one
    query at most, and none when nothing new was read.
    """
    if not actor.is_authenticated or up_to is None:
        return False
    if not hasattr(thread, "last_read_at"):
        return _mark_read(actor, thread, up_to)
    if thread.last_read_at is None:
        ReadState.objects.bulk_create(
            [ReadState(user=actor, thread=thread, last_read_at=up_to)], ignore_conflicts=True
        )
        thread.last_read_at = up_to
        return True
    if up_to <= thread.last_read_at:
        return False
    ReadState.objects.filter(user=actor, thread=thread, last_read_at__lt=up_to).update(
        last_read_at=up_to
    )
    thread.last_read_at = up_to
    return True


def mark_notifications_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the given notifications (or all) read. Returns how many changed."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def open_notification(*, actor: User, notification_id: int) -> Notification:
    """Mark one notification read and return it; 404 for someone else's."""
    notification = (
        Notification.objects.visible_to(actor)
        .select_related("thread__space", "post")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        raise Http404("No such notification.")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    return notification


def rerender_posts(*, batch_size: int = 500, force: bool = False) -> int:
    """Re-render posts stored by an older renderer (or all with ``force``). Returns the count."""
    qs = Post.objects.all() if force else Post.objects.filter(~Q(renderer_version=RENDERER_VERSION))
    done = 0
    last_pk = 0
    while True:
        batch = list(qs.filter(pk__gt=last_pk).order_by("pk").only("pk", "body")[:batch_size])
        if not batch:
            return done
        for post in batch:
            _render(post)
        Post.objects.bulk_update(batch, ["body_html", "renderer_version"])
        done += len(batch)
        last_pk = batch[-1].pk


__all__ = [
    "announce_post",
    "create_reply",
    "create_thread",
    "delete_post",
    "edit_post",
    "follow_space",
    "follow_thread",
    "mark_notifications_read",
    "mark_thread_read",
    "notify",
    "recount_thread",
    "rerender_posts",
    "toggle_reaction",
    "unfollow_space",
    "unfollow_thread",
]
