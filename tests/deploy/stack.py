"""The production layout of deploy/, run for real: nginx (TLS) in front of two daphne processes on
PostgreSQL and Redis, everything temporary in one folder.

The nginx site, the daphne command line and the environment all come from the files in deploy/
(placeholders and host-specific values substituted), so what is tested is what ships.
"""

from __future__ import annotations

import getpass
import gzip
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
PASSWORD = "peer-forum-demo"

DATABASE_URL = os.environ.get(
    "FORUM_DEPLOY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/forum_deploy"
)
REDIS_URL = os.environ.get("FORUM_DEPLOY_REDIS_URL", "redis://127.0.0.1:6379/3")
HTTPS_PORT = int(os.environ.get("FORUM_DEPLOY_HTTPS_PORT", "8443"))
HTTP_PORT = int(os.environ.get("FORUM_DEPLOY_HTTP_PORT", "8080"))
DAPHNE_PORTS = [
    int(port) for port in os.environ.get("FORUM_DEPLOY_DAPHNE_PORTS", "8701,8702").split(",")
]
HOST = "localhost"
PUBLIC_URL = f"https://{HOST}:{HTTPS_PORT}"
# Placeholder in the shipped units for where the project is checked out.
UNIT_APP_DIR = "/srv/forum/app"


def _cluster_command(action: str) -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    version = versions[0] if versions else "15"
    extra = " -m fast" if action in ("stop", "restart") else ""
    return f"pg_ctlcluster --skip-systemctl-redirect {version} main {action}{extra}"


# How to stop and start the services (the defaults suit Debian's PostgreSQL and a bare Redis, as
# in .ci/run); override with FORUM_DEPLOY_PG_STOP and friends.
PG_STOP = os.environ.get("FORUM_DEPLOY_PG_STOP") or _cluster_command("stop")
PG_START = os.environ.get("FORUM_DEPLOY_PG_START") or _cluster_command("start")
PG_RESTART = os.environ.get("FORUM_DEPLOY_PG_RESTART") or _cluster_command("restart")
REDIS_STOP = os.environ.get("FORUM_DEPLOY_REDIS_STOP") or (
    "redis-cli -h 127.0.0.1 -p 6379 shutdown nosave"
)
REDIS_START = os.environ.get("FORUM_DEPLOY_REDIS_START") or (
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
)


