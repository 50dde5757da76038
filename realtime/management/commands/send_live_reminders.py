"""Email registered members before a live session starts. Idempotent: each session once."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from realtime.services import send_reminders


class Command(BaseCommand):
    help = (
        "Email a reminder to members registered for sessions starting within --hours (default 24)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args, hours: int, **options):
        sent = send_reminders(within=timedelta(hours=hours))
        self.stdout.write(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
