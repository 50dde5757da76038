"""Filters for the live room's server-rendered stream (templates/realtime/)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def local_time(iso: str) -> str:
    """An event's ISO 8601 ``created`` as the clock time in the site's time zone (HH:MM), the
    same as live.js shows for events that arrive later."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return timezone.localtime(moment).strftime("%H:%M")
