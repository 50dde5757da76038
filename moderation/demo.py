"""Demo moderation data for ``manage.py seed_demo``: the watched words. Idempotent.

Demo flags are on content, so the content apps seed them (through
``moderation.services.flag_item``); moderation knows no content model.
"""

from __future__ import annotations

from django.db import transaction

from .models import WatchedWord


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
