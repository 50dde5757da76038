"""Every write for threads and posts: the members' and the moderators' alike.

Order inside each service: policy check → validate → screening → save → audit entry (a
moderator's action) → notices and notifications → broadcast on commit. Each returns whether
anything changed, so a repeated action is harmless. Moderation reaches the moderators' actions
through the post and thread kinds' adapters (:mod:`threads.kinds`); a notice to a member goes
through :func:`community.notices.tell`, which :mod:`threads.receivers` keeps as a notification.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from community import audit, notices
from community import policy as community_policy
from community.models import AuditAction, Space, User
from community.names import names_of, replace_names
from community.rendering import RENDERER_VERSION, render_markdown, render_plain, rendered_first
from community.sanctions import required_reason
from moderation import policy as moderation_policy
from moderation import screening
from moderation import services as moderation_services
from moderation.registry import AUTOHIDE_REASON
from realtime import broadcast

from . import content_notes, mentions, policy, signals
from .models import (
    ANONYMOUS_LABEL,
    BODY_MAX,
    FORMER_MEMBER_LABEL,
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
from .quotes import first_quoted_name, quoted_lines, rewrite_quotes

REASON_MAX = 500
WATCHED_WORD_FLAG = "Contains a watched word."
# What stays of a post and a thread whose erased author asked for what they wrote to go.
REMOVED_BODY = "[Removed at the author's request]"
REMOVED_TITLE = "Removed by its author"


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


def _screen(*, actor: User, space: Space, text: str, title: str = "") -> str:
    """Watched words (moderators are exempt) in the body's Markdown and a thread's title; a
    ``block`` word is a form error on the title or the body, whichever holds it."""
    try:
        return screening.screen_text(actor=actor, space=space, text=text, title=title)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"body": exc.messages}) from exc


def _status_for(*, actor: User, space: Space, outcome: str) -> str:
    if outcome == screening.Outcome.REQUIRE_APPROVAL or policy.needs_premoderation(
        actor=actor, space=space
    ):
        return PostStatus.PENDING
    return PostStatus.PUBLISHED


def _flag_if_screened(post: Post, space: Space, outcome: str) -> None:
    """After saving: a ``flag`` watched word raises an automatic flag for the moderators."""
    if outcome == screening.Outcome.FLAG:
        moderation_services.raise_automatic_flag(
            target=post, space=space, details=WATCHED_WORD_FLAG, screened=outcome
        )


def _render(post: Post) -> None:
    post.body_html = render_markdown(post.body)
    post.renderer_version = RENDERER_VERSION


def _broadcast_changed(post: Post) -> None:
    """After a post's text or visibility changed (edit, delete, hide, restore): on commit."""
    broadcast.thread_post_changed(post)


@rendered_first("body")
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
    community_policy.check_guidelines_accepted(actor, space)
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
    policy.check_slow_mode(actor=actor, space=space, thread=None)
    outcome = _screen(actor=actor, space=space, text=body, title=title)
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
    _mark_read(actor, thread, now)
    _flag_if_screened(post, space, outcome)
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
    """The post being quoted (visible, same thread) and the draft text it starts a reply with.

    A post under a content note is quoted by reference: the draft starts empty, and the quote is
    shown folded under its note (threads.content_notes), never copied into the reply's text."""
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
    quoted.thread = thread
    if content_notes.note_of(quoted):
        return quoted, ""
    return quoted, _quote_markdown(quoted)


