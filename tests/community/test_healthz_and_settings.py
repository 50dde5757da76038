import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_answers_after_db_and_channel_layer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db
def test_healthz_names_the_failing_part(client, monkeypatch):
    class BrokenLayer:
        async def new_channel(self, prefix="x"):
            raise ConnectionError("redis down")

    monkeypatch.setattr("community.site.views.get_channel_layer", lambda: BrokenLayer())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["channel_layer"].startswith("failed")
    assert response.json()["database"] == "ok"


def test_sqlite_is_configured_for_concurrent_writers():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("runs on the embedded SQLite default")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def _settings_in_subprocess(env: dict, code: str) -> str:
    full_env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}
    }
    full_env.update(env)
    full_env["DJANGO_SETTINGS_MODULE"] = "community.settings"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; {code}",
        ],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_redis_url_configures_layer_and_cache_for_redis_py_8():
    out = _settings_in_subprocess(
        {"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/3"},
        "l=settings.CHANNEL_LAYERS['default']; h=l['CONFIG']['hosts'][0]; "
        "print(l['BACKEND'], h['socket_timeout'], h['max_connections'], settings.CACHES['default']['BACKEND'])",
    )
    backend, timeout, max_connections, cache = out.split()
    assert backend == "channels_redis.core.RedisChannelLayer"
    assert timeout == "None"
    assert int(max_connections) >= 500
    assert cache == "django.core.cache.backends.redis.RedisCache"


def test_postgres_url_uses_connection_pool_not_persistent_connections():
    out = _settings_in_subprocess(
        {"DEBUG": "1", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/forum"},
        "d=settings.DATABASES['default']; print(d['ENGINE'], d['CONN_MAX_AGE'], 'pool' in d['OPTIONS'])",
    )
    assert out == "django.db.backends.postgresql 0 True"


def test_default_layer_is_in_memory_without_redis():
    out = _settings_in_subprocess(
        {"DEBUG": "1"}, "print(settings.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    assert out == "channels.layers.InMemoryChannelLayer"


def test_production_settings_pass_check_deploy(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
            "ALLOWED_HOSTS": "forum.example.nhs.uk",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
