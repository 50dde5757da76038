"""How many thread-page sockets a member holds, counted in the cache (shared by every process
when it is Redis; per process without ``REDIS_URL``). At ``THREAD_MAX_SOCKETS_PER_MEMBER`` the
newest socket wins and the oldest are closed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache


def _sockets_key(user_id: int) -> str:
    return f"thread-sockets:{user_id}"


def hold_socket(user_id: int, channel_name: str) -> list[str]:
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


def release_socket(user_id: int, channel_name: str) -> None:
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
