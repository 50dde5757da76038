"""Every moderation write: audit entries, sanctions, watched words, flags and content actions.

Each service runs in one transaction, in this order: policy check → validate → save → audit
entry → broadcast. Each returns whether anything changed, so a repeated or concurrent action is
harmless: the row being acted on is locked with ``select_for_update`` and re-read first.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from community import services as community_services
from community.models import Membership, Space, User
from community.policy import _when

from . import policy, targets
from community.models import AuditEntry

from .models import Flag, FlagKind, FlagReason, WatchedWord
from .text import normalize

REASON_MAX = 500


def _label(target) -> str:
    if target is None:
        return ""
    if type(target).__name__ in {"Post", "Thread", "LiveEvent"}:
        return targets.describe(target)[:200]
    return str(target)[:200]


def record_audit(
    *, actor, action: str, space: Space | None, target=None, reason: str = ""
) -> AuditEntry:
    """Append one entry. Call inside the transaction that made the change it records."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=str(actor)[:120] if actor is not None else "",
        action=action,
        space=space,
        space_label=space.name[:120] if space is not None else "",
        target_type=(
            ContentType.objects.get_for_model(target, for_concrete_model=False)
            if target is not None
            else None
        ),
        target_id=getattr(target, "pk", None),
        target_label=_label(target),
        reason=(reason or "").strip(),
    )


def _required_reason(reason: str, why: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Give a reason: {why}"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    return reason


def _future(until: datetime | None, field: str = "until") -> datetime:
    if until is None:
        raise ValidationError({field: "Choose when it ends."})
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= timezone.now():
        raise ValidationError({field: "Choose an end in the future."})
    return until


def notify(*, user: User | None, text: str, thread=None, post=None) -> None:
    """A "From the moderators" notification (threads' service: it never names a moderator)."""
    if user is None or not user.is_active:
        return
    from threads.services import notify as notify_member

    notify_member(recipient=user, text=text, thread=thread, post=post)


# Sanctions ------------------------------------------------------------------------------------


def _locked_membership(space: Space, member: User) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("space", "user")
        .filter(space=space, user=member)
        .first()
    )
    if membership is None or membership.status == Membership.Status.PENDING:
        raise ValidationError(f"{member} is not a member of {space.name}.")
    return membership


@transaction.atomic
def warn_member(*, actor: User, space: Space, member: User, reason: str) -> bool:
    """A formal warning: the member is told why; the audit log keeps it. Every call warns."""
    policy.check_sanction(actor, space, member)
    reason = _required_reason(reason, "the member is told why they were warned.")
    membership = _locked_membership(space, member)
    if membership.status != Membership.Status.ACTIVE:
        raise ValidationError(f"{member} is not an active member of {space.name}.")
    record_audit(actor=actor, action="member.warn", space=space, target=member, reason=reason)
    resolve_flags_on(actor=actor, target=member, upheld=True, space=space)
    notify(user=member, text=f"A moderator of {space.name} has warned you: {reason}")
    return True


@transaction.atomic
def mute_member(
    *, actor: User, space: Space, member: User, until: datetime | None, reason: str
) -> bool:
    """Mute in one space until ``until``: the member can read but not post, react or flag."""
    policy.check_sanction(actor, space, member)
    until = _future(until)
    reason = _required_reason(reason, "the member is told why they were muted.")
    membership = _locked_membership(space, member)
    if membership.status != Membership.Status.ACTIVE:
        raise ValidationError(f"{member} is not an active member of {space.name}.")
    if membership.muted_until == until and membership.mute_reason == reason[:500]:
        return False
    membership.muted_until = until
    membership.mute_reason = reason[:500]
    membership.save(update_fields=["muted_until", "mute_reason", "updated_at"])
    community_services._forget_cached_membership(space, member)
    resolve_flags_on(actor=actor, target=member, upheld=True, space=space)
    record_audit(
        actor=actor,
        action="member.mute",
        space=space,
        target=member,
        reason=f"{reason} (until {_when(until)})",
    )
    notify(user=member, text=f"You are muted in {space.name} until {_when(until)}: {reason}")
    return True