@rendered_first("body")
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
    community_policy.check_guidelines_accepted(actor, thread.space)
    body = clean_body(body)
    if quote is not None and (
        quote.thread_id != thread.pk or not policy.can_see_post(actor, quote) or quote.is_deleted
    ):
        raise ValidationError({"body": "The post you are quoting is no longer available."})
    policy.check_slow_mode(actor=actor, space=thread.space, thread=thread)
    outcome = _screen(actor=actor, space=thread.space, text=body)
    status = _status_for(actor=actor, space=thread.space, outcome=outcome)
    post = Post(
        thread=thread,
        author=actor,
        anonymous=anonymous,
        body=body,
        quote_of=quote,
        # The thread's note covers the quoted post (quotes stay in their thread): keep its text
        # out of this reply's body and show it from quote_of, folded.
        quote_by_reference=quote is not None and bool(content_notes.note_of_thread(thread)),
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
    _flag_if_screened(post, thread.space, outcome)
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
    # A mention (threads.mentions: only of people who can read the post) outranks a reply.
    for user_id in mentions.mentioned_readers(post):
        recipients[user_id] = NotificationKind.MENTION
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
    broadcast.notifications_changed(recipients)
    if not post.is_opening:
        broadcast.thread_post_created(post)
    return len(notifications)


def store_notice(*, recipient: User, text: str, about=None) -> Notification:
    """Keep a notice from community core (a hidden post and why, a warning) as a "From the
    moderators" notification, linked to the thread or post it is about, and push the count."""
    thread = post = None
    if isinstance(about, Post):
        post, thread = about, about.thread
    elif isinstance(about, Thread):
        thread = about
    notification = Notification.objects.create(
        recipient=recipient,
        kind=NotificationKind.MODERATION,
        thread=thread,
        post=post,
        text=text[:500],
    )
    broadcast.notifications_changed([recipient.pk])
    return notification


@transaction.atomic
def gather_notice(*, recipient: User, gather: str, text_for) -> Notification:
    """One more of a gathered notice (community.notices.tell_gathered): the member's unread
    notice of ``gather`` counts it and says ``text_for(count)``, or a new one is added (one
    unread per member and key, a database constraint). It keeps its first time, so a digest's
    wait is not pushed back by each new one."""
    notification, created = Notification.objects.get_or_create(
        recipient=recipient,
        kind=NotificationKind.MODERATION,
        gather=gather,
        read_at=None,
        defaults={"text": text_for(1)[:500]},
    )
    if not created:
        Notification.objects.filter(pk=notification.pk).update(gathered=F("gathered") + 1)
        notification.refresh_from_db(fields=["gathered"])
        notification.text = text_for(notification.gathered)[:500]
        notification.save(update_fields=["text"])
    broadcast.notifications_changed([recipient.pk])
    return notification


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


def _locked_post(post: Post) -> Post:
    """Re-read ``post`` with its row locked, so two people acting at once serialize."""
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread", "thread__space", "author")
        .get(pk=post.pk)
    )


def _locked_thread(thread: Thread) -> Thread:
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("space", "author")
        .get(pk=thread.pk)
    )


def _tell_post_author(post: Post, what: str, *, link: bool = True) -> None:
    notices.tell(
        post.author, f"Your post in “{post.thread.title}” {what}", about=post if link else None
    )


def _tell_thread_author(thread: Thread, what: str) -> None:
    notices.tell(thread.author, f"Your thread “{thread.title}” {what}", about=thread)


AUTOHIDDEN_NOTICE = (
    "was hidden after members flagged it. A moderator will review it and you will be told "
    "what they decide."
)


# Posts: edit and delete (authors and moderators), approve, hide, restore --------------------


