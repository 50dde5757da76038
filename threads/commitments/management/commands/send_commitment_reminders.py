"""Email members about their open commitments: a week before, on the date, then monthly.
Idempotent: each reminder is sent once, however often it runs (daily, for cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from threads.commitments.reminders import send_reminders


class Command(BaseCommand):
    help = "Send the commitment reminders due today (each one once)."

    def handle(self, *args, **options):
        sent = send_reminders()
        self.stdout.write(f"Sent {sent} commitment reminder{'s' if sent != 1 else ''}.")
