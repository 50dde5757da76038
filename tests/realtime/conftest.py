"""Live-session fixtures: sessions, signed-in WebSocket communicators, and the services gate."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from realtime.models import LiveSession

ORIGIN = b"http://localhost"
SERVICES_READY = os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(
    os.environ.get("REDIS_URL")
)
SERVICES_REASON = (
    "needs PostgreSQL and Redis: set DATABASE_URL=postgres://… and REDIS_URL "
    "(`make test-services` does)"
)


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason=SERVICES_REASON)
    here = os.path.dirname(__file__)
    for item in items:
        in_here = str(item.path).startswith(here)
        if in_here and "services" in item.keywords and not SERVICES_READY:
            item.add_marker(skip)


def make_session(
    space, facilitator=None, *, status=LiveSession.Status.LIVE, **extra
) -> LiveSession:
    now = timezone.now()
    session = LiveSession.objects.create(
        space=space,
        title=extra.pop("title", "Can we talk about race?"),
        starts_at=extra.pop("starts_at", now - timedelta(minutes=5)),
        ends_at=extra.pop("ends_at", now + timedelta(hours=1)),
        status=status,
        **extra,
    )
    if facilitator is not None:
        session.facilitators.add(facilitator)
    return session


@pytest.fixture
def live_session(space, facilitator) -> LiveSession:
    return make_session(space, facilitator)


@pytest.fixture
def scheduled_session(space, facilitator) -> LiveSession:
    now = timezone.now()
    return make_session(
        space,
        facilitator,
        status=LiveSession.Status.SCHEDULED,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
    )


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Room:
    """A WebsocketCommunicator speaking the live protocol, for one member."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.comm = communicator
        self.welcome: dict | None = None
        self.held: list[dict] = []  # a frame silent() saw, for the next recv()

    async def send(self, frame: dict) -> None:
        await self.comm.send_json_to(frame)

    async def send_text(self, text: str) -> None:
        await self.comm.send_to(text_data=text)

    async def recv(self, timeout: float = 2) -> dict:
        if self.held:
            return self.held.pop(0)
        return await self.comm.receive_json_from(timeout)

    async def recv_type(self, *types: str, timeout: float = 2) -> dict:
        """The next frame of one of ``types``, skipping others (an unexpected error fails)."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] in types:
                return frame
            assert frame["type"] != "error", frame

    async def silent(self, timeout: float = 0.3) -> bool:
        """Nothing arrives within ``timeout`` but coalesced presence: that one comes a second
        after any join or leave, whenever a slow machine puts it, and is tested on its own
        (test_live_presence.py, test_join_queries.py)."""
        if self.held:
            return False
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while (left := end - loop.time()) > 0:
            if await self.comm.receive_nothing(left):
                return True
            frame = await self.recv()
            if frame["type"] != "presence":
                self.held.append(frame)  # not consumed: the next recv() returns it
                return False
        return True

    async def hello(self, after_seq: int = 0) -> list[dict]:
        await self.send({"type": "hello", "after_seq": after_seq})
        self.welcome = await self.recv_type("welcome")
        frames = []
        while self.welcome["last_seq"] > (frames[-1]["seq"] if frames else after_seq):
            frames.append(
                await self.recv_type(
                    "message",
                    "question",
                    "message.removed",
                    "state",
                    "poll.open",
                    "poll.close",
                    "breakout.open",
                    "breakout.close",
                )
            )
        return frames

    async def close(self) -> None:
        await self.comm.disconnect()


async def open_room(user, session_id: int, *, origin: bytes = ORIGIN, path: str | None = None):
    """Connect (not yet hello) and return (Room, accepted, close code or None)."""
    from community.asgi import application

    headers = [(b"origin", origin), (b"host", b"localhost")]
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    comm = WebsocketCommunicator(application, path or f"/ws/live/{session_id}/", headers=headers)
    connected, code = await comm.connect()
    return Room(comm), connected, code


@pytest.fixture
def enter():
    """``await enter(user, session)``: a connected room that has said hello."""
    rooms: list[Room] = []

    async def factory(user, session, *, after_seq: int = 0) -> Room:
        room, connected, _ = await open_room(user, session.pk)
        assert connected
        rooms.append(room)
        await room.hello(after_seq)
        return room

    yield factory


# -- a real stack (dedicated database, daphne subprocesses) for real WebSocket clients --------


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """A migrated, seeded database of its own (SQLite file; PostgreSQL in services mode)."""
    import json
    from types import SimpleNamespace
    from urllib.parse import urlparse, urlunparse

    from .live_stack import migrate, run_script, stack_env

    pg_name = None
    if SERVICES_READY:
        import psycopg

        parsed = urlparse(os.environ["DATABASE_URL"])
        import secrets

        # Unique per fixture instance: modules that import this fixture get their own stack.
        pg_name = f"forum_live_test_{os.getpid()}_{secrets.token_hex(3)}"
        admin = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}"')
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        env = stack_env(urlunparse(parsed._replace(path=f"/{pg_name}")), os.environ["REDIS_URL"])
    else:
        path = tmp_path_factory.mktemp("live") / "db.sqlite3"
        env = stack_env(f"sqlite:///{path}")
    migrate(env)
    data = json.loads(run_script(env, "seed"))
    yield SimpleNamespace(env=env, **data)
    if pg_name:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def daphne_port(stack):
    from .live_stack import daphne

    with daphne(stack.env) as port:
        yield port


@pytest.fixture(autouse=True)
def in_memory_channel_layer(settings):
    """In-process tests use the in-memory layer even when REDIS_URL is set: each async test runs
    on its own event loop, which a cached channels-redis layer cannot follow. Redis itself is
    exercised by the daphne tests (test_live_services.py)."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
