from __future__ import annotations

from django.conf import settings


def forum(request) -> dict:
    """What the base layout needs on every page: the member's unread count and queue size."""
    user = getattr(request, "user", None)
    context: dict = {"SITE_NAME": "Race Equality Peer Forum", "DEBUG": settings.DEBUG}
    if user is None or not user.is_authenticated:
        return context
    context["header_counts"] = _LazyCounts(user)
    return context


class _LazyCounts:
    """Counts computed only if a template prints them (one query each)."""

    def __init__(self, user):
        self.user = user
        self._cache: dict = {}

    def _get(self, key, fn):
        if key not in self._cache:
            try:
                self._cache[key] = fn()
            except ImportError:
                self._cache[key] = 0
        return self._cache[key]

    @property
    def notifications(self) -> int:
        def count():
            from threads.selectors import unread_notification_count

            return unread_notification_count(self.user)

        return self._get("notifications", count)

    @property
    def moderation(self) -> int:
        def count():
            from moderation.selectors import queue_count

            return queue_count(self.user)

        return self._get("moderation", count)
