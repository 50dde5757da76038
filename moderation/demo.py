"""Demo moderation data for ``manage.py seed_demo``: a watched word and one open flag.

Idempotent, and tolerant of the threads content not being there (then no flag is raised).
"""

from __future__ import annotations

from django.db import transaction

from .models import Flag, FlagReason, WatchedWord


@transaction.atomic
def seed(ctx) -> None:
    staff = ctx.users.get("staff")
    WatchedWord.objects.get_or_create(
        space=None,
        normalized="buy now",
        defaults={
            "word": "buy now",
            "action": WatchedWord.Action.REQUIRE_APPROVAL,
            "created_by": staff,
        },
    )
    allyship = ctx.spaces.get("allyship")
    if allyship is not None:
        WatchedWord.objects.get_or_create(
            space=allyship,
            normalized="snowflake",
            defaults={"word": "snowflake", "action": WatchedWord.Action.FLAG, "created_by": staff},
        )
    _seed_flag(ctx)


def _seed_flag(ctx) -> None:
    """One open flag from ``member`` on a published reply someone else wrote, if any exists."""
    flagger = ctx.users.get("member")
    if flagger is None:
        return
    try:
        from threads.models import Post, PostStatus
    except ImportError:  # pragma: no cover - threads app absent
        return
    if Flag.objects.filter(flagger=flagger).exists():
        return
    space = ctx.spaces.get("safe-spaces") or next(iter(ctx.spaces.values()), None)
    if space is None:
        return
    post = (
        Post.objects.filter(
            thread__space=space, status=PostStatus.PUBLISHED, is_deleted=False, is_opening=False
        )
        .exclude(author=flagger)
        .exclude(author=None)
        .select_related("thread__space", "author")
        .order_by("created_at", "pk")
        .first()
    )
    if post is None:
        return
    from .services import flag_post

    flag_post(
        actor=flagger,
        post=post,
        reason=FlagReason.OTHER,
        details="Demo flag: this names a colleague's team; could a moderator check it is okay?",
    )