@rendered_first("body")
@transaction.atomic
def edit_post(
    *,
    actor: User,
    post: Post,
    body: str,
    title: str | None = None,
    reason: str = "",
    moderating: bool | None = None,
) -> bool:
    """Edit a post; the old text (and the old title, for an opening post) is kept as a revision.

    An author edits their own post (watched words apply, as when they posted it: an edit of a
    published post that needs approval waits on the post, readers keeping the published text,
    until a moderator approves or declines it: :func:`approve_edit`). A moderator
    editing someone else's post gives a reason: the author is told it and the audit log keeps
    it. ``moderating`` None decides from who the actor is; True is the moderator's edit whoever
    wrote the post (the review queue). Returns False when nothing changed.
    """
    post = _locked_post(post)
    thread = post.thread
    space = thread.space
    policy.check_see_post(actor, post)
    if moderating is None:
        moderating = policy.moderates_post(actor, post)
    if moderating:
        moderation_policy.check_moderate(actor, space)
        if post.is_deleted:
            raise ValidationError("This post has been deleted, so it cannot be edited.")
    else:
        policy.check_edit_post(actor, post)
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
    if moderating:
        try:
            reason = required_reason(reason, "the author is told why their post was edited.")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    else:
        reason = (reason or "").strip()[:REASON_MAX]
    if errors:
        raise ValidationError(errors)
    if body == post.body and new_title == thread.title:
        # Back to the published text: the author withdraws an edit waiting for approval.
        if moderating or not _clear_pending_edit(post):
            return False
        signals.send_post_edited(post, signals.WITHDRAWN)
        return True
    title_changed = new_title if post.is_opening and new_title != thread.title else ""
    if (body, title_changed) == (post.pending_body, post.pending_title) and post.has_pending_edit:
        return False
    outcome = _screen(
        actor=actor, space=space, text=body, title=new_title if post.is_opening else ""
    )
    if post.status == PostStatus.HIDDEN and not moderating:
        # A hidden post, edited by its author, is resubmitted: it stays hidden until a moderator
        # approves the new text (approve_edit publishes it again) or declines it.
        post.pending_body, post.pending_title = body, title_changed
        post.pending_reason, post.pending_at = reason, timezone.now()
        post.save(update_fields=PENDING_EDIT_FIELDS)
        signals.send_post_edited(post, signals.HELD)
        return True
    if outcome == screening.Outcome.REQUIRE_APPROVAL and post.status == PostStatus.PUBLISHED:
        # Screened like a new post, but readers keep the published version meanwhile.
        post.pending_body, post.pending_title = body, title_changed
        post.pending_reason, post.pending_at = reason, timezone.now()
        post.save(update_fields=PENDING_EDIT_FIELDS)
        signals.send_post_edited(post, signals.HELD)
        return True
    PostRevision.objects.create(
        post=post,
        body=post.body,
        title=thread.title if post.is_opening else "",
        edited_by=actor,
        reason=reason,
    )
    post.body = body
    post.edited_at = timezone.now()
    _render(post)
    post.save(update_fields=["body", "body_html", "renderer_version", "edited_at"])
    _clear_pending_edit(post)
    if new_title != thread.title:
        thread.title = new_title
        thread.save(update_fields=["title"])
    _flag_if_screened(post, space, outcome)
    signals.send_post_edited(post, signals.PUBLISHED)
    if moderating:
        moderation_services.resolve_flags_on(
            actor=actor, target=post, upheld=True, reason=reason, outcome="We edited it"
        )
        audit.record(
            actor=actor, action=AuditAction.POST_EDIT, space=space, target=post, reason=reason
        )
        _tell_post_author(post, notices.appealable(f"was edited by a moderator: {reason}"))
    _broadcast_changed(post)
    return True


PENDING_EDIT_FIELDS = ["pending_body", "pending_title", "pending_reason", "pending_at"]


def _clear_pending_edit(post: Post) -> bool:
    if not post.has_pending_edit:
        return False
    post.pending_body = post.pending_title = post.pending_reason = ""
    post.pending_at = None
    post.save(update_fields=PENDING_EDIT_FIELDS)
    return True


@rendered_first(lambda kwargs: getattr(kwargs.get("post"), "pending_body", ""))
@transaction.atomic
def approve_edit(*, actor: User, post: Post, reason: str = "") -> bool:
    """Publish an author's edit that waited for approval: the text readers saw is kept as a
    revision, the audit log has it as an approval ("Edit approved") and the author is told."""
    post = _locked_post(post)
    thread = post.thread
    space = thread.space
    moderation_policy.check_moderate(actor, space)
    resubmitted = post.is_hidden and not post.is_deleted
    if not post.has_pending_edit or not (post.is_published or resubmitted):
        return False
    PostRevision.objects.create(
        post=post,
        body=post.body,
        title=thread.title if post.is_opening else "",
        edited_by=post.author,
        reason=post.pending_reason,
    )
    post.body = post.pending_body
    post.edited_at = timezone.now()
    _render(post)
    post.save(update_fields=["body", "body_html", "renderer_version", "edited_at"])
    if post.is_opening and post.pending_title:
        thread.title = post.pending_title
        thread.save(update_fields=["title"])
    _clear_pending_edit(post)
    if resubmitted:
        post.status = PostStatus.PUBLISHED
        post.hidden_reason = ""
        post.save(update_fields=["status", "hidden_reason"])
        recount_thread(thread)
    signals.send_post_edited(post, signals.PUBLISHED)
    note = reason.strip()[:REASON_MAX]
    what = "Resubmitted edit approved" if resubmitted else "Edit approved"
    audit.record(
        actor=actor,
        action=AuditAction.POST_APPROVE,
        space=space,
        target=post,
        reason=f"{what}: {note}" if note else what,
    )
    _tell_post_author(post, "was edited: a moderator approved your edit and it is now published.")
    _broadcast_changed(post)
    return True


