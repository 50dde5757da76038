"""The thread page's WebSocket consumer (``/ws/threads/<id>/``): it only listens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from asgiref.sync import sync_to_async
from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.cache import cache

from realtime import policy
from realtime.broadcast import notify_group, thread_group
from realtime.sockets import LeanLayerDispatch, database_sync_to_async

from .models import Thread


def _sockets_key(user_id: int) -> str:
    return f"thread-sockets:{user_id}"


def _hold_socket(user_id: int, channel_name: str) -> list[str]:
    """Count one open thread socket of the member in the cache (shared by every process when
    it is Redis); at the cap the newest wins. Returns the channel names to close, oldest first.

    Entries of a process that died are never released, but they are the oldest, so they are
    the first evicted (a message to a dead channel goes nowhere).
    """
    key = _sockets_key(user_id)
    cap = max(1, int(settings.THREAD_MAX_SOCKETS_PER_MEMBER))
    with _member_lock(key):
        held = [name for name in cache.get(key, []) if name != channel_name]
        held.append(channel_name)
        evicted, held = held[: max(0, len(held) - cap)], held[-cap:]
        cache.set(key, held, settings.WEBSOCKET_TIMEOUT + 3600)
    return evicted


def _release_socket(user_id: int, channel_name: str) -> None:
    key = _sockets_key(user_id)
    with _member_lock(key):
        held = cache.get(key, [])
        if channel_name in held:
            held.remove(channel_name)
            cache.set(key, held, settings.WEBSOCKET_TIMEOUT + 3600)


@contextmanager
def _member_lock(key: str) -> Iterator[None]:
    """A short lock on one member's socket list, so that two connects at once count both. If it
    cannot be had within a second the update goes ahead anyway: at worst one socket is counted
    wrongly until the member's next connect."""
    lock, deadline = f"{key}:lock", time.monotonic() + 1
    while not (held := cache.add(lock, 1, timeout=5)) and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield
    finally:
        if held:
            cache.delete(lock)


class ThreadConsumer(LeanLayerDispatch, AsyncJsonWebsocketConsumer):
    """Pushes new replies (and the member's unread count) to an open thread page."""

    LAYER_HANDLERS = {"thread.push": "thread_push", "thread.evict": "thread_evict"}

    async def connect(self) -> None:
        self.joined: list[str] = []
        self.user_id: int | None = None
        thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        code, user_id = await database_sync_to_async(self._authorize)(thread_id)
        await self.accept()
        if code is not None:
            await self.close(code=code)
            return
        for group in (thread_group(thread_id), notify_group(user_id)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        self.user_id = user_id
        evicted = await sync_to_async(_hold_socket, thread_sensitive=False)(
            user_id, self.channel_name
        )
        for channel_name in evicted:
            await self.channel_layer.send(channel_name, {"type": "thread.evict"})
        await aclose_old_connections()

    def _authorize(self, thread_id: int) -> tuple[int | None, int | None]:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return policy.CLOSE_NOT_SIGNED_IN, None
        if not Thread.objects.visible_to(user).filter(pk=thread_id).exists():
            return policy.CLOSE_NOT_FOUND, None
        return None, user.pk

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []
        if self.user_id is not None:
            user_id, self.user_id = self.user_id, None
            await sync_to_async(_release_socket, thread_sensitive=False)(user_id, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Nothing to receive: the page only listens."""

    async def thread_push(self, message: dict) -> None:
        await self.send(text_data=message["text"])

    async def thread_evict(self, message: dict) -> None:
        """The member opened more thread pages than the cap: the newest socket wins."""
        cap = settings.THREAD_MAX_SOCKETS_PER_MEMBER
        await self.send_json(
            {
                "type": "notice",
                "detail": f"You have thread pages open in more than {cap} places, so this one "
                "has stopped updating live. Reload it to see new replies.",
            }
        )
        await self.close(code=policy.CLOSE_NOT_ALLOWED)
