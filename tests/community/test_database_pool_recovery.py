"""The production connection pool comes back by itself after PostgreSQL goes away.

A TCP relay between the pool and PostgreSQL stands in for the database server restarting, so
these tests cut connections and refuse new ones without touching the real server (which other
test runs share). The pool is built the way Django builds it, from the production settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres"),
    reason="needs PostgreSQL: set DATABASE_URL=postgres://… (`make test-services` does)",
)


class Relay:
    """Forwards TCP connections to PostgreSQL until switched off; off, it cuts and refuses."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.up = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _shutdown(*sockets: socket.socket) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._shutdown(source, sink)

    def cut(self) -> None:
        """Every open connection dies, as when PostgreSQL restarts."""
        with self.lock:
            self._shutdown(*self.sockets)
            self.sockets = []

    def close(self) -> None:
        self.server.close()
        self.cut()


def _production_pool_settings() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(DEBUG="1", DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="community.settings")
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps({'pool': d['OPTIONS']['pool'], 'checks': d['CONN_HEALTH_CHECKS']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def relay_pool(request):
    from psycopg_pool import ConnectionPool

    production = _production_pool_settings()
    timeout = getattr(request, "param", production["pool"]["timeout"])
    url = urlsplit(DATABASE_URL)
    relay = Relay(url.hostname or "127.0.0.1", url.port or 5432)
    conninfo = (
        f"host=127.0.0.1 port={relay.port} user={url.username or 'postgres'} "
        f"dbname=postgres connect_timeout=3"
    )
    if url.password:
        conninfo += f" password={url.password}"
    # As django.db.backends.postgresql builds it.
    pool = ConnectionPool(
        conninfo,
        open=False,
        check=ConnectionPool.check_connection if production["checks"] else None,
        **{**production["pool"], "timeout": timeout},
    )
    pool.open(wait=True, timeout=10)
    yield pool, relay
    pool.close()
    relay.close()


def _query(pool) -> bool:
    from psycopg import OperationalError

    try:
        with pool.connection() as conn:
            conn.execute("SELECT 1")
    except OperationalError:  # PoolTimeout included
        return False
    return True


def test_connections_that_died_in_a_restart_are_replaced_unnoticed(relay_pool):
    pool, relay = relay_pool
    assert _query(pool)
    relay.cut()
    # Every idle connection is dead; the health check on the way out of the pool replaces them
    # (the first request may wait a second while it does).
    assert all(_query(pool) for _ in range(6))


@pytest.mark.parametrize("relay_pool", [1], indirect=True)  # fail fast while it is down
def test_pool_recovers_within_seconds_after_a_long_outage(relay_pool):
    pool, relay = relay_pool
    assert _query(pool)
    relay.up = False
    relay.cut()
    outage_ends = time.monotonic() + 20  # long enough for the pool's retry delays to double
    while time.monotonic() < outage_ends:
        assert not _query(pool)  # requests keep coming, and fail (1 s each) while it is down
    relay.up = True
    back = time.monotonic()
    while not _query(pool):
        assert time.monotonic() - back < 4, "the pool did not reconnect within 4 s"
