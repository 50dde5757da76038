"""Reminder emails for open commitments (``manage.py send_commitment_reminders``, for cron).

A week before the date, on the date, then a monthly "how is it going?" while the commitment is
open. Each is sent exactly once: a :class:`CommitmentReminder` row (unique on commitment, kind
and due date) is written in the same transaction as the email is sent, so a second run, or two
runs at once, send nothing more. Only the reminder due now is sent: a missed run does not
bring a backlog. The email names the commitment by its own words (the member's own) and links
to it; the thread or session it came from is named only while the member may still see it, and
never quoted.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from community.mail import send_mail

from .models import (
    OPEN_STATUSES,
    Commitment,
    CommitmentReminder,
    CommitmentStatus,
    ReminderKind,
)
from .selectors import shown_source

logger = logging.getLogger(__name__)
WEEK = timedelta(days=7)
BATCH = 500


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reminder_due(commitment: Commitment, today: date) -> tuple[str, date] | None:
    """The one reminder due for ``commitment`` on ``today``, as (kind, the day it was due)."""
    due = commitment.due_on
    if today < due - WEEK:
        return None
    if today < due:
        # Made within the last week before its date: a "due in a week" email would be odd.
        if timezone.localtime(commitment.created_at).date() > due - WEEK:
            return None
        return ReminderKind.WEEK_BEFORE, due - WEEK
    if today < add_months(due, 1):
        return ReminderKind.DUE, due
    months = (today.year - due.year) * 12 + today.month - due.month
    if add_months(due, months) > today:
        months -= 1
    return ReminderKind.MONTHLY, add_months(due, months)


def candidates(today: date):
    """Open commitments with reminders on whose owners can still receive email."""
    return (
        Commitment.objects.filter(
            status__in=OPEN_STATUSES,
            reminders=True,
            due_on__lte=today + WEEK,
            owner__is_active=True,
            owner__erased_at__isnull=True,
        )
        .select_related("owner", "source_thread__space")
        .order_by("pk")
    )


def _message(commitment: Commitment, kind: str, *, base_url: str) -> tuple[str, str]:
    owner = commitment.owner
    when = date_format(commitment.due_on, "j F Y")
    if kind == ReminderKind.WEEK_BEFORE:
        subject = f"Your commitment is due on {when}"
        lead = f"A week to go: you said you would do this by {when}."
    elif kind == ReminderKind.DUE:
        subject = "Your commitment is due today"
        lead = f"Today is the date you set: {when}."
    else:
        subject = "How is your commitment going?"
        lead = f"You set {when} for this, and it is still open. How is it going?"
    link = f"{base_url}{commitment.get_absolute_url()}"
    lines = [
        f"Hello {owner.display_name},",
        "",
        lead,
        "",
        f"“{commitment.title}”",
        f"Status: {CommitmentStatus(commitment.status).label}",
    ]
    source = shown_source(owner, commitment)
    if source is not None:
        lines.append(f"It came from {source.label}.")
    lines += [
        "",
        f"Post an update, or mark it done or dropped: {link}",
        "",
        "You can turn reminders off for this commitment on its page.",
    ]
    return subject, "\n".join(lines) + "\n"


def send_reminder(commitment: Commitment, kind: str, due_date: date, *, base_url: str) -> bool:
    """Record and send one reminder, once. Returns False when it had been sent already."""
    try:
        with transaction.atomic():
            CommitmentReminder.objects.create(commitment=commitment, kind=kind, due_date=due_date)
            subject, body = _message(commitment, kind, base_url=base_url)
            # Inside the transaction: if sending fails, the record goes too and the next run
            # tries again.
            send_mail(subject, body, None, [commitment.owner.email])
    except IntegrityError:
        return False
    return True


def send_reminders(*, today: date | None = None, base_url: str | None = None) -> int:
    """Send every reminder due today. Idempotent; returns how many were sent."""
    today = today or timezone.localdate()
    base_url = (base_url if base_url is not None else settings.SITE_URL).rstrip("/")
    sent = 0
    last_pk = 0
    while True:
        # In batches by primary key: no cursor stays open while reminders are written.
        batch = list(candidates(today).filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            return sent
        already = set(
            CommitmentReminder.objects.filter(commitment__in=batch).values_list(
                "commitment_id", "kind", "due_date"
            )
        )
        for commitment in batch:
            due = reminder_due(commitment, today)
            if due is None or (commitment.pk, *due) in already:
                continue
            try:
                if send_reminder(commitment, *due, base_url=base_url):
                    sent += 1
            except Exception:
                # One address the mail server refuses must not hold up everyone else's; the
                # reminder was not recorded, so the next run tries it again.
                logger.exception("Commitment reminder for %s not sent", commitment.pk)
        last_pk = batch[-1].pk