@transaction.atomic
def decline_edit(*, actor: User, post: Post, reason: str) -> bool:
    """Discard an author's edit that waited for approval; readers keep the version they saw.
    The author is told why (the audit log keeps it as an edit: "Edit declined: …")."""
    post = _locked_post(post)
    space = post.thread.space
    moderation_policy.check_moderate(actor, space)
    reason = required_reason(reason, "the author is told why their edit was declined.")
    if not _clear_pending_edit(post):
        return False
    signals.send_post_edited(post, signals.DECLINED)
    audit.record(
        actor=actor,
        action=AuditAction.POST_EDIT,
        space=space,
        target=post,
        reason=f"Edit declined: {reason}",
    )
    _tell_post_author(post, f"keeps its earlier text. A moderator declined your edit: {reason}")
    return True


@transaction.atomic
def delete_post(
    *, actor: User, post: Post, reason: str = "", moderating: bool | None = None
) -> bool:
    """Soft delete: the row stays (moderators can see it); everyone else stops seeing it.

    An author deletes their own post. A moderator deleting someone else's gives a reason: the
    author is told it, open flags on the post are upheld and the audit log keeps it.
    ``moderating`` as for :func:`edit_post`.
    """
    post = _locked_post(post)
    space = post.thread.space
    policy.check_see_post(actor, post)
    if moderating is None:
        moderating = policy.moderates_post(actor, post)
    if moderating:
        moderation_policy.check_moderate(actor, space)
        reason = required_reason(reason, "the author is told why their post was deleted.")
        if post.is_deleted:
            return False
    else:
        if post.is_deleted:
            return False
        policy.check_delete_post(actor, post)
    post.is_deleted = True
    post.deleted_at = timezone.now()
    post.save(update_fields=["is_deleted", "deleted_at"])
    recount_thread(post.thread)
    if moderating:
        moderation_services.resolve_flags_on(
            actor=actor, target=post, upheld=True, reason=reason, outcome="We removed it"
        )
        audit.record(
            actor=actor, action=AuditAction.POST_DELETE, space=space, target=post, reason=reason
        )
        _tell_post_author(post, f"was deleted by a moderator: {reason}", link=False)
    _broadcast_changed(post)
    return True


@transaction.atomic
def approve_post(*, actor: User, post: Post, reason: str = "") -> bool:
    """Publish a post that waited for approval (pre-moderation or a watched word); followers
    hear of it only now, as if it had just been posted."""
    post = _locked_post(post)
    space = post.thread.space
    moderation_policy.check_moderate(actor, space)
    if post.status != PostStatus.PENDING or post.is_deleted:
        return False
    post.status = PostStatus.PUBLISHED
    post.save(update_fields=["status"])
    recount_thread(post.thread)
    moderation_services.resolve_flags_on(actor=actor, target=post, upheld=False)
    audit.record(
        actor=actor, action=AuditAction.POST_APPROVE, space=space, target=post, reason=reason
    )
    _tell_post_author(post, "was approved and is now published.")
    announce_post(post)
    return True


