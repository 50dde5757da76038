"""Commitment fixtures: a member's private and shared commitments, an ended live session with a
proposed action, and the form data the pages take."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from realtime.models import LiveSession, Registration
from threads.commitments import services
from threads.commitments.models import Commitment

AREA = "allyship"


def soon(days: int = 30) -> date:
    return timezone.localdate() + timedelta(days=days)


def make_commitment(owner, text: str = "Ask our network chair what to change.", **fields):
    fields.setdefault("due_on", soon())
    fields.setdefault("area", AREA)
    return services.create_commitment(actor=owner, text=text, **fields)


def form_data(**overrides) -> dict:
    """What the commitment form posts, the date split into day, month and year."""
    due = overrides.pop("due_on", soon())
    data = {
        "text": "Meet the staff network chair every month.",
        "why": "So the board hears it first-hand.",
        "due_on_day": str(due.day) if due else "",
        "due_on_month": str(due.month) if due else "",
        "due_on_year": str(due.year) if due else "",
        "area": AREA,
        "wres_indicator": "",
        "visibility": "private",
        "space": "",
        "reminders": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_ended_session(space, facilitator=None, **extra) -> LiveSession:
    now = timezone.now()
    session = LiveSession.objects.create(
        space=space,
        title=extra.pop("title", "Allyship in practice"),
        starts_at=now - timedelta(hours=2),
        ends_at=now - timedelta(hours=1),
        status=extra.pop("status", LiveSession.Status.ENDED),
        **extra,
    )
    if facilitator is not None:
        session.facilitators.add(facilitator)
    return session


@pytest.fixture
def commitment(member) -> Commitment:
    """``member``'s private commitment."""
    return make_commitment(member)


@pytest.fixture
def shared_commitment(member, space, thread) -> Commitment:
    """``member``'s commitment from ``thread``, shared with ``space``."""
    return make_commitment(
        member,
        "Start reverse mentoring for every executive.",
        visibility="space",
        space=space,
        source_thread=thread,
    )


@pytest.fixture
def ended_session(space, facilitator) -> LiveSession:
    return make_ended_session(space, facilitator)


@pytest.fixture
def proposal(ended_session, facilitator):
    return services.propose_action(
        actor=facilitator, session=ended_session, text="Ask one colleague what would help."
    )


@pytest.fixture
def attendee(space, ended_session):
    from tests.conftest import make_member

    user = make_member(space, "Ade Attendee")
    Registration.objects.create(session=ended_session, user=user)
    return user
