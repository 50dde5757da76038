"""The moderation rules other apps call before they store member-written content.

The threads and realtime services call these inside their own transaction, before saving, so
the rules are the same on every path (HTTP form, HTMX, WebSocket). Each raises with a message a
person understands, or returns what should happen to the new content.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: F401


class Outcome:
    PUBLISH = "publish"
    REQUIRE_APPROVAL = "require_approval"
    FLAG = "flag"


def screen_text(*, actor, space, text: str) -> str:
    """Apply watched words. Raise ValidationError naming the rule for a ``block`` word;
    otherwise return an Outcome (``require_approval`` and ``flag`` words)."""
    return Outcome.PUBLISH


def needs_premoderation(*, actor, space) -> bool:
    """True while ``actor``'s approved posts in ``space`` are fewer than its pre-moderation count."""
    return False


def check_slow_mode(*, actor, space, thread=None) -> None:
    """Raise PermissionDenied("You can post again in N seconds.") inside a slow-mode window."""
    return None


def after_content_created(*, actor, space, obj, outcome: str) -> None:
    """Called after saving content whose outcome was FLAG (raise an automatic flag)."""
    return None