@transaction.atomic
def hide_post(*, actor: User | None, post: Post, reason: str) -> bool:
    """Hide a post from readers (kept for the audit); its author is told why.

    ``actor`` None: automatically, at the space's flag threshold (moderation calls this inside
    its transaction). No policy check; audited as an auto-hide; the open flags stay open for a
    moderator to review.
    """
    post = _locked_post(post)
    space = post.thread.space
    if actor is None:
        if post.is_deleted or post.status == PostStatus.HIDDEN:
            return False
        _set_post_hidden(post, AUTOHIDE_REASON)
        audit.record(
            actor=None, action=AuditAction.POST_AUTOHIDE, space=space, target=post, reason=reason
        )
        _tell_post_author(post, AUTOHIDDEN_NOTICE)
        _broadcast_changed(post)
        return True
    moderation_policy.check_moderate(actor, space)
    reason = required_reason(reason, "the author is told why their post was hidden.")
    if post.is_deleted or (post.status == PostStatus.HIDDEN and not _is_autohidden(post)):
        return False
    _set_post_hidden(post, reason)
    # A waiting edit is answered by the hide; the author may edit again to resubmit it.
    _clear_pending_edit(post)
    moderation_services.resolve_flags_on(
        actor=actor, target=post, upheld=True, reason=reason, outcome="We hid it"
    )
    audit.record(actor=actor, action=AuditAction.POST_HIDE, space=space, target=post, reason=reason)
    _tell_post_author(post, notices.appealable(f"was hidden by a moderator: {reason}"))
    _broadcast_changed(post)
    return True


def _set_post_hidden(post: Post, reason: str) -> None:
    post.status = PostStatus.HIDDEN
    post.hidden_reason = reason[:REASON_MAX]
    post.save(update_fields=["status", "hidden_reason"])
    recount_thread(post.thread)


def _is_autohidden(item: Post | Thread) -> bool:
    return item.is_hidden and item.hidden_reason == AUTOHIDE_REASON


@transaction.atomic
def restore_post(*, actor: User, post: Post, reason: str = "") -> bool:
    """Publish a hidden post again; open flags on it are closed as needing no action."""
    post = _locked_post(post)
    space = post.thread.space
    moderation_policy.check_moderate(actor, space)
    if post.status != PostStatus.HIDDEN or post.is_deleted:
        return False
    post.status = PostStatus.PUBLISHED
    post.hidden_reason = ""
    post.save(update_fields=["status", "hidden_reason"])
    recount_thread(post.thread)
    moderation_services.resolve_flags_on(actor=actor, target=post, upheld=False)
    audit.record(
        actor=actor, action=AuditAction.POST_RESTORE, space=space, target=post, reason=reason
    )
    _tell_post_author(post, "was reviewed by a moderator and is visible again.")
    _broadcast_changed(post)
    return True


# Threads: lock, pin, hide, restore, move (moderators) -------------------------------------


def _set_thread_field(
    *, actor: User, thread: Thread, field: str, value: bool, action: str, reason: str = ""
) -> bool:
    thread = _locked_thread(thread)
    moderation_policy.check_moderate(actor, thread.space)
    if getattr(thread, field) == value:
        return False
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    audit.record(actor=actor, action=action, space=thread.space, target=thread, reason=reason)
    return True


@transaction.atomic
def lock_thread(*, actor: User, thread: Thread, reason: str = "") -> bool:
    """No new replies, and its posts can no longer be edited by their authors."""
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_locked",
        value=True,
        action=AuditAction.THREAD_LOCK,
        reason=reason,
    )


@transaction.atomic
def unlock_thread(*, actor: User, thread: Thread, reason: str = "") -> bool:
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_locked",
        value=False,
        action=AuditAction.THREAD_UNLOCK,
        reason=reason,
    )


@transaction.atomic
def pin_thread(*, actor: User, thread: Thread, reason: str = "") -> bool:
    """Keep the thread at the top of its space's list."""
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_pinned",
        value=True,
        action=AuditAction.THREAD_PIN,
        reason=reason,
    )


@transaction.atomic
def unpin_thread(*, actor: User, thread: Thread, reason: str = "") -> bool:
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_pinned",
        value=False,
        action=AuditAction.THREAD_UNPIN,
        reason=reason,
    )


