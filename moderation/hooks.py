"""The moderation rules other apps call before they store member-written content.

The threads and realtime services call these inside their own transaction, before saving, so
the rules are the same on every path (HTTP form, HTMX, WebSocket). Each raises with a message a
person understands, or returns what should happen to the new content.
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community import policy as community_policy

from .models import WatchedWord
from .text import find_matches


class Outcome:
    PUBLISH = "publish"
    REQUIRE_APPROVAL = "require_approval"
    FLAG = "flag"


def _exempt(actor, space) -> bool:
    """Moderators and staff are not held by pre-moderation, watched words or slow mode."""
    return community_policy.can_moderate_space(actor, space)


def screen_text(*, actor, space, text: str) -> str:
    """Apply watched words. Raise ValidationError naming the rule for a ``block`` word;
    otherwise return an Outcome (``require_approval`` and ``flag`` words)."""
    if space is not None and _exempt(actor, space):
        return Outcome.PUBLISH
    words = list(
        WatchedWord.objects.applying_to(space)
        .order_by("space_id", "normalized")
        .values_list("word", "normalized", "action", "space_id")
    )
    if not words:
        return Outcome.PUBLISH
    matched = set(find_matches(text, {normalized for _, normalized, _, _ in words}))
    hits = [w for w in words if w[1] in matched]
    for word, _, action, space_id in hits:
        if action == WatchedWord.Action.BLOCK:
            scope = "this space's" if space_id else "the community's"
            raise ValidationError(
                f"“{word}” is not allowed under {scope} watched words. "
                "Your text is kept below: edit it and send it again."
            )
    actions = {action for _, _, action, _ in hits}
    if WatchedWord.Action.REQUIRE_APPROVAL in actions:
        return Outcome.REQUIRE_APPROVAL
    if WatchedWord.Action.FLAG in actions:
        return Outcome.FLAG
    return Outcome.PUBLISH


def needs_premoderation(*, actor, space) -> bool:
    """True while ``actor``'s approved posts in ``space`` are fewer than its pre-moderation count."""
    if not space.premoderation_count or _exempt(actor, space):
        return False
    from threads.models import Post, PostStatus

    approved = Post.objects.filter(
        author=actor, thread__space=space, status=PostStatus.PUBLISHED
    ).count()
    return approved < space.premoderation_count


def _seconds_left(last, seconds: int, now) -> int:
    if not seconds or last is None:
        return 0
    return max(0, math.ceil(seconds - (now - last).total_seconds()))


def check_slow_mode(*, actor, space, thread=None) -> None:
    """Raise PermissionDenied("You can post again in N seconds.") inside a slow-mode window."""
    space_seconds = space.slow_mode_seconds
    thread_seconds = thread.slow_mode_seconds if thread is not None else 0
    if not (space_seconds or thread_seconds) or _exempt(actor, space):
        return None
    from threads.models import Post

    now = timezone.now()
    mine = (
        Post.objects.filter(author=actor)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    left = 0
    if space_seconds:
        left = _seconds_left(mine.filter(thread__space=space).first(), space_seconds, now)
    if thread_seconds and thread is not None and thread.pk:
        left = max(left, _seconds_left(mine.filter(thread=thread).first(), thread_seconds, now))
    if left > 0:
        unit = "second" if left == 1 else "seconds"
        raise PermissionDenied(f"You can post again in {left} {unit}.")
    return None


def after_content_created(*, actor, space, obj, outcome: str) -> None:
    """Called after saving content whose outcome was FLAG (raise an automatic flag)."""
    if outcome != Outcome.FLAG:
        return None
    from .services import raise_automatic_flag

    raise_automatic_flag(target=obj, space=space, details="Contains a watched word.")
    return None
