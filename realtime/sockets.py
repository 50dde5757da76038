"""What every WebSocket consumer of the forum shares: database access off the event loop, and
layer messages delivered without channels' per-message thread hop."""

from __future__ import annotations

from channels.db import DatabaseSyncToAsync
from django.conf import settings


def database_sync_to_async(fn):
    """Run ``fn`` in a worker thread, closing its DB connection after.

    On PostgreSQL not thread-sensitive: the default funnels every consumer of the process
    through one thread, so a burst of connects queues behind each other's queries. SQLite
    serializes writers anyway and its shared in-memory test database locks across threads.
    """
    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    return DatabaseSyncToAsync(fn, thread_sensitive=sqlite)


class LeanLayerDispatch:
    """Deliver channel-layer messages straight to their handler.

    channels (4.2+) runs ``close_old_connections`` through its single database thread before
    every handler; for a broadcast that is one thread hop per delivered frame (measured in
    bench/: about 40% of the CPU per delivery). Layer handlers here reach the database only
    through ``database_sync_to_async``, which closes stale connections itself.
    """

    LAYER_HANDLERS: dict[str, str] = {}

    async def dispatch(self, message: dict) -> None:
        name = self.LAYER_HANDLERS.get(message["type"])
        if name is None:
            await super().dispatch(message)
        else:
            await getattr(self, name)(message)
