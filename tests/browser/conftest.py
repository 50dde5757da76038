"""Browser harness: a seeded app served by daphne in a subprocess, driven by Debian's Chromium.

Everything here is skipped unless ``FORUM_BROWSER_TESTS=1`` and ``/usr/bin/chromium`` exists
(``make test-browser``), so plain ``make test`` stays fast and needs no browser.

Two modes:

- single (default): ONE daphne on a fresh SQLite file with the in-memory channel layer;
  ``live_app.url_b == live_app.url``.
- services (``FORUM_BROWSER_SERVICES=1`` with ``DATABASE_URL`` on PostgreSQL and ``REDIS_URL``;
  ``make test-services``): a fresh PostgreSQL database of its own (named after ``DATABASE_URL``'s,
  dropped and recreated) and TWO daphne processes sharing it and Redis. ``live_app.url`` is
  process A, ``live_app.url_b`` process B; the live journeys open the facilitator on A and the
  members on B, so every frame between them crosses processes through Redis.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from .helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, sign_in_state, skip_reason


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = skip_reason()
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SERVICES = os.environ.get("FORUM_BROWSER_SERVICES") == "1"


@dataclass
class LiveApp:
    url: str
    env: dict[str, str]
    mail_dir: Path
    log_path: Path
    # Process B's address in services mode (the members' side); the same as ``url`` otherwise.
    url_b: str = ""
    log_path_b: Path | None = None
    storage_states: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self):
        self.url_b = self.url_b or self.url

    def manage(self, *args: str) -> str:
        """Run a management command against the app's database and return its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in ``manage.py shell`` (setup steps that have no page, e.g. flags)."""
        return self.manage("shell", "-c", code)

    def status(self, path: str) -> int:
        """HTTP status of a path for an anonymous visitor, without following redirects."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(self.url + path, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def emails(self) -> list[str]:
        return [
            p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.mail_dir.glob("*"), key=lambda p: p.stat().st_mtime)
        ]

    def server_log(self) -> str:
        text = self.log_path.read_text(errors="replace")[-5000:]
        if self.log_path_b is not None and self.log_path_b.exists():
            text = f"-- process A --\n{text}\n-- process B --\n"
            text += self.log_path_b.read_text(errors="replace")[-5000:]
        return text


def _services_database() -> tuple[str, str, str]:
    """A fresh PostgreSQL database named after DATABASE_URL's: (its URL, admin URL, name)."""
    import psycopg
    from psycopg import sql as pgsql

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not os.environ.get(
        "REDIS_URL"
    ):
        raise RuntimeError(
            "FORUM_BROWSER_SERVICES=1 needs DATABASE_URL on PostgreSQL and REDIS_URL set"
        )
    parsed = urlparse(database_url)
    base = parsed.path.lstrip("/") or "forum"
    name = f"{base}_browser_{os.getpid()}"
    admin = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
        )
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    return urlunparse(parsed._replace(path=f"/{name}")), admin, name


def _drop_database(admin: str, name: str) -> None:
    import psycopg
    from psycopg import sql as pgsql

    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
        )


def _start_daphne(port: int, env: dict[str, str], log) -> subprocess.Popen:
    daphne = Path(sys.executable).parent / "daphne"
    return subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(process: subprocess.Popen, url: str, app: LiveApp) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"daphne at {url} exited early:\n{app.server_log()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"daphne at {url} did not answer /healthz:\n{app.server_log()}")
        time.sleep(0.1)  # polling a starting server, not waiting on the page under test


