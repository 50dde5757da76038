"""Sign-in and sign-up rate limits: high per address (a trust's staff share one egress address),
strict per account, and keyed on an address the client cannot choose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from community.models import User

PASSWORD = "pw-for-tests-123"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def attempt(email: str, password: str, **meta):
    return Client().post(reverse("account_login"), {"login": email, "password": password}, **meta)


def refused_for_attempts(response) -> bool:
    return response.status_code == 429 or "Too many failed login attempts" in (
        response.content.decode()
    )


def test_failures_from_one_shared_address_do_not_lock_out_everyone_behind_it(member):
    trust = {"REMOTE_ADDR": "192.0.2.10"}
    for number in range(12):
        response = attempt(f"colleague{number}@example.org", "a-typo", **trust)
        assert response.status_code == 200 and not refused_for_attempts(response)
    assert attempt(member.email, PASSWORD, **trust).status_code == 302


def test_failures_for_one_account_lock_it_from_every_address(member):
    for number in range(5):
        attempt(member.email, "a-guess", REMOTE_ADDR=f"198.51.100.{number + 1}")
    response = attempt(member.email, PASSWORD, REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 200 and refused_for_attempts(response)


def test_other_accounts_still_sign_in_while_one_is_locked(member, other_member):
    for _ in range(5):
        attempt(member.email, "a-guess")
    assert attempt(other_member.email, PASSWORD).status_code == 302


def test_a_new_forwarded_address_per_attempt_does_not_dodge_the_per_address_limit(settings, member):
    """No proxy trusted (the default): under daphne --proxy-headers REMOTE_ADDR is the first
    X-Forwarded-For entry, which the client wrote, so rotating it must not reset the count."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/5m/ip"}
    outcomes = []
    for number in range(4):
        forged = f"203.0.113.{number + 1}"
        response = attempt(
            f"someone{number}@example.org",
            "a-guess",
            REMOTE_ADDR=forged,
            HTTP_X_FORWARDED_FOR=f"{forged}, 192.0.2.1",
        )
        outcomes.append(refused_for_attempts(response))
    assert outcomes == [False, False, False, True]


def test_with_one_trusted_proxy_the_address_it_appended_is_the_key(settings, member):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/5m/ip"}
    outcomes = []
    for number in range(4):
        forged = f"203.0.113.{number + 1}"
        response = attempt(
            f"someone{number}@example.org",
            "a-guess",
            REMOTE_ADDR=forged,  # what daphne --proxy-headers makes of the forged first entry
            HTTP_X_FORWARDED_FOR=f"{forged}, 192.0.2.77",
        )
        outcomes.append(refused_for_attempts(response))
    assert outcomes == [False, False, False, True]
    # Someone else behind the same proxy, at another address, is not affected.
    response = attempt(
        member.email, PASSWORD, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="192.0.2.88"
    )
    assert response.status_code == 302


def test_sign_ups_from_one_shared_address_are_not_capped_at_twenty():
    for number in range(25):
        response = Client().post(
            reverse("account_signup"),
            {
                "email": f"new{number}@example.org",
                "display_name": f"New {number}",
                "password1": "a-long-and-unusual-passphrase-42",
                "password2": "a-long-and-unusual-passphrase-42",
            },
            REMOTE_ADDR="192.0.2.10",
        )
        assert response.status_code == 302, number
    assert User.objects.filter(email__startswith="new").count() == 25


def test_the_limits_come_from_the_environment():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="community.settings",
        SIGNIN_LIMIT_PER_ADDRESS="500/m",
        SIGNIN_FAILURE_LIMIT_PER_ADDRESS="40/10m",
        SIGNIN_FAILURE_LIMIT_PER_ACCOUNT="3/15m",
        SIGNUP_LIMIT_PER_ADDRESS="60/h",
        ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP",
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "r = settings.ACCOUNT_RATE_LIMITS; "
        "print(r['login'], r['login_failed'], r['signup'], settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["500/m/ip", "40/10m/ip,3/15m/key", "60/h/ip", "X-Real-IP"]


def test_a_malformed_limit_stops_the_server_starting():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", SIGNIN_FAILURE_LIMIT_PER_ACCOUNT="lots")
    result = subprocess.run(
        [sys.executable, "-c", "import community.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SIGNIN_FAILURE_LIMIT_PER_ACCOUNT" in result.stderr


def test_defaults_are_generous_per_address_and_strict_per_account(settings):
    limits = settings.ACCOUNT_RATE_LIMITS
    per_address, per_account = limits["login_failed"].split(",")
    assert int(per_address.split("/")[0]) >= 50 and per_address.endswith("/ip")
    assert per_account == "5/5m/key"
