"""Who may do what with threads and posts.

Pure functions, no writes. ``can_*`` answer for templates; ``check_*`` raise ``Http404`` when the
actor may not know the object exists, ``PermissionDenied`` with a sentence a person understands
when they may see it but not act.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from community import policy as community_policy
from community.models import Membership, Space
from moderation import policy as moderation_policy
from moderation import screening

from .models import Post, PostStatus, Thread


def _refused(check, *args) -> bool:
    return not community_policy.passes(check, *args)


def _refusal(check, *args) -> str:
    """The sentence ``check`` refuses with ("" when it allows, or when the actor may not know
    the object exists: there is nothing to explain to them)."""
    try:
        check(*args)
    except Http404:
        return ""
    except PermissionDenied as exc:
        return str(exc)
    return ""


NO_LONGER_AVAILABLE = (
    "This is not available to you. It may have been removed, or you may no longer have access "
    "to it. Nothing was posted."
)


def lost_access_reason(user, slug: str) -> str:
    """Why a write to something in the space ``slug`` names found nothing ``user`` may see: their
    own ban from it, when that is the reason (they know they were banned; the sentence names no
    thread), and otherwise the same sentence whatever exists, so it tells nothing."""
    space = Space.objects.filter(slug=slug).first()
    membership = community_policy.membership_of(user, space) if space is not None else None
    if membership is not None and membership.status == Membership.Status.BANNED:
        reason = f": {membership.ban_reason}" if membership.ban_reason else "."
        return (
            f"You have been banned from {space.name}{reason} "
            "You can no longer read or post in it, so nothing was posted."
        )
    return NO_LONGER_AVAILABLE


def can_see_thread(user, thread: Thread) -> bool:
    """Object-level mirror of ``Thread.objects.visible_to`` (one query)."""
    return Thread.objects.visible_to(user).filter(pk=thread.pk).exists()


def check_see_thread(user, thread: Thread) -> None:
    if not can_see_thread(user, thread):
        raise Http404("No such thread.")


def can_see_post(user, post: Post) -> bool:
    return Post.objects.visible_to(user).filter(pk=post.pk).exists()


def check_see_post(user, post: Post) -> None:
    if not can_see_post(user, post):
        raise Http404("No such post.")


def can_moderate(user, space: Space) -> bool:
    """Moderators of the space and staff: they see real authors, revisions, hidden posts."""
    return community_policy.can_moderate_space(user, space)


def can_see_real_author(user, space: Space) -> bool:
    return can_moderate(user, space)


def can_read_revisions(user, post: Post) -> bool:
    return can_moderate(user, post.thread.space)


def _check_participate_in(user, space: Space) -> None:
    """Like community's check_participate, but a reader of a ``community`` thread who is not a
    member of its space is told to join rather than shown a 404 for a thread they can see."""
    if not community_policy.can_read_space(user, space):
        raise PermissionDenied(f"Join {space.name} to take part in its threads.")
    community_policy.check_participate(user, space)


def can_participate_in(user, space: Space) -> bool:
    return not _refused(_check_participate_in, user, space)


def check_start_thread(user, space: Space) -> None:
    community_policy.check_participate(user, space)


def can_start_thread(user, space: Space) -> bool:
    return not _refused(check_start_thread, user, space)


def check_reply(user, thread: Thread) -> None:
    """Raise unless ``user`` may reply to ``thread`` now. The caller knows the thread is visible."""
    _check_participate_in(user, thread.space)
    if thread.is_locked and not can_moderate(user, thread.space):
        raise PermissionDenied("This thread is locked, so it cannot take new replies.")
    if thread.is_hidden and not can_moderate(user, thread.space):
        raise PermissionDenied("This thread has been hidden by a moderator.")


def can_reply(user, thread: Thread) -> bool:
    return not _refused(check_reply, user, thread)


def reply_refusal(user, thread: Thread) -> str:
    """Why ``user`` may not reply to ``thread`` now ("" when they may), for the thread page."""
    return _refusal(check_reply, user, thread)


def standing_refusal(user, space: Space) -> str:
    """Why ``user``, a reader of ``space``, may not post, react or flag in it now (a mute or a
    suspension, with its end), or "". Non-members are not sanctioned: they are asked to join."""
    return _refusal(community_policy.check_participate, user, space)


def can_flag(user, space: Space) -> bool:
    """Moderation's rule (suspended and muted members cannot flag), for the Flag links."""
    return not _refused(moderation_policy.check_flag, user, space)