@pytest.fixture(scope="session")
def live_app() -> Iterator[LiveApp]:
    tmp = Path(tempfile.mkdtemp(prefix="forum-browser-"))
    mail_dir = tmp / "mail"
    mail_dir.mkdir()
    port = _free_port()
    port_b = _free_port() if SERVICES else port
    url, url_b = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port_b}"
    env = {
        **os.environ,
        "DEBUG": "1",
        # dj-email-url's file backend: the absolute path needs the fourth slash.
        "EMAIL_URL": f"file:///{mail_dir}",
        "MFA_REQUIRED_FOR_ROLES": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Both processes' origins pass CSRF's and the socket handshake's exact-origin checks.
        "CSRF_TRUSTED_ORIGINS": ",".join(dict.fromkeys([url, url_b])),
        # Mail links are built on SITE_URL, never on the request's host: process A's address.
        "SITE_URL": url,
        "PYTHONUNBUFFERED": "1",
        # Breakout rooms' "minute" (test_breakout_journey.py): short enough to wait for.
        "LIVE_BREAKOUT_MINUTE_SECONDS": "15",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    dropped: tuple[str, str] | None = None
    if SERVICES:
        database_url, admin, name = _services_database()
        dropped = (admin, name)
        env["DATABASE_URL"] = database_url
        # REDIS_URL is kept: both processes share the channel layer and cache. A prefix of
        # this run's own keeps earlier runs' (and other suites') keys out of it.
        env["CHANNEL_PREFIX"] = f"browser{os.getpid()}{secrets.token_hex(3)}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'db.sqlite3'}"
        env.pop("REDIS_URL", None)
    app = LiveApp(
        url=url,
        url_b=url_b,
        env=env,
        mail_dir=mail_dir,
        log_path=tmp / "daphne.log",
        log_path_b=tmp / "daphne-b.log" if SERVICES else None,
    )
    processes: list[subprocess.Popen] = []
    logs = []
    try:
        app.manage("migrate", "--noinput", "--verbosity", "0")
        app.manage("seed_demo", "--extra-members", "2")
        servers = [(port, url, app.log_path)]
        if SERVICES:
            servers.append((port_b, url_b, app.log_path_b))
        for server_port, _, log_path in servers:
            logs.append(log_path.open("w"))
            processes.append(_start_daphne(server_port, env, logs[-1]))
        for process, (_, server_url, _) in zip(processes, servers, strict=True):
            _wait_healthy(process, server_url, app)
        yield app
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        if dropped:
            _drop_database(*dropped)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, live_app):
    """Factory for isolated browser contexts (one per person), closed after the test."""
    contexts = []

    def factory(
        email: str | None = None, viewport: dict | None = None, base_url: str | None = None
    ):
        """``base_url=live_app.url_b``: the context talks to process B (services mode)."""
        state = sign_in_state(browser, live_app, email) if email else None
        context = browser.new_context(
            base_url=base_url or live_app.url, viewport=viewport or DESKTOP, storage_state=state
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def anon_page(new_context):
    return new_context().new_page()


@pytest.fixture
def member_page(new_context):
    return new_context("member@example.org").new_page()


DEMO_IDS_CODE = """
import json
ids = {}
try:
    from threads.models import Thread
    thread = Thread.objects.filter(space__slug='safe-spaces').exclude(content_note='').first()
    thread = thread or Thread.objects.filter(space__slug='safe-spaces').first()
    ids['thread'] = thread.pk if thread else None
    post = thread.posts.order_by('pk').first() if thread else None
    ids['post'] = post.pk if post else None
except Exception:
    pass
try:
    from realtime.models import LiveSession
    live = LiveSession.objects.filter(space__slug='safe-spaces', status='live').first()
    ids['live'] = live.pk if live else None
except Exception:
    pass
from community.models import User
ids['member'] = User.objects.get(email='member@example.org').pk
print(json.dumps(ids))
"""


@pytest.fixture(scope="session")
def demo_ids(live_app) -> dict[str, int | None]:
    """Primary keys of seeded demo objects the pages under test need (None if not seeded)."""
    return json.loads(live_app.shell(DEMO_IDS_CODE).strip().splitlines()[-1])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, show the end of daphne's log next to the traceback."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        app = getattr(item, "funcargs", {}).get("live_app")
        if app is not None:
            report.sections.append(("daphne log (last lines)", app.server_log()[-3000:]))
