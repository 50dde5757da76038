from __future__ import annotations

from django.conf import settings

from moderation.selectors import queue_count
from threads.selectors import unread_notification_count


def forum(request) -> dict:
    """What the base layout needs on every page: the member's unread count and queue size."""
    user = getattr(request, "user", None)
    context: dict = {"SITE_NAME": settings.SITE_NAME, "DEBUG": settings.DEBUG}
    if user is None or not user.is_authenticated:
        return context
    context["header_counts"] = HeaderCounts(user)
    return context


class HeaderCounts:
    """Counts computed only if a template prints them (one query each)."""

    def __init__(self, user):
        self.user = user
        self._cache: dict[str, int] = {}

    def _get(self, key: str, count) -> int:
        if key not in self._cache:
            self._cache[key] = count(self.user)
        return self._cache[key]

    @property
    def notifications(self) -> int:
        return self._get("notifications", unread_notification_count)

    @property
    def moderation(self) -> int:
        return self._get("moderation", queue_count)