def moderates_post(user, post: Post) -> bool:
    """Whether ``user`` acts on ``post`` as a moderator (someone else's post, in a space they
    moderate): then a reason is required, the author is told and the audit log keeps it."""
    return post.author_id != user.pk and can_moderate(user, post.thread.space)


def check_edit_post(user, post: Post) -> None:
    """Authors edit their own posts; moderators and staff edit any (with a reason)."""
    space = post.thread.space
    if post.is_deleted:
        if not can_moderate(user, space):
            raise Http404("No such post.")
        raise PermissionDenied("This post has been deleted, so it cannot be edited.")
    if post.author_id != user.pk and not can_moderate(user, space):
        raise PermissionDenied("You can only edit your own posts.")
    if post.author_id == user.pk and not can_moderate(user, space):
        _check_participate_in(user, space)
        if post.thread.is_locked:
            raise PermissionDenied("This thread is locked, so its posts cannot be edited.")
        # A hidden post can be edited: the edit is resubmitted for a moderator's review.


def can_edit_post(user, post: Post) -> bool:
    return not _refused(check_edit_post, user, post)


def check_delete_post(user, post: Post) -> None:
    space = post.thread.space
    if post.is_deleted:
        raise Http404("No such post.")
    if post.author_id != user.pk and not can_moderate(user, space):
        raise PermissionDenied("You can only delete your own posts.")


def can_delete_post(user, post: Post) -> bool:
    return not _refused(check_delete_post, user, post)


def check_react(user, post: Post) -> None:
    """The caller knows the post is visible to ``user``."""
    if not post.is_published:
        raise PermissionDenied("You can react only to published posts.")
    if post.author_id == user.pk:
        raise PermissionDenied("You cannot react to your own post.")
    _check_participate_in(user, post.thread.space)


def can_react(user, post: Post) -> bool:
    return not _refused(check_react, user, post)


def check_follow_thread(user, thread: Thread) -> None:
    check_see_thread(user, thread)


def check_follow_space(user, space: Space) -> None:
    community_policy.check_read_space(user, space)


# Pre-moderation and slow mode: they count the member's posts, so they live with the posts.


def needs_premoderation(actor, space: Space) -> bool:
    """True while ``actor``'s published posts in ``space`` are fewer than its pre-moderation
    count (moderators and staff are never held)."""
    if not space.premoderation_count or screening.is_exempt(actor, space):
        return False
    approved = Post.objects.filter(
        author=actor, thread__space=space, status=PostStatus.PUBLISHED
    ).count()
    return approved < space.premoderation_count


def check_slow_mode(actor, space: Space, thread: Thread | None = None) -> None:
    """Raise PermissionDenied("You can post again in N seconds.") inside a slow-mode window:
    the space's (since the member's last post in it) or the thread's (their last reply there)."""
    space_seconds = space.slow_mode_seconds
    thread_seconds = thread.slow_mode_seconds if thread is not None else 0
    if not (space_seconds or thread_seconds) or screening.is_exempt(actor, space):
        return None
    now = timezone.now()
    mine = (
        Post.objects.filter(author=actor)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    left = 0
    if space_seconds:
        left = screening.seconds_left(mine.filter(thread__space=space).first(), space_seconds, now)
    if thread_seconds and thread is not None and thread.pk:
        left = max(
            left, screening.seconds_left(mine.filter(thread=thread).first(), thread_seconds, now)
        )
    if left > 0:
        raise screening.slow_mode_refusal(left)
    return None
