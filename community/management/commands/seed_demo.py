"""Load the demo accounts and content of SPEC.md. Idempotent: run it as often as you like."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from community.demo import DEFAULT_PASSWORD, seed_accounts
from moderation import demo as moderation_demo
from realtime import demo as realtime_demo
from threads import demo as threads_demo
from threads.commitments import demo as commitments_demo

# Content first (commitments after the threads and live sessions they come from), then
# moderation (its watched words would hold back the demo posts).
CONTENT_MODULES = [threads_demo, realtime_demo, commitments_demo, moderation_demo]


class Command(BaseCommand):
    help = (
        "Create the demo accounts, memberships and content (refuses with DEBUG off unless --force)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--extra-members", type=int, default=0, metavar="N")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, password: str, extra_members: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password; it refuses to run with DEBUG "
                "off. Pass --force if you really mean it."
            )
        if extra_members < 0:
            raise CommandError("--extra-members must be 0 or more.")
        ctx = seed_accounts(password=password, extra_members=extra_members)
        for module in CONTENT_MODULES:
            module.seed(ctx)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(ctx.users)} accounts, password “{password}”. "
                "Sign in as member@example.org."
            )
        )