@transaction.atomic
def unmute_member(*, actor: User, space: Space, member: User, reason: str = "") -> bool:
    policy.check_sanction(actor, space, member)
    membership = _locked_membership(space, member)
    if not membership.is_muted:
        return False
    membership.muted_until = None
    membership.mute_reason = ""
    membership.save(update_fields=["muted_until", "mute_reason", "updated_at"])
    community_services._forget_cached_membership(space, member)
    record_audit(actor=actor, action="member.unmute", space=space, target=member, reason=reason)
    return True


@transaction.atomic
def ban_member(*, actor: User, space: Space, member: User, reason: str) -> bool:
    """Ban from one space (community's service writes the ``membership.ban`` audit entry)."""
    policy.check_sanction(actor, space, member)
    reason = _required_reason(reason, "the member is told why they were banned.")
    membership = _locked_membership(space, member)
    changed = community_services.ban_member(actor=actor, membership=membership, reason=reason)
    community_services._forget_cached_membership(space, member)
    if changed:
        resolve_flags_on(actor=actor, target=member, upheld=True, space=space)
    return changed


@transaction.atomic
def suspend_member(*, actor: User, member: User, until: datetime | None, reason: str) -> bool:
    """Suspend site-wide (staff only): the member can read and export but not take part."""
    policy.check_suspend(actor, member)
    until = _future(until)
    reason = _required_reason(reason, "the member is told why their account was suspended.")
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.suspended_until == until and member.suspension_reason == reason[:500]:
        return False
    member.suspended_until = until
    member.suspension_reason = reason[:500]
    member.save(update_fields=["suspended_until", "suspension_reason"])
    record_audit(
        actor=actor,
        action="member.suspend",
        space=None,
        target=member,
        reason=f"{reason} (until {_when(until)})",
    )
    notify(user=member, text=f"Your account is suspended until {_when(until)}: {reason}")
    return True


@transaction.atomic
def unsuspend_member(*, actor: User, member: User, reason: str = "") -> bool:
    policy.check_suspend(actor, member)
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.suspended_until is None:
        return False
    member.suspended_until = None
    member.suspension_reason = ""
    member.save(update_fields=["suspended_until", "suspension_reason"])
    record_audit(actor=actor, action="member.unsuspend", space=None, target=member, reason=reason)
    return True


# Watched words --------------------------------------------------------------------------------


@transaction.atomic
def add_watched_word(*, actor: User, space: Space | None, word: str, action: str) -> WatchedWord:
    policy.check_edit_watched_words(actor, space)
    word = (word or "").strip()
    if not normalize(word):
        raise ValidationError({"word": "Enter the word or phrase to watch for."})
    watched = WatchedWord(space=space, word=word, action=action, created_by=actor)
    watched.full_clean()
    watched.save()
    record_audit(
        actor=actor,
        action="word.add",
        space=space,
        target=watched,
        reason=f"{watched.get_action_display()}",
    )
    return watched


@transaction.atomic
def remove_watched_word(*, actor: User, watched: WatchedWord) -> bool:
    locked = WatchedWord.objects.select_for_update().filter(pk=watched.pk).first()
    if locked is None:
        return False
    policy.check_edit_watched_words(actor, locked.space)
    record_audit(actor=actor, action="word.remove", space=locked.space, target=locked)
    locked.delete()
    return True


def watched_word_or_404(actor: User, pk: int) -> WatchedWord:
    watched = WatchedWord.objects.editable_by(actor).select_related("space").filter(pk=pk).first()
    if watched is None:
        raise Http404("No such watched word.")
    return watched


# Flags ----------------------------------------------------------------------------------------

ALREADY_FLAGGED = "You have already flagged this. A moderator will review it."


def _lock(target):
    """Re-read ``target`` with its row locked, so two moderators acting at once serialize."""
    model = type(target)
    return model.objects.select_for_update(of=("self",)).get(pk=target.pk)


def _content_type(target) -> ContentType:
    return ContentType.objects.get_for_model(target, for_concrete_model=False)


def _open_flags(target):
    return Flag.objects.open().filter(target_type=_content_type(target), target_id=target.pk)


