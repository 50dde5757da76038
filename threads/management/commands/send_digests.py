"""Email each member a digest of followed activity they have not read or been emailed about."""

from django.conf import settings
from django.core.management.base import BaseCommand

from threads.digests import send_digests


class Command(BaseCommand):
    help = "Send batched notification emails (run from cron, for example hourly)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="The site's address, used for links in the emails.",
        )

    def handle(self, *args, base_url: str, **options):
        members, items = send_digests(base_url=base_url)
        self.stdout.write(f"Sent {members} digest{'s' if members != 1 else ''} ({items} items).")
