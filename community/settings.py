"""Settings for the Race Equality Peer Forum, read from the environment (see README)."""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A rate limit such as ``100/5m``: a count per period in s, m, h or d."""
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[1-9][0-9]*/[0-9]*[smhd]", value):
        raise RuntimeError(f"{name} must be a count per period such as 100/5m, not {value!r}.")
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_NAME = "Race Equality Peer Forum"
# The public address: every link in an email is built on it (community.mail), never on the host
# a request came in on. `make run` sets it from HOST and PORT.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_EMAIL_DOMAINS = [d.lower().lstrip("@") for d in env_list("ALLOWED_EMAIL_DOMAINS")]
MFA_REQUIRED_FOR_ROLES = env_bool("MFA_REQUIRED_FOR_ROLES", not DEBUG)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "community",
    "threads",
    "moderation",
    "realtime",
    "threads.commitments",
]

MIDDLEWARE = [
    # Outermost: its headers go on every response, those inner middleware answer alone included.
    "community.middleware.SecurityHeadersMiddleware",
    "community.middleware.RequestCharsetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "community.middleware.PrivateNoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "community.middleware.MfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "community.site.urls"
ASGI_APPLICATION = "community.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "community.site.context_processors.forum",
            ],
            # |datetime_attr and |moment in every template (<time datetime> values).
            "builtins": ["community.templatetags.times"],
        },
    },
]

# Database. SQLite (the embedded default) is tuned for a server where HTTP requests and
# WebSocket consumers write at once: IMMEDIATE transactions take the write lock up front, so a
# writer waits on the busy timeout instead of failing with "database is locked" on upgrade.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs in its own thread: persistent connections leak, so use
    # psycopg's pool instead of CONN_MAX_AGE.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
            # Seconds a request waits for a free connection (or for PostgreSQL to come back)
            # before it fails with a 503.
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
            # While PostgreSQL is down the pool retries with doubling delays; after a long outage
            # the next try could be minutes away. Giving up after 5 s lets the next request start
            # a fresh attempt at once, so pages recover within seconds of the database.
            "reconnect_timeout": 5,
        }
    }
    # Check each connection as it leaves the pool: after PostgreSQL restarts, the pool's idle
    # connections are dead, and without the check the next requests fail on them one by one.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if TESTING:
        # The test runner recreates the database; a pool would hold connections to the old one.
        DATABASES["default"]["OPTIONS"] = {}
    # No JIT: the forum's queries are short, and PostgreSQL's cost estimate for a page's larger
    # ones (the home page's thread lists) crossed jit_above_cost, spending ~390 ms compiling
    # a query that runs in 10 (docs/performance.md, "Pages, round two").
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "community.User"

# Channels. Without REDIS_URL one process serves everything from memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
WEBSOCKET_TIMEOUT = 86400
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults to a 5 s socket timeout (idle consumers die with 1011) and
                # a 100-connection pool (the 101st concurrent connect fails): override both.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                        "max_connections": int(os.environ.get("REDIS_MAX_CONNECTIONS", "1000")),
                        "health_check_interval": 30,
                    }
                ],
                "capacity": 1500,
                "expiry": 60,
                # Outlive daphne's websocket timeout so a quiet member stays in the group.
                "group_expiry": WEBSOCKET_TIMEOUT + 3600,
                "prefix": os.environ.get("CHANNEL_PREFIX", "forum"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CHANNEL_PREFIX", "forum"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered post cards (threads.cards): keyed on their content, so entries never go stale, only
# unused. Shared through Redis when there is one; else this process's memory, a few MB.
CACHES["cards"] = {
    **CACHES["default"],
    "TIMEOUT": 24 * 3600,
    **(
        {"KEY_PREFIX": CACHES["default"]["KEY_PREFIX"] + ":cards"}
        if REDIS_URL
        else {"LOCATION": "cards", "OPTIONS": {"MAX_ENTRIES": 5000}}
    ),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# django-allauth
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Race Equality Peer Forum] "
ACCOUNT_ADAPTER = "community.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "community.forms.SignupForm",
    "add_email": "community.forms.AddEmailForm",
}
# Per address the limits are high: an NHS trust sends thousands of staff through one egress
# address, and a few typos there must not lock them all out. Password guessing is stopped per
# account: failures count against the address typed in, from wherever they come.
ACCOUNT_RATE_LIMITS = {
    "login": env_rate("SIGNIN_LIMIT_PER_ADDRESS", "300/m") + "/ip",
    "login_failed": (
        env_rate("SIGNIN_FAILURE_LIMIT_PER_ADDRESS", "100/5m")
        + "/ip,"
        + env_rate("SIGNIN_FAILURE_LIMIT_PER_ACCOUNT", "5/5m")
        + "/key"
    ),
    "signup": env_rate("SIGNUP_LIMIT_PER_ADDRESS", "100/h") + "/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# Behind a reverse proxy set this to the number of proxies in front of daphne so allauth's
# rate limits key on the client's address, not the proxy's (see docs/deployment.md). With 0,
# X-Forwarded-For is not trusted at all (see AccountAdapter.get_client_ip).
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("ALLAUTH_TRUSTED_PROXY_COUNT", "0"))
# Or the header a trusted proxy puts the client's address in (e.g. X-Real-IP), instead.
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = os.environ.get("ALLAUTH_TRUSTED_CLIENT_IP_HEADER") or None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = "Race Equality Peer Forum"
# Tracking would write to the database on every request (on SQLite, the write lock).
USERSESSIONS_TRACK_ACTIVITY = False

# Email
_email = dj_email_url.parse(os.environ.get("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Race Equality Peer Forum <forum@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-gb"
# Sentence case for allauth's title-case labels (NHS.UK content style); highest precedence.
LOCALE_PATHS = [BASE_DIR / "community" / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic writes and WhiteNoise (or the proxy, see deploy/) serves from.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
ROBOTS_TAG = "noindex, nofollow"  # every response's X-Robots-Tag (SPEC.md, principle 1)


def _static_file_headers(headers, path: str, url: str) -> None:
    headers["X-Robots-Tag"] = ROBOTS_TAG


# Static files are not for search engines either, however WhiteNoise is mounted.
WHITENOISE_ADD_HEADERS_FUNCTION = _static_file_headers

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Security. Production (DEBUG off) passes `manage.py check --deploy`.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if TESTING:
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False

# Content-Security-Policy: our own origin only, no inline script or style, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# Forum limits (SPEC.md)
THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 30
# An invitation expires between these two lifetimes from when it is made.
INVITATION_MIN_LIFETIME = timedelta(hours=1)
INVITATION_MAX_LIFETIME = timedelta(days=90)
LIVE_MESSAGE_MAX_CHARS = 2000
LIVE_FRAME_MAX_BYTES = 16 * 1024
# Open sockets one member may hold in one live session (tabs, devices); past it the newest wins
# and the oldest is closed (realtime.services.join_presence).
LIVE_MAX_SOCKETS_PER_MEMBER = int(os.environ.get("LIVE_MAX_SOCKETS_PER_MEMBER", "5"))
# Open thread-page sockets one member may hold, counted in the cache (so across processes when
# REDIS_URL is set); beyond it the newest wins and the oldest is closed with 4403.
THREAD_MAX_SOCKETS_PER_MEMBER = int(os.environ.get("THREAD_MAX_SOCKETS_PER_MEMBER", "20"))
LIVE_RATE_LIMIT = (
    int(os.environ.get("LIVE_RATE_COUNT", "5")),
    int(os.environ.get("LIVE_RATE_SECONDS", "10")),
)
# How many seconds a breakout room's "minute" lasts: 60; shorter only for tests.
LIVE_BREAKOUT_MINUTE_SECONDS = int(os.environ.get("LIVE_BREAKOUT_MINUTE_SECONDS", "60"))
# Hosts a live session's video call link may point at (comma-separated; a leading "." allows
# subdomains too). Default: Microsoft Teams and Zoom.
LIVE_CALL_HOSTS = [
    host.strip().lower()
    for host in os.environ.get(
        "LIVE_CALL_HOSTS", "teams.microsoft.com,teams.live.com,.zoom.us"
    ).split(",")
    if host.strip()
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
