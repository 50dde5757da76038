"""Moments in templates (a builtin: no ``{% load %}`` needed): ``<time datetime>`` values the
HTML standard accepts, and ISO strings (socket frames) as datetimes the ``date`` filter shows in
the site's time zone."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

register = template.Library()


def _moment(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


@register.filter
def moment(value: datetime | str | None) -> datetime | None:
    """``value`` (a datetime or an ISO 8601 string) as an aware datetime, or None."""
    return _moment(value)


@register.filter
def datetime_attr(value: datetime | date | str | None) -> str:
    """``2026-07-01T18:33:52+01:00``: local time to the second with its offset (the HTML
    standard allows at most three digits of a second, Django's ``c`` format gives six)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    value = _moment(value)
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(timespec="seconds")
