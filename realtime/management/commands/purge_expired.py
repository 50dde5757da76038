"""Delete live transcripts whose retention has ended. Idempotent: run it from cron."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from realtime.services import purge_expired


class Command(BaseCommand):
    help = "Delete the transcripts of ended live sessions past their retention period."

    def handle(self, *args, **options):
        purged = purge_expired()
        self.stdout.write(f"Purged {purged} live session transcript{'s' if purged != 1 else ''}.")