def _flag_space(actor: User, target, space: Space | None) -> Space:
    if targets.kind_of(target) == FlagKind.MEMBER:
        # A member is flagged in a space both of you are in; elsewhere they look missing.
        if (
            space is None
            or not Membership.objects.filter(
                user=target, space=space, status=Membership.Status.ACTIVE
            ).exists()
        ):
            raise Http404("No such member.")
        from community.policy import check_read_space

        check_read_space(actor, space)
        return space
    targets.check_visible_to_flagger(actor, target)
    return targets.space_of(target)


@transaction.atomic
def flag_item(
    *, actor: User, target, reason: str, details: str = "", space: Space | None = None
) -> Flag:
    """Report a post, thread, member (in ``space``) or live message to the space's moderators."""
    space = _flag_space(actor, target, space)
    policy.check_flag(actor, space)
    kind = targets.kind_of(target)
    author = targets.author_of(target)
    if author is not None and author.pk == actor.pk:
        noun = "yourself" if kind == FlagKind.MEMBER else "your own post"
        raise PermissionDenied(f"You cannot flag {noun}.")
    if reason not in FlagReason.values:
        raise ValidationError({"reason": "Choose the reason that fits best."})
    details = (details or "").strip()
    if len(details) > 1000:
        raise ValidationError({"details": "Keep the details under 1,000 characters."})
    target = _lock(target)
    if _open_flags(target).filter(flagger=actor).exists():
        raise ValidationError(ALREADY_FLAGGED)
    flag = Flag(
        flagger=actor,
        kind=kind,
        target_type=_content_type(target),
        target_id=target.pk,
        target_user=author,
        space=space,
        reason=reason,
        details=details,
    )
    flag.full_clean()
    flag.save()
    _autohide_if_due(target, space)
    return flag


def flag_post(*, actor: User, post, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=post, reason=reason, details=details)


def flag_thread(*, actor: User, thread, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=thread, reason=reason, details=details)


def flag_member(*, actor: User, member: User, space: Space, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=member, space=space, reason=reason, details=details)


def flag_live_event(*, actor: User, event, reason: str, details: str = "") -> Flag:
    """For the live room's ``{"type": "flag", "seq": N, "reason": "…"}`` command.

    ``reason`` may be a category value, its label, or free text (kept as the details of an
    "other" flag), since the live protocol sends whatever the client chose."""
    return flag_item(actor=actor, target=event, **_live_reason(reason, details))


def _live_reason(reason: str, details: str) -> dict:
    text = (reason or "").strip()
    for value, label in FlagReason.choices:
        if text.casefold() in (value, label.casefold()):
            return {"reason": value, "details": details}
    extra = " ".join(part for part in (text, (details or "").strip()) if part)
    return {"reason": FlagReason.OTHER, "details": extra[:1000]}


@transaction.atomic
def raise_automatic_flag(*, target, space: Space, details: str) -> Flag | None:
    """A flag without a flagger (a ``flag`` watched word). One open automatic flag per item."""
    ct = _content_type(target)
    if Flag.objects.open().filter(target_type=ct, target_id=target.pk, flagger=None).exists():
        return None
    return Flag.objects.create(
        flagger=None,
        kind=targets.kind_of(target),
        target_type=ct,
        target_id=target.pk,
        target_user=targets.author_of(target),
        space=space,
        reason=FlagReason.OTHER,
        details=details,
    )


def _autohide_if_due(target, space: Space) -> None:
    """Hide an item once ``space.autohide_threshold`` different members have open flags on it."""
    threshold = space.autohide_threshold
    kind = targets.kind_of(target)
    if not threshold or kind == FlagKind.MEMBER or targets.is_hidden(target):
        return
    flaggers = _open_flags(target).exclude(flagger=None).values("flagger").distinct().count()
    if flaggers < threshold:
        return
    _hide(target, targets.AUTOHIDE_REASON)
    record_audit(
        actor=None,
        action=f"{_action_prefix(kind)}.autohide",
        space=space,
        target=target,
        reason=f"Flagged by {flaggers} members.",
    )
    _tell_author(
        target,
        "was hidden after members flagged it. A moderator will review it and you will be told "
        "what they decide.",
    )


def _action_prefix(kind: str) -> str:
    return {FlagKind.LIVE_MESSAGE: "live"}.get(kind, kind)


