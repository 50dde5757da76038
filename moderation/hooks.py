"""TEMPORARY compatibility module for the commitments branch (drop when main's layers step 2 lands).

The base commit (590e3fc, "Layers, step 2 (work in progress)") renamed ``moderation.hooks`` to
``moderation.screening`` but ``threads.services`` and ``realtime.services`` still import the old
name, so nothing that touches threads imported at all. This restores the old functions on top of
``screening`` so the suite runs in this branch. It is not part of the commitments feature.
"""

from __future__ import annotations

from django.utils import timezone

from .screening import Outcome, is_exempt, screen_text, seconds_left, slow_mode_refusal

__all__ = [
    "Outcome",
    "after_content_created",
    "check_slow_mode",
    "needs_premoderation",
    "screen_text",
]


def needs_premoderation(*, actor, space) -> bool:
    if not space.premoderation_count or is_exempt(actor, space):
        return False
    from threads.models import Post, PostStatus

    approved = Post.objects.filter(
        author=actor, thread__space=space, status=PostStatus.PUBLISHED
    ).count()
    return approved < space.premoderation_count


def check_slow_mode(*, actor, space, thread=None) -> None:
    space_seconds = space.slow_mode_seconds
    thread_seconds = thread.slow_mode_seconds if thread is not None else 0
    if not (space_seconds or thread_seconds) or is_exempt(actor, space):
        return
    from threads.models import Post

    now = timezone.now()
    mine = Post.objects.filter(author=actor).order_by("-created_at")
    mine = mine.values_list("created_at", flat=True)
    left = 0
    if space_seconds:
        left = seconds_left(mine.filter(thread__space=space).first(), space_seconds, now)
    if thread_seconds and thread is not None and thread.pk:
        left = max(left, seconds_left(mine.filter(thread=thread).first(), thread_seconds, now))
    if left > 0:
        raise slow_mode_refusal(left)


def after_content_created(*, actor, space, obj, outcome: str) -> None:
    if outcome != Outcome.FLAG:
        return
    from .services import raise_automatic_flag

    raise_automatic_flag(target=obj, space=space, details="Contains a watched word.")
