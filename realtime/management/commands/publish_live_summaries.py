"""Publish live-session summaries whose 48-hour withdrawal window has ended. Idempotent: run it
from cron."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from realtime.summaries import publish_due_summaries


class Command(BaseCommand):
    help = "Publish the drafted summaries of live sessions once everyone quoted has had 48 hours."

    def handle(self, *args, **options):
        published = publish_due_summaries()
        self.stdout.write(
            f"Published {published} live session summar{'ies' if published != 1 else 'y'}."
        )
