"""Re-render posts stored by an older renderer (community.rendering.RENDERER_VERSION)."""

from django.core.management.base import BaseCommand

from community.rendering import RENDERER_VERSION
from threads.services import rerender_posts


class Command(BaseCommand):
    help = "Re-render the HTML of posts rendered by an older version of community.rendering."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Re-render every post.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, all: bool, batch_size: int, **options):
        count = rerender_posts(batch_size=batch_size, force=all)
        self.stdout.write(
            f"Re-rendered {count} post{'s' if count != 1 else ''} "
            f"with renderer version {RENDERER_VERSION}."
        )
