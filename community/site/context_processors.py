from __future__ import annotations

from django.conf import settings

from community.models import Space
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
        return self._get("moderation", _queue_count_if_moderating)


def _queue_count_if_moderating(user) -> int:
    """``queue_count``, asked only of someone with a queue: staff, or an active moderator of
    some space (``Space.objects.moderated_by``). Its one query covers every kind of item
    in every moderated space and takes ~10 ms of CPU to build (docs/performance.md, "Pages
    against Spirit"); for everyone else the queue is empty, found with one small query."""
    if not user.is_staff and not Space.objects.moderated_by(user).exists():
        return 0
    return queue_count(user)
