"""Erase the accounts whose deletion grace period has ended. Idempotent; run daily from cron."""

from django.core.management.base import BaseCommand

from community.site.account_data import erase_due_accounts


class Command(BaseCommand):
    help = "Erase accounts whose owners asked for deletion more than the grace period ago."

    def handle(self, *args, **options):
        count = erase_due_accounts()
        self.stdout.write(f"Erased {count} account{'s' if count != 1 else ''}.")
