"""seed_demo adds a scheduled and a live session to safe-spaces, idempotently."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from realtime.models import LiveSession

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_seed_demo_creates_the_live_sessions_once():
    call_command("seed_demo")
    call_command("seed_demo")
    sessions = LiveSession.objects.filter(space__slug="safe-spaces")
    assert sorted(sessions.values_list("status", flat=True)) == ["live", "scheduled"]
    for session in sessions:
        assert [u.email for u in session.facilitators.all()] == ["facilitator@example.org"]
