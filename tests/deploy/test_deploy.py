"""The shipped production layout (deploy/), through nginx: TLS, compression, caching, limits,
sign-in, health, ``check --deploy``, the systemd units, a live session across two daphne
processes, and PostgreSQL and Redis restarting under it. Run with ``make test-deploy``."""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from . import stack as deploy
from .live import run_live_session_check, run_outage_check

pytestmark = pytest.mark.deploy


def test_site_fits_debians_own_nginx_conf(stack, tmp_path):
    """Installed as the docs say (in sites-enabled/, production ports), nginx accepts it."""
    debian = Path("/etc/nginx/nginx.conf")
    if not debian.exists():
        pytest.skip("no /etc/nginx/nginx.conf")
    site = deploy.render_site(
        (deploy.DEPLOY / "nginx" / "forum.conf").read_text(),
        {
            "SERVER_NAME": "forum.example.nhs.uk",
            "PUBLIC_URL": "https://forum.example.nhs.uk",
            "HTTPS_LISTEN": "443",
            "HTTP_LISTEN": "80",
            "TLS_CERTIFICATE": str(stack.tmp / "tls.crt"),
            "TLS_CERTIFICATE_KEY": str(stack.tmp / "tls.key"),
            "STATIC_ROOT": "/srv/forum/static",
            "DAPHNE_SERVERS": "    server 127.0.0.1:8001;\n    server 127.0.0.1:8002;",
        },
    )
    (tmp_path / "forum").write_text(site)
    main = debian.read_text()
    include = "include /etc/nginx/sites-enabled/*;"
    assert include in main
    (tmp_path / "nginx.conf").write_text(main.replace(include, f"include {tmp_path}/forum;"))
    result = deploy.run(
        [deploy.nginx_binary(), "-t", "-q", "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        timeout=30,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_plain_http_redirects_to_https(stack):
    conn = http.client.HTTPConnection("127.0.0.1", deploy.HTTP_PORT, timeout=10)
    conn.request("GET", "/spaces/?x=1", headers={"Host": deploy.HOST})
    response = conn.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"{deploy.PUBLIC_URL}/spaces/?x=1"


def test_unknown_host_names_get_nothing(stack):
    conn = http.client.HTTPConnection("127.0.0.1", deploy.HTTP_PORT, timeout=10)
    conn.request("GET", "/", headers={"Host": "attacker.example"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", deploy.HTTPS_PORT), timeout=10) as raw,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(raw, server_hostname="attacker.example")


def _tls_handshake(stack, version: ssl.TLSVersion) -> str:
    context = ssl.create_default_context(cafile=str(stack.tmp / "tls.crt"))
    context.minimum_version = context.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client try it at all
    with (
        socket.create_connection(("127.0.0.1", deploy.HTTPS_PORT), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=deploy.HOST) as tls,
    ):
        return tls.version()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
def test_tls_1_2_and_1_3_only(stack):
    assert _tls_handshake(stack, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert _tls_handshake(stack, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    # nginx itself refuses (an alert from the server, not this client giving up).
    with pytest.raises(ssl.SSLError, match="ALERT_PROTOCOL_VERSION"):
        _tls_handshake(stack, ssl.TLSVersion.TLSv1_1)


def test_pages_and_json_are_compressed(stack, member):
    for path, kind in (("/accounts/login/", "text/html"), ("/account/export/", "application/json")):
        browser = member if path.startswith("/account/") else stack.browser()
        response = browser.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200, (path, response.status)
        assert response.headers["Content-Type"].startswith(kind)
        assert response.headers.get("Content-Encoding") == "gzip", path
        assert "Accept-Encoding" in response.headers.get("Vary", "")
        assert len(response.raw) < len(response.body)
        plain = browser.get(path)
        assert plain.headers.get("Content-Encoding") is None
    assert b"Sign in" in stack.browser().get("/accounts/login/").body


def _hashed_static_paths(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', html)


def test_static_files_are_compressed_and_hashed_ones_cached_for_a_year(stack):
    page = stack.browser().get("/accounts/login/")
    paths = _hashed_static_paths(page.text)
    assert any(p.endswith(".css") for p in paths) and any(p.endswith(".js") for p in paths), paths
    for path in paths:
        response = stack.browser().get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200, path
        assert response.headers.get("Content-Encoding") == "gzip", path
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache, (path, cache)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    unhashed = re.sub(r"\.[0-9a-f]{12}\.", ".", paths[0])
    response = stack.browser().get(unhashed)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    # Pages are never cached like static files.
    assert "immutable" not in page.headers.get("Cache-Control", "")


def test_request_bodies_are_limited(stack):
    response = stack.browser().request(
        "POST",
        "/accounts/login/",
        body=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 413


def test_proxy_headers_reach_django_and_daphne(stack):
    spoof = "203.0.113.77"
    for _ in range(4):  # reach both processes
        response = stack.browser().get("/accounts/login/", headers={"X-Forwarded-For": spoof})
        assert response.status == 200
        # Django sets HSTS and secure cookies only on requests it sees as HTTPS
        # (X-Forwarded-Proto from nginx, SECURE_PROXY_SSL_HEADER).
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
        assert any("Secure" in c for c in response.headers.get_all("Set-Cookie") or [])
    logs = "".join(d.log() for d in stack.daphnes)
    assert "/accounts/login/" in logs
    # nginx replaces X-Forwarded-For: daphne logs the client nginx saw, not the spoofed address.
    assert spoof not in logs


def test_sign_in_through_nginx(stack, member):
    home = member.get("/")
    assert home.status == 200
    assert "Sign out" in home.text
    wrong = stack.browser().sign_in("member@example.org", "not-the-password")
    assert wrong.status == 200
    assert "Sign out" not in wrong.text


def test_healthz_is_green_through_nginx_and_on_each_process(stack):
    for _ in range(4):
        response = stack.browser().get("/healthz")
        assert response.status == 200
        assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}
    for daphne in stack.daphnes:
        conn = http.client.HTTPConnection("127.0.0.1", daphne.port, timeout=10)
        conn.request("GET", "/healthz", headers={"Host": deploy.HOST})
        response = conn.getresponse()
        assert response.status == 200, daphne.port


def test_check_deploy_is_clean_with_production_settings(stack):
    result = stack.manage("check", "--deploy", "--fail-level", "WARNING", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_systemd_units(stack, tmp_path):
    """The daphne processes of this harness already run the daphne unit's ExecStart."""
    units = deploy.DEPLOY / "systemd"
    timers = {path.name: deploy.read_unit(path)["Timer"] for path in sorted(units.glob("*.timer"))}
    schedule = {t["Unit"]: t["OnCalendar"] for t in timers.values()}
    assert schedule == {
        "forum-manage@send_digests.service": "*:0/5",
        "forum-manage@send_live_reminders.service": "*:0/15",
        "forum-manage@publish_live_summaries.service": "*:7/15",
        "forum-manage@send_commitment_reminders.service": "*-*-* 08:00:00",
        "forum-manage@purge_expired.service": "*-*-* 03:15:00",
        "forum-manage@erase_accounts.service": "*-*-* 03:45:00",
    }
    # Each timer's job runs as its unit would run it.
    for unit in schedule:
        command = unit.removeprefix("forum-manage@").removesuffix(".service")
        argv = deploy.unit_command(units / "forum-manage@.service", command)
        result = subprocess.run(
            argv, cwd=deploy.ROOT, env=stack.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    daphne = deploy.read_unit(units / "forum-daphne@.service")
    assert "--proxy-headers" in daphne["Service"]["ExecStart"]
    assert daphne["Install"]["WantedBy"] == "forum.target"
    if shutil.which("systemd-analyze") is None:
        return
    # systemd's own checker, on copies pointing at this checkout (it wants ExecStart to exist).
    for path in units.iterdir():
        text = path.read_text().replace(f"{deploy.UNIT_APP_DIR}/.venv/bin", str(deploy.VENV_BIN))
        (tmp_path / path.name).write_text(text.replace(deploy.UNIT_APP_DIR, str(deploy.ROOT)))
    names = [
        "forum.target",
        "forum-daphne@8001.service",
        "forum-manage@send_digests.service",
        *timers,
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


def test_example_environment_reads_the_same_in_a_shell():
    """The docs load the environment file with `set -a; . file` for manage.py commands."""
    path = deploy.DEPLOY / "forum.env.example"
    result = subprocess.run(
        ["sh", "-c", 'set -a; . "$0"; set +a; env -0', str(path)],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    shell = dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    expected = deploy.read_env_file(path)
    assert {key: shell.get(key) for key in expected} == expected


def test_live_session_reaches_clients_on_both_processes(stack, member, facilitator):
    run_live_session_check(stack, member, facilitator)


def test_postgres_then_redis_restart_under_a_live_session(stack, member, facilitator):
    started = {d.port: d.proc.pid for d in stack.daphnes}
    try:
        report = run_outage_check(stack, member, facilitator)
    finally:
        deploy.ensure_services()
    assert {d.port: d.proc.pid for d in stack.daphnes} == started, "daphne was restarted"
    assert stack.alive()
    print("\noutage report:", ", ".join(f"{k}={v}" for k, v in report.items()))


def test_long_posts_render_in_the_worker_with_the_example_environment(stack):
    """The example environment turns the render worker on (RENDER_WORKER=1): a long body is
    rendered by the worker process, to the same HTML as in process."""
    script = (
        "from community import rendering as r\n"
        "body = ('A long [story](https://example.org/a) of *lived* experience. ' * 60)\n"
        "with r.prerendered(body):\n"
        "    html = r.render_markdown(body)\n"
        "assert r._Worker.process is not None and r._Worker.process.poll() is None\n"
        "assert html == r._render_now(body).html\n"
        "print('worker ok', len(body))\n"
    )
    result = stack.manage("shell", "-c", script, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "worker ok" in result.stdout
