"""Demo live sessions for ``seed_demo``: one scheduled and one live in safe-spaces. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from community.rendering import render_markdown

from .models import LiveSession

DEMO_SESSIONS = [
    {
        "title": "Can we talk about race? Peer-learning circle",
        "status": LiveSession.Status.SCHEDULED,
        "starts_in": timedelta(days=7),
        "prompt": "",
        "description": (
            "A facilitated conversation for leaders about the first difficult conversation "
            "they had about race at work: what helped, what got in the way."
        ),
    },
    {
        "title": "Live now: creating safe spaces in staff networks",
        "status": LiveSession.Status.LIVE,
        "starts_in": timedelta(minutes=-15),
        "prompt": "What would make it safe for a colleague to raise racism with you?",
        "description": (
            "Staff-network chairs and board members compare how they make space for "
            "colleagues to speak about racism, and what they do with what they hear."
        ),
    },
]


@transaction.atomic
def seed(ctx) -> None:
    space = ctx.spaces.get("safe-spaces")
    facilitator = ctx.users.get("facilitator")
    if space is None or facilitator is None:
        return
    now = timezone.now()
    for spec in DEMO_SESSIONS:
        starts = now + spec["starts_in"]
        session, _ = LiveSession.objects.get_or_create(
            space=space,
            title=spec["title"],
            defaults={
                "description": spec["description"],
                "description_html": render_markdown(spec["description"]),
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2 if spec["status"] == "live" else 1),
                "status": spec["status"],
                "prompt": spec["prompt"],
                "capacity": 200,
                "started_at": now if spec["status"] == "live" else None,
                "created_by": facilitator,
            },
        )
        # Keep the live demo session live whenever the demo is reseeded.
        if session.status == LiveSession.Status.LIVE and session.ends_at <= now:
            session.ends_at = now + timedelta(hours=2)
            session.save(update_fields=["ends_at"])
        session.facilitators.add(facilitator)
