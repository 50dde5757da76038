"""Screening: the moderation rules content apps apply before they store member-written text.

The threads and realtime services call these inside their own transaction, before saving, so
the rules are the same on every path (HTTP form, HTMX, WebSocket). Each raises with a message a
person understands, or returns what should happen to the new content. A ``flag`` outcome means
the caller raises an automatic flag (``moderation.services.raise_automatic_flag``) once saved.
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied, ValidationError

from community import policy as community_policy

from .models import WatchedWord
from .text import find_matches


class Outcome:
    PUBLISH = "publish"
    REQUIRE_APPROVAL = "require_approval"
    FLAG = "flag"


def screen_text(*, actor, space, text: str) -> str:
    """Apply watched words. Raise ValidationError naming the rule for a ``block`` word;
    otherwise return an Outcome (``require_approval`` and ``flag`` words)."""
    if space is not None and is_exempt(actor, space):
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


def seconds_left(last, seconds: int, now) -> int:
    """Seconds until a slow-mode window that began at ``last`` lets the member post again."""
    if not seconds or last is None:
        return 0
    return max(0, math.ceil(seconds - (now - last).total_seconds()))


def slow_mode_refusal(left: int) -> PermissionDenied:
    unit = "second" if left == 1 else "seconds"
    return PermissionDenied(f"You can post again in {left} {unit}.")


def is_exempt(actor, space) -> bool:
    """Moderators and staff are not held by pre-moderation, watched words or slow mode."""
    return community_policy.can_moderate_space(actor, space)
