"""How the forum writes moments in sentences people read (notices, refusals, emails)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format


def when(moment: datetime) -> str:
    """ "3 December 2026, 14:30" in the site's time zone."""
    return date_format(timezone.localtime(moment), "j F Y, H:i")