@transaction.atomic
def hide_thread(*, actor: User | None, thread: Thread, reason: str) -> bool:
    """Hide a thread from everyone but its author and the moderators; the author is told why.

    ``actor`` None: automatically, at the flag threshold (as for :func:`hide_post`).
    """
    thread = _locked_thread(thread)
    space = thread.space
    if actor is None:
        if thread.is_hidden:
            return False
        _set_thread_hidden(thread, AUTOHIDE_REASON)
        audit.record(
            actor=None,
            action=AuditAction.THREAD_AUTOHIDE,
            space=space,
            target=thread,
            reason=reason,
        )
        _tell_thread_author(thread, AUTOHIDDEN_NOTICE)
        return True
    moderation_policy.check_moderate(actor, space)
    reason = required_reason(reason, "the author is told why their thread was hidden.")
    if thread.is_hidden and not _is_autohidden(thread):
        return False
    _set_thread_hidden(thread, reason)
    moderation_services.resolve_flags_on(
        actor=actor, target=thread, upheld=True, reason=reason, outcome="We hid it"
    )
    audit.record(
        actor=actor, action=AuditAction.THREAD_HIDE, space=space, target=thread, reason=reason
    )
    _tell_thread_author(thread, notices.appealable(f"was hidden by a moderator: {reason}"))
    return True


def _set_thread_hidden(thread: Thread, reason: str) -> None:
    thread.is_hidden = True
    thread.hidden_reason = reason[:REASON_MAX]
    thread.save(update_fields=["is_hidden", "hidden_reason"])


@transaction.atomic
def restore_thread(*, actor: User, thread: Thread, reason: str = "") -> bool:
    thread = _locked_thread(thread)
    moderation_policy.check_moderate(actor, thread.space)
    if not thread.is_hidden:
        return False
    thread.is_hidden = False
    thread.hidden_reason = ""
    thread.save(update_fields=["is_hidden", "hidden_reason"])
    moderation_services.resolve_flags_on(actor=actor, target=thread, upheld=False)
    audit.record(
        actor=actor,
        action=AuditAction.THREAD_RESTORE,
        space=thread.space,
        target=thread,
        reason=reason,
    )
    _tell_thread_author(thread, "was reviewed by a moderator and is visible again.")
    return True


@transaction.atomic
def move_thread(*, actor: User, thread: Thread, to_space: Space, reason: str = "") -> bool:
    """Move a thread, its posts and the flags on them to another space the actor moderates.
    Both spaces' audit logs keep the move."""
    thread = _locked_thread(thread)
    from_space = thread.space
    moderation_policy.check_moderate(actor, from_space)
    moderation_policy.check_moderate(actor, to_space)
    if to_space.pk == from_space.pk:
        return False
    thread.space = to_space
    thread.save(update_fields=["space"])
    moderation_services.move_flags(
        items=[thread, Post.objects.filter(thread=thread)], to_space=to_space
    )
    note = f"Moved from {from_space.name} to {to_space.name}." + (f" {reason}" if reason else "")
    for space in (from_space, to_space):
        audit.record(
            actor=actor, action=AuditAction.THREAD_MOVE, space=space, target=thread, reason=note
        )
    _tell_thread_author(thread, f"was moved to {to_space.name} by a moderator.")
    return True


# Reactions, following, read state, notifications ---------------------------------------------


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
    """One upsert: the member's read state for ``thread`` moves forward to ``up_to``, created if
    missing, never moved back. Django's ``bulk_create(update_conflicts=True)`` cannot say "only
    if later", so this is the one statement SQLite (3.24+) and PostgreSQL both spell the same."""
    table = connection.ops.quote_name(ReadState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, thread_id, last_read_at) VALUES (%s, %s, %s) "  # noqa: S608 (a model's table name, not input)
            "ON CONFLICT (user_id, thread_id) DO UPDATE SET last_read_at = excluded.last_read_at "
            f"WHERE {table}.last_read_at < excluded.last_read_at",
            [actor.pk, thread.pk, connection.ops.adapt_datetimefield_value(up_to)],
        )
        return cursor.rowcount > 0


