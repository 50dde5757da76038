"""What every WebSocket consumer of the forum shares: database access off the event loop (layer
messages reach consumers through realtime.fanout's hub, without channels' per-message thread hop)."""

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
