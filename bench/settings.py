"""Settings for the benchmark server: the real settings plus bench-only switches.

``BENCH_QUERY_COUNT=1`` puts :class:`bench.middleware.QueryCountMiddleware` first, so every
response carries ``X-Query-Count``. ``BENCH_BASELINE=1`` serves :mod:`bench.urls` (the site plus
the baseline views under ``/bench/``). Nothing in community/ imports this module.
"""

from __future__ import annotations

import os

from community.settings import *  # noqa: F403
from community.settings import MIDDLEWARE, STORAGES

# The bench measures Django and the forum, not static files: plain storage means no manifest
# (and no collectstatic) is needed with DEBUG off.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if os.environ.get("BENCH_QUERY_COUNT") == "1":
    MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]

if os.environ.get("BENCH_FAST_HASHER") == "1":
    # The live bench seeds hundreds of demo members; PBKDF2 would take minutes for accounts
    # that sign in through session rows. Older hashes still verify (the default comes second).
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

if os.environ.get("BENCH_BASELINE") == "1":
    ROOT_URLCONF = "bench.urls"