def resolve_flags_on(*, actor: User, target, upheld: bool, space: Space | None = None) -> int:
    """Close the open flags on ``target`` and tell each flagger. Call inside the action's
    transaction. For a member, only the flags raised in ``space`` are closed."""
    flags = _open_flags(target)
    if space is not None and targets.kind_of(target) == FlagKind.MEMBER:
        flags = flags.filter(space=space)
    flags = list(flags.select_related("flagger"))
    if not flags:
        return 0
    status = Flag.Status.UPHELD if upheld else Flag.Status.DISMISSED
    Flag.objects.filter(pk__in=[f.pk for f in flags]).update(
        status=status, resolved_by=actor, resolved_at=timezone.now()
    )
    outcome = (
        "took action under the guidelines"
        if upheld
        else "decided that no action was needed this time"
    )
    told = set()
    for flag in flags:
        if flag.flagger_id and flag.flagger_id not in told:
            told.add(flag.flagger_id)
            notify(
                user=flag.flagger,
                text=f"Thank you for your flag ({flag.get_reason_display().lower()}). "
                f"A moderator reviewed it and {outcome}.",
            )
    return len(flags)


# Content actions ------------------------------------------------------------------------------


def _hide(target, reason: str) -> None:
    """Hide without policy or audit: the callers do both. ``target`` is locked."""
    kind = targets.kind_of(target)
    if kind == FlagKind.POST:
        target.status = "hidden"
        target.hidden_reason = reason[:500]
        target.save(update_fields=["status", "hidden_reason"])
        _recount(target.thread)
    elif kind == FlagKind.THREAD:
        target.is_hidden = True
        target.hidden_reason = reason[:500]
        target.save(update_fields=["is_hidden", "hidden_reason"])
    elif kind == FlagKind.LIVE_MESSAGE:
        _remove_live_event(target, reason)


def _remove_live_event(event, reason: str) -> None:
    try:
        from realtime.services import remove_event_for_moderation
    except ImportError:
        event.removed = True
        event.save(update_fields=["removed"])
        return
    remove_event_for_moderation(event=event, reason=reason)


def _post_changed(post) -> None:
    from threads.services import broadcast_post_changed

    broadcast_post_changed(post)


def _recount(thread) -> None:
    """Keep the thread's counters and pending flag true after a post's status changed."""
    from threads.services import recount_thread

    recount_thread(thread)


def _tell_author(target, what: str, *, link: bool = True) -> None:
    kind = targets.kind_of(target)
    if kind == FlagKind.POST:
        notify(
            user=target.author,
            text=f"Your post in “{target.thread.title}” {what}",
            thread=target.thread if link else None,
            post=target if link else None,
        )
    elif kind == FlagKind.THREAD:
        notify(
            user=target.author,
            text=f"Your thread “{target.title}” {what}",
            thread=target if link else None,
        )
    elif kind == FlagKind.LIVE_MESSAGE:
        notify(user=target.author, text=f"Your message in “{target.session.title}” {what}")


def _locked_post(post):
    from threads.models import Post

    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread", "thread__space", "author")
        .get(pk=post.pk)
    )


def _locked_thread(thread):
    from threads.models import Thread

    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("space", "author")
        .get(pk=thread.pk)
    )


@transaction.atomic
def approve_post(*, actor: User, post, reason: str = "") -> bool:
    """Publish a post that waited for approval (pre-moderation or a watched word)."""
    post = _locked_post(post)
    space = post.thread.space
    policy.check_moderate(actor, space)
    if post.status != "pending" or post.is_deleted:
        return False
    post.status = "published"
    post.save(update_fields=["status"])
    _recount(post.thread)
    resolve_flags_on(actor=actor, target=post, upheld=False)
    record_audit(actor=actor, action="post.approve", space=space, target=post, reason=reason)
    _tell_author(post, "was approved and is now published.")
    _after_post_published(post)
    return True


def _after_post_published(post) -> None:
    """Followers hear about a held-back post only now, as if it had just been posted."""
    from threads.services import announce_post

    announce_post(post)