def mark_thread_read(*, actor: User, thread: Thread, up_to) -> bool:
    """Record that ``actor`` has read ``thread`` up to ``up_to`` (never moves backwards): one
    upsert, and no query at all when ``thread`` carries ``last_read_at`` (from
    ``selectors.thread_in_space``) and nothing new was read.
    """
    if not actor.is_authenticated or up_to is None:
        return False
    known = getattr(thread, "last_read_at", None)
    if known is not None and up_to <= known:
        return False
    changed = _mark_read(actor, thread, up_to)
    if hasattr(thread, "last_read_at"):
        thread.last_read_at = max(up_to, known) if known else up_to
    return changed


def mark_notifications_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the given notifications (or all) read. Returns how many changed."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def mark_space_read(*, actor: User, space: Space) -> int:
    """Mark every thread of ``space`` that ``actor`` can see read up to now, and their
    notifications about those threads. Three queries whatever the number of threads; returns
    how many threads had something unread."""
    now = timezone.now()
    unread = list(
        Thread.objects.visible_to(actor)
        .filter(space=space)
        .exclude(
            Exists(
                ReadState.objects.filter(
                    user=actor, thread=OuterRef("pk"), last_read_at__gte=OuterRef("last_post_at")
                )
            )
        )
        .values_list("pk", flat=True)
    )
    ReadState.objects.bulk_create(
        [ReadState(user=actor, thread_id=pk, last_read_at=now) for pk in unread],
        update_conflicts=True,
        unique_fields=["user", "thread"],
        update_fields=["last_read_at"],
        batch_size=500,
    )
    Notification.objects.filter(recipient=actor, read_at__isnull=True, thread__space=space).update(
        read_at=now
    )
    return len(unread)


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


@transaction.atomic
def strip_passages(*, thread_id: int, passages: list[str]) -> bool:
    """Erasure of words that stand in a post without attribution (a live session's published
    summary quotes its participants): each passage leaves the opening post's text, its pending
    edit and its revisions; the post is re-rendered and open pages are told. Returns whether
    anything changed."""
    post = Post.objects.select_for_update().filter(thread_id=thread_id, is_opening=True).first()
    passages = [p for p in passages if p]
    if post is None or not passages:
        return False

    def without(text: str) -> str:
        for passage in passages:
            text = text.replace(passage, "")
        return text

    body, pending = without(post.body), without(post.pending_body)
    changed = (body, pending) != (post.body, post.pending_body)
    if changed:
        post.body, post.pending_body = body, pending
        _render(post)
        post.save(update_fields=["body", "body_html", "renderer_version", "pending_body"])
        _broadcast_changed(post)
    for revision in post.revisions.all():
        text = without(revision.body)
        if text != revision.body:
            revision.body = text
            revision.save(update_fields=["body"])
            changed = True
    return changed


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


# Erasure (community.site.account_data) --------------------------------------------------------


@transaction.atomic
def erase_author_content(
    *, user: User, remove_text: bool, label: str = FORMER_MEMBER_LABEL
) -> list[Thread | Post]:
    """The threads part of erasing ``user``; call it before their name is erased.

    Their posts stay, shown under the erased account's name (``label``), unless
    ``remove_text``: then each post's text, held edit and earlier versions go (the post is
    deleted, as its author would), and each thread they started is retitled
    :data:`REMOVED_TITLE` without its content note, others' replies in it staying. Quotes of
    them in others' posts name ``label``, and hold none of their text when it was removed.
    Notifications to them, by them, about their removed posts go; one naming them (a
    moderator's notice) names ``label``. Their follows and read marks go.

    Returns the threads retitled and the posts in them: the audit log names them by title, so
    erasure relabels their entries (``community.audit.deidentify(relabel=...)``).
    """
    names = names_of(user)
    theirs = Post.objects.filter(author=user)
    thread_ids = set(theirs.values_list("thread_id", flat=True))
    thread_ids |= set(Thread.objects.filter(author=user).values_list("pk", flat=True))
    removed = None
    retitled: list[Thread | Post] = []
    if remove_text:
        bodies: list[str] = []
        for post in theirs.prefetch_related("revisions"):
            bodies += [post.body, post.pending_body, *(r.body for r in post.revisions.all())]
        removed = quoted_lines(bodies)
    _rewrite_quotes_of(user, thread_ids, names=names, label=label, removed=removed)
    if remove_text:
        retitled = _remove_text_of(user, thread_ids)
    _forget_notifications_of(user, names=names, label=label)
    ThreadFollow.objects.filter(user=user).delete()
    SpaceFollow.objects.filter(user=user).delete()
    ReadState.objects.filter(user=user).delete()
    return retitled


