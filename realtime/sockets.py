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


class ReadsRolesAgain:
    """A consumer that hears ``socket.roles`` (realtime.receivers: something its member's roles
    are read from changed) and reads them again: ``_roles_verdict()`` (in a worker thread) is
    None to stay, or the frame and close code to end with. A ban's or removal's own message,
    sent in the same commit, is often already waiting right behind in the socket's backlog:
    then that one closes the socket, saying why (``_closed_by_standing`` says which do)."""

    async def socket_roles(self, message: dict) -> None:
        space_id = message.get("space_id")
        if self.revoked or not self.joined or space_id not in (None, self.space_id):
            return
        verdict = await database_sync_to_async(self._roles_verdict)()
        if verdict is not None and not self.fanout_pending(self._closes_this_socket):
            await self._end(*verdict)

    def _closes_this_socket(self, message: dict) -> bool:
        kind = message.get("type")
        if kind == "socket.end":
            return self.session_hash not in message.get("keep", ())
        return kind == "socket.standing" and self._closed_by_standing(message)