@transaction.atomic
def hide_post(*, actor: User, post, reason: str) -> bool:
    """Hide a post from readers (kept for the audit); its author is told why."""
    post = _locked_post(post)
    space = post.thread.space
    policy.check_moderate(actor, space)
    reason = _required_reason(reason, "the author is told why their post was hidden.")
    if post.is_deleted or (post.status == "hidden" and not targets.is_autohidden(post)):
        return False
    _hide(post, reason)
    resolve_flags_on(actor=actor, target=post, upheld=True)
    record_audit(actor=actor, action="post.hide", space=space, target=post, reason=reason)
    _post_changed(post)
    _tell_author(post, f"was hidden by a moderator: {reason}")
    return True


@transaction.atomic
def restore_post(*, actor: User, post, reason: str = "") -> bool:
    """Publish a hidden post again; open flags on it are closed as needing no action."""
    post = _locked_post(post)
    space = post.thread.space
    policy.check_moderate(actor, space)
    if post.status != "hidden" or post.is_deleted:
        return False
    post.status = "published"
    post.hidden_reason = ""
    post.save(update_fields=["status", "hidden_reason"])
    _recount(post.thread)
    resolve_flags_on(actor=actor, target=post, upheld=False)
    record_audit(actor=actor, action="post.restore", space=space, target=post, reason=reason)
    _post_changed(post)
    _tell_author(post, "was reviewed by a moderator and is visible again.")
    return True


@transaction.atomic
def delete_post(*, actor: User, post, reason: str) -> bool:
    post = _locked_post(post)
    space = post.thread.space
    policy.check_moderate(actor, space)
    reason = _required_reason(reason, "the author is told why their post was deleted.")
    if post.is_deleted:
        return False
    post.is_deleted = True
    post.deleted_at = timezone.now()
    post.save(update_fields=["is_deleted", "deleted_at"])
    _recount(post.thread)
    resolve_flags_on(actor=actor, target=post, upheld=True)
    record_audit(actor=actor, action="post.delete", space=space, target=post, reason=reason)
    _post_changed(post)
    _tell_author(post, f"was deleted by a moderator: {reason}", link=False)
    return True


@transaction.atomic
def edit_post(*, actor: User, post, body: str, reason: str) -> bool:
    """A moderator's edit: the old text is kept as a revision and the author is told why."""
    from community.rendering import RENDERER_VERSION, render_markdown
    from threads.models import BODY_MAX, PostRevision

    post = _locked_post(post)
    space = post.thread.space
    policy.check_moderate(actor, space)
    reason = _required_reason(reason, "the author is told why their post was edited.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "A post cannot be empty. Hide or delete it instead."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"Keep the post under {BODY_MAX:,} characters."})
    if post.is_deleted:
        raise ValidationError("This post has been deleted.")
    if body == post.body:
        return False
    PostRevision.objects.create(post=post, body=post.body, edited_by=actor, reason=reason)
    post.body = body
    post.body_html = render_markdown(body)
    post.renderer_version = RENDERER_VERSION
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "body_html", "renderer_version", "edited_at"])
    record_audit(actor=actor, action="post.edit", space=space, target=post, reason=reason)
    _tell_author(post, f"was edited by a moderator: {reason}")
    _post_changed(post)
    return True


@transaction.atomic
def _set_thread_field(
    *, actor: User, thread, field: str, value: bool, action: str, reason: str = ""
) -> bool:
    thread = _locked_thread(thread)
    policy.check_moderate(actor, thread.space)
    if getattr(thread, field) == value:
        return False
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    record_audit(actor=actor, action=action, space=thread.space, target=thread, reason=reason)
    return True


def lock_thread(*, actor: User, thread, reason: str = "") -> bool:
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_locked",
        value=True,
        action="thread.lock",
        reason=reason,
    )


def unlock_thread(*, actor: User, thread, reason: str = "") -> bool:
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_locked",
        value=False,
        action="thread.unlock",
        reason=reason,
    )


def pin_thread(*, actor: User, thread, reason: str = "") -> bool:
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_pinned",
        value=True,
        action="thread.pin",
        reason=reason,
    )


def unpin_thread(*, actor: User, thread, reason: str = "") -> bool:
    return _set_thread_field(
        actor=actor,
        thread=thread,
        field="is_pinned",
        value=False,
        action="thread.unpin",
        reason=reason,
    )