def _rewrite_quotes_of(
    user: User, thread_ids: set[int], *, names: list[str], label: str, removed: set[str] | None
) -> None:
    """Quotes stay in their thread, so only the threads ``user`` wrote in hold quotes of them."""
    posts = Post.objects.filter(thread_id__in=thread_ids).select_related("thread", "quote_of")
    if removed is not None:
        posts = posts.exclude(author=user)  # their own text goes whole
    for post in posts.prefetch_related("revisions"):
        named = set(names)
        quoted = post.quote_of
        if quoted is not None and quoted.author_id == user.pk and not quoted.anonymous:
            # A reply to them names them as they were called then (a name changed since).
            then = first_quoted_name(post.body)
            if then and then not in (ANONYMOUS_LABEL, label):
                named.add(then)
        body = rewrite_quotes(post.body, names=named, label=label, removed=removed)
        pending = rewrite_quotes(post.pending_body, names=named, label=label, removed=removed)
        if (body, pending) != (post.body, post.pending_body):
            post.body, post.pending_body = body, pending
            _render(post)
            post.save(update_fields=["body", "body_html", "renderer_version", "pending_body"])
            _broadcast_changed(post)
        for revision in post.revisions.all():
            text = rewrite_quotes(revision.body, names=named, label=label, removed=removed)
            if text != revision.body:
                PostRevision.objects.filter(pk=revision.pk).update(body=text)


def _remove_text_of(user: User, thread_ids: set[int]) -> list[Thread | Post]:
    theirs = Post.objects.filter(author=user)
    PostRevision.objects.filter(post__author=user).delete()
    Notification.objects.filter(post__author=user).delete()
    theirs.update(
        body=REMOVED_BODY,
        body_html=render_markdown(REMOVED_BODY),
        renderer_version=RENDERER_VERSION,
        pending_body="",
        pending_title="",
        pending_reason="",
        pending_at=None,
        is_deleted=True,
    )
    theirs.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())
    for post in theirs.only("pk", "thread_id"):
        _broadcast_changed(post)
    old_titles = []
    for thread in Thread.objects.filter(author=user):
        old_titles.append(thread.title)
        thread.title = REMOVED_TITLE
        thread.content_note = ""
        thread.save(update_fields=["title", "content_note"])
    # A notice to someone else quotes the thread's title: "Your post in “…” was hidden".
    for old in {t for t in old_titles if t != REMOVED_TITLE}:
        for note in Notification.objects.filter(text__contains=f"“{old}”"):
            note.text = note.text.replace(f"“{old}”", f"“{REMOVED_TITLE}”")
            note.save(update_fields=["text"])
    for thread in Thread.objects.filter(pk__in=thread_ids):
        recount_thread(thread)
    retitled = list(Thread.objects.filter(author=user))
    return [*retitled, *Post.objects.filter(thread__in=retitled).select_related("thread")]


def _forget_notifications_of(user: User, *, names: list[str], label: str) -> None:
    by_them = Notification.objects.filter(actor=user)
    told = set(by_them.values_list("recipient_id", flat=True))
    by_them.delete()
    Notification.objects.filter(recipient=user).delete()
    naming = Q()
    for name in names:
        naming |= Q(text__icontains=name)
    if names:
        for note in Notification.objects.filter(naming):
            text = replace_names(note.text, names, label)
            if text != note.text:
                note.text = text
                note.save(update_fields=["text"])
    broadcast.notifications_changed(told)