def skip_reason() -> str | None:
    if os.environ.get("FORUM_DEPLOY_TESTS") != "1":
        return "deployment tests run only with FORUM_DEPLOY_TESTS=1 (make test-deploy)"
    for tool in ("nginx", "openssl"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed (apt-get install nginx openssl)"
    return None


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


# -- waiting, without sleeping longer than a poll interval ------------------------------------


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def run(command: str | list[str], *, timeout: float = 120, env=None, check=True, **kwargs):
    result = subprocess.run(
        command if isinstance(command, list) else shlex.split(command),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        **kwargs,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{command} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


# -- PostgreSQL and Redis -----------------------------------------------------------------------


def _pg_parts(url: str) -> tuple[str, int, str, str]:
    parts = urlsplit(url)
    return (
        parts.hostname or "127.0.0.1",
        parts.port or 5432,
        parts.username or "postgres",
        parts.path.lstrip("/"),
    )


def pg_ready() -> bool:
    host, port, user, _ = _pg_parts(DATABASE_URL)
    result = subprocess.run(
        ["pg_isready", "-q", "-h", host, "-p", str(port), "-U", user, "-t", "1"],
        timeout=10,
        check=False,
    )
    return result.returncode == 0


def redis_ready() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_postgres() -> None:
    if not pg_ready():
        run(PG_START, timeout=120, check=False)
    wait_for(pg_ready, 60, "PostgreSQL to accept connections")


def stop_postgres() -> None:
    run(PG_STOP, timeout=120)
    wait_for(lambda: not pg_ready(), 30, "PostgreSQL to stop")


def restart_postgres() -> None:
    """A quick restart: every connection the pools hold dies, and nothing notices until used."""
    try:
        run(PG_RESTART, timeout=120)
    finally:
        start_postgres()


def start_redis() -> None:
    if not redis_ready():
        run(REDIS_START, timeout=30, check=False)
    wait_for(redis_ready, 30, "Redis to answer")


def stop_redis() -> None:
    run(REDIS_STOP, timeout=30, check=False)
    wait_for(lambda: not redis_ready(), 30, "Redis to stop")


def ensure_services() -> None:
    """Whatever happened, leave PostgreSQL and Redis running (other test runs share them)."""
    try:
        start_postgres()
    finally:
        start_redis()


def sql(query: str, *params):
    """Run one query in the deployment's database and return its rows."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True, connect_timeout=10) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def recreate_database() -> None:
    import psycopg
    from psycopg import sql as pgsql

    host, port, user, name = _pg_parts(DATABASE_URL)
    admin = f"postgres://{user}@{host}:{port}/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
        )
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).flushdb()


# -- the files in deploy/ -----------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= reads them (the subset the example uses:
    plain values, or whole values in double quotes)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values[key.strip()] = value
    return values


def read_unit(path: Path) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return sections


def unit_command(unit: Path, instance: str) -> list[str]:
    """The unit's ExecStart for one instance, with the project where it is checked out here."""
    command = read_unit(unit)["Service"]["ExecStart"].replace("%i", instance)
    argv = shlex.split(command)
    venv_bin = f"{UNIT_APP_DIR}/.venv/bin/"
    assert argv[0].startswith(venv_bin), argv[0]
    argv[0] = str(VENV_BIN / argv[0].removeprefix(venv_bin))
    return argv


def render_site(template: str, values: dict[str, str]) -> str:
    rendered = template
    for name, value in values.items():
        rendered = rendered.replace("{{" + name + "}}", value)
    leftover = re.findall(r"\{\{\w+\}\}", rendered)
    assert not leftover, f"placeholders left in the nginx site: {leftover}"
    return rendered


NGINX_MAIN = """\
# Test harness only: stands in for Debian's /etc/nginx/nginx.conf with every path in {tmp}.
user {user};
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format forum '$remote_addr "$request" $status $body_bytes_sent upstream=$upstream_addr';
    access_log {tmp}/nginx-access.log forum;
    client_body_temp_path {tmp}/nginx-tmp/body;
    proxy_temp_path {tmp}/nginx-tmp/proxy;
    fastcgi_temp_path {tmp}/nginx-tmp/fastcgi;
    uwsgi_temp_path {tmp}/nginx-tmp/uwsgi;
    scgi_temp_path {tmp}/nginx-tmp/scgi;
    include {tmp}/forum.conf;
}}
"""


# -- HTTP through nginx -------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def body(self) -> bytes:
        if self.headers.get("Content-Encoding") == "gzip":
            return gzip.decompress(self.raw)
        return self.raw

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)


@dataclass
class Browser:
    """Just enough of a browser: cookies for one host, TLS trusting the test certificate."""

    context: ssl.SSLContext
    host: str = HOST
    port: int = HTTPS_PORT
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Response:
        conn = http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=timeout
        )
        try:
            all_headers = {"Accept-Encoding": "identity", **(headers or {})}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value in ('""', "") or "max-age=0" in header.lower():
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return Response(response.status, response.headers, raw)
        finally:
            conn.close()

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict[str, str], **kwargs) -> Response:
        from urllib.parse import urlencode

        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": PUBLIC_URL,
            "Referer": PUBLIC_URL + path,
            **kwargs.pop("headers", {}),
        }
        return self.request("POST", path, body=urlencode(data).encode(), headers=headers, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> Response:
        page = self.get("/accounts/login/")
        assert page.status == 200, page.status
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        return self.post_form(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password},
        )


# -- the stack ------------------------------------------------------------------------------------


@dataclass
class Daphne:
    port: int
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    context: ssl.SSLContext
    daphnes: list[Daphne] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    live_session_id: int = 0

    def browser(self) -> Browser:
        return Browser(self.context)

    def manage(self, *args: str, timeout: float = 300):
        return run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            timeout=timeout,
            check=False,
        )

    def logs(self) -> str:
        parts = []
        for daphne in self.daphnes:
            parts.append(f"--- daphne {daphne.port} ---\n{daphne.log()[-4000:]}")
        error_log = self.tmp / "nginx-error.log"
        if error_log.exists():
            parts.append(f"--- nginx error log ---\n{error_log.read_text()[-3000:]}")
        return "\n".join(parts)

    def alive(self) -> bool:
        return (
            self.nginx is not None
            and self.nginx.poll() is None
            and all(d.proc.poll() is None for d in self.daphnes)
        )