@transaction.atomic
def hide_thread(*, actor: User, thread, reason: str) -> bool:
    thread = _locked_thread(thread)
    policy.check_moderate(actor, thread.space)
    reason = _required_reason(reason, "the author is told why their thread was hidden.")
    if thread.is_hidden and not targets.is_autohidden(thread):
        return False
    _hide(thread, reason)
    resolve_flags_on(actor=actor, target=thread, upheld=True)
    record_audit(
        actor=actor, action="thread.hide", space=thread.space, target=thread, reason=reason
    )
    _tell_author(thread, f"was hidden by a moderator: {reason}")
    return True


@transaction.atomic
def restore_thread(*, actor: User, thread, reason: str = "") -> bool:
    thread = _locked_thread(thread)
    policy.check_moderate(actor, thread.space)
    if not thread.is_hidden:
        return False
    thread.is_hidden = False
    thread.hidden_reason = ""
    thread.save(update_fields=["is_hidden", "hidden_reason"])
    resolve_flags_on(actor=actor, target=thread, upheld=False)
    record_audit(
        actor=actor, action="thread.restore", space=thread.space, target=thread, reason=reason
    )
    _tell_author(thread, "was reviewed by a moderator and is visible again.")
    return True


@transaction.atomic
def move_thread(*, actor: User, thread, to_space: Space, reason: str = "") -> bool:
    """Move a thread (with its posts and open flags) to another space the actor moderates."""
    from threads.models import Post

    thread = _locked_thread(thread)
    from_space = thread.space
    policy.check_moderate(actor, from_space)
    policy.check_moderate(actor, to_space)
    if to_space.pk == from_space.pk:
        return False
    thread.space = to_space
    thread.save(update_fields=["space"])
    post_ids = Post.objects.filter(thread=thread).values("pk")
    Flag.objects.filter(
        Q(target_type=_content_type(thread), target_id=thread.pk)
        | Q(target_type=ContentType.objects.get_for_model(Post), target_id__in=post_ids)
    ).update(space=to_space)
    note = f"Moved from {from_space.name} to {to_space.name}." + (f" {reason}" if reason else "")
    record_audit(actor=actor, action="thread.move", space=from_space, target=thread, reason=note)
    record_audit(actor=actor, action="thread.move", space=to_space, target=thread, reason=note)
    _tell_author(thread, f"was moved to {to_space.name} by a moderator.")
    return True


@transaction.atomic
def hide_live_event(*, actor: User, event, reason: str) -> bool:
    """Remove a flagged live message from the room (the realtime app broadcasts the removal)."""
    event = _lock(event)
    space = event.session.space
    policy.check_moderate(actor, space)
    reason = _required_reason(reason, "the author is told why their message was removed.")
    if event.removed:
        return False
    _hide(event, reason)
    resolve_flags_on(actor=actor, target=event, upheld=True)
    record_audit(actor=actor, action="live.hide", space=space, target=event, reason=reason)
    _tell_author(event, f"was removed by a moderator: {reason}")
    return True


@transaction.atomic
def dismiss_flags(*, actor: User, target, space: Space | None = None, reason: str = "") -> bool:
    """Nothing wrong: close the open flags and bring back an automatically hidden item."""
    target = _lock(target)
    kind = targets.kind_of(target)
    space = space if kind == FlagKind.MEMBER else targets.space_of(target)
    if space is None:
        raise Http404("No such item.")
    policy.check_moderate(actor, space)
    if targets.is_autohidden(target):
        if kind == FlagKind.POST:
            target.status = "published"
            target.hidden_reason = ""
            target.save(update_fields=["status", "hidden_reason"])
            _recount(target.thread)
        else:
            target.is_hidden = False
            target.hidden_reason = ""
            target.save(update_fields=["is_hidden", "hidden_reason"])
        _tell_author(target, "was reviewed by a moderator and is visible again.")
    closed = resolve_flags_on(actor=actor, target=target, upheld=False, space=space)
    if not closed:
        return False
    record_audit(actor=actor, action="flag.dismiss", space=space, target=target, reason=reason)
    return True
