"""A member's calendar feed of live sessions, read by calendar apps with a secret token
instead of a sign-in. What it lists comes from ``LiveSession.objects.visible_to`` for the
token's owner, at each request: a session of a space they left disappears from it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from community.models import User

from .models import CalendarFeed, LiveSession, Registration, new_feed_token

TOKEN_MAX = 64


def feed_for(user: User) -> CalendarFeed:
    """The member's feed, made the first time it is asked for."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def reset_feed(*, actor: User) -> CalendarFeed:
    """A new secret: the old address answers 404 from now on."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=actor)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed


def owner_of(token: str) -> User | None:
    """The active member whose current token this is, or None (unknown, reset, erased)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True, user__erased_at__isnull=True)
        .first()
    )
    return feed.user if feed else None


def sessions_in_feed(user: User) -> QuerySet[LiveSession]:
    """Upcoming and current sessions in the member's spaces, each with ``is_registered``."""
    return (
        LiveSession.objects.visible_to(user)
        .upcoming_or_current()
        .select_related("space")
        .annotate(
            is_registered=Exists(Registration.objects.filter(session=OuterRef("pk"), user=user))
        )
    )


def forget_member(user: User) -> int:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return deleted