def process_env() -> dict[str, str]:
    """The example environment file with this machine's services and the test's paths."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "FORUM_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    env.update(read_env_file(DEPLOY / "forum.env.example"))
    env.update(
        DJANGO_SETTINGS_MODULE="community.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=f"{HOST},127.0.0.1",
        CSRF_TRUSTED_ORIGINS=PUBLIC_URL,
        SITE_URL=PUBLIC_URL,
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        CHANNEL_PREFIX=f"forumdeploy{os.getpid()}",
        EMAIL_URL="console://",
        # Demo members sign in with a password only (the demo's facilitator has no TOTP device).
        MFA_REQUIRED_FOR_ROLES="0",
        # The outage test sends faster than people type.
        LIVE_RATE_COUNT="1000",
        # Fail fast while PostgreSQL is down, so the outage (shared with other test runs) is short.
        DB_POOL_TIMEOUT="5",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_daphne(stack: Stack, port: int) -> Daphne:
    argv = unit_command(DEPLOY / "systemd" / "forum-daphne@.service", str(port))
    log_path = stack.tmp / f"daphne-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=stack.env, stdout=log, stderr=subprocess.STDOUT)
    daphne = Daphne(port, proc, log_path)
    stack.daphnes.append(daphne)

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne on {port} exited:\n{daphne.log()}")
        return port_open(port)

    wait_for(up, 60, f"daphne on port {port}")
    return daphne


def _certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "tls.crt", tmp / "tls.key"
    run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        timeout=60,
    )  # fmt: skip
    return cert, key


def _start_nginx(stack: Stack, cert: Path, key: Path) -> None:
    site = render_site(
        (DEPLOY / "nginx" / "forum.conf").read_text(),
        {
            "SERVER_NAME": HOST,
            "PUBLIC_URL": PUBLIC_URL,
            "HTTPS_LISTEN": f"127.0.0.1:{HTTPS_PORT}",
            "HTTP_LISTEN": f"127.0.0.1:{HTTP_PORT}",
            "TLS_CERTIFICATE": str(cert),
            "TLS_CERTIFICATE_KEY": str(key),
            "STATIC_ROOT": stack.env["STATIC_ROOT"],
            "DAPHNE_SERVERS": "\n".join(f"    server 127.0.0.1:{port};" for port in DAPHNE_PORTS),
        },
    )
    tmp = stack.tmp
    (tmp / "forum.conf").write_text(site)
    (tmp / "nginx-tmp").mkdir()
    main = tmp / "nginx.conf"
    main.write_text(NGINX_MAIN.format(tmp=tmp, user=getpass.getuser()))
    nginx = nginx_binary()
    base = [nginx, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(main)]
    result = run([*base, "-t"], timeout=30, check=False)
    assert result.returncode == 0, f"nginx -t failed:\n{result.stderr}"
    log = open(tmp / "nginx-stderr.log", "w")  # noqa: SIM115
    stack.nginx = subprocess.Popen(
        [*base, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT
    )

    def up() -> bool:
        if stack.nginx.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{(tmp / 'nginx-error.log').read_text()}")
        return port_open(HTTPS_PORT) and port_open(HTTP_PORT)

    wait_for(up, 30, "nginx")


def start_stack() -> Stack:
    for port in (HTTPS_PORT, HTTP_PORT, *DAPHNE_PORTS):
        assert not port_open(port), f"port {port} is already in use (set FORUM_DEPLOY_*_PORT)"
    ensure_services()
    tmp = Path(tempfile.mkdtemp(prefix="forum-deploy-"))
    tmp.chmod(0o755)  # nginx's worker reads the static files and the certificate
    env = process_env()
    env["STATIC_ROOT"] = str(tmp / "static")
    cert, key = _certificate(tmp)
    context = ssl.create_default_context(cafile=str(cert))
    stack = Stack(tmp=tmp, env=env, context=context)
    try:
        recreate_database()
        flush_redis()
        for args in (
            ("migrate", "--noinput", "-v", "0"),
            ("seed_demo", "--force"),
            ("collectstatic", "--noinput", "-v", "0"),
        ):
            result = stack.manage(*args)
            assert result.returncode == 0, f"manage.py {args[0]}:\n{result.stdout}{result.stderr}"
        rows = sql(
            "SELECT s.id FROM realtime_livesession s JOIN community_space sp ON sp.id = s.space_id "
            "WHERE sp.slug = 'safe-spaces' AND s.status = 'live' ORDER BY s.id LIMIT 1"
        )
        assert rows, "seed_demo made no live session in safe-spaces"
        stack.live_session_id = rows[0][0]
        for port in DAPHNE_PORTS:
            _start_daphne(stack, port)
        _start_nginx(stack, cert, key)
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def stop_stack(stack: Stack) -> None:
    try:
        _stop(stack.nginx)
        for daphne in stack.daphnes:
            _stop(daphne.proc)
    finally:
        ensure_services()
        if os.environ.get("FORUM_DEPLOY_KEEP") == "1":
            print(f"kept {stack.tmp}")
        else:
            shutil.rmtree(stack.tmp, ignore_errors=True)
