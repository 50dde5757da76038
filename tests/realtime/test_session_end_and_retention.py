"""Sessions left running end by themselves a day after their end time, and a session that keeps
no transcript (retention 0) loses what was said the moment it ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from realtime import selectors, services
from realtime.models import LiveEvent, LiveSession, QuestionUpvote, RaisedHand

from .conftest import make_session

pytestmark = pytest.mark.django_db

SECRET = "What I said about my manager"


def _overdue(space, facilitator, hours: float, **extra) -> LiveSession:
    now = timezone.now()
    return make_session(
        space,
        facilitator,
        starts_at=now - timedelta(hours=hours + 1),
        ends_at=now - timedelta(hours=hours),
        **extra,
    )


def test_a_session_more_than_a_day_past_its_end_is_ended_by_purge_expired(
    space, facilitator, member
):
    overdue = _overdue(space, facilitator, 25)
    services.raise_hand(actor=member, session=overdue)
    LiveSession.objects.filter(pk=overdue.pk).update(locked=True)
    scheduled = _overdue(space, facilitator, 49, status=LiveSession.Status.SCHEDULED)
    recent = _overdue(space, facilitator, 23)
    now = timezone.now()
    services.purge_expired(now=now)
    overdue.refresh_from_db()
    assert (overdue.status, overdue.ended_at, overdue.locked) == ("ended", now, False)
    last = LiveEvent.objects.filter(session=overdue).order_by("-seq").first()
    assert (last.kind, last.data["change"], last.seq) == ("state", "end", overdue.last_seq)
    assert not RaisedHand.objects.filter(session=overdue).exists()
    scheduled.refresh_from_db()
    assert scheduled.status == "ended"
    recent.refresh_from_db()
    assert recent.status == "live" and recent.ended_at is None


def test_ending_overdue_sessions_is_idempotent(space, facilitator):
    overdue = _overdue(space, facilitator, 30)
    first = timezone.now()
    services.purge_expired(now=first)
    services.purge_expired(now=first + timedelta(hours=1))
    overdue.refresh_from_db()
    assert overdue.ended_at == first
    assert LiveEvent.objects.filter(session=overdue, kind="state").count() == 1


def test_an_overdue_session_keeping_no_transcript_is_ended_and_purged_in_one_run(
    space, facilitator, member
):
    overdue = _overdue(space, facilitator, 26, retention_days=0)
    services.send_live_message(actor=member, session=overdue, body=SECRET, client_msg_id="a")
    assert services.purge_expired() == 1
    overdue.refresh_from_db()
    assert overdue.status == "ended" and overdue.transcript_purged_at is not None
    assert not LiveEvent.objects.filter(session=overdue).exists()
    assert services.purge_expired() == 0


def test_ending_a_session_with_retention_0_purges_what_was_said_at_once(
    login, space, facilitator, member, other_member
):
    session = make_session(space, facilitator, retention_days=0)
    services.send_live_message(actor=member, session=session, body=SECRET, client_msg_id="m")
    question, _ = services.ask_question(
        actor=other_member, session=session, body=f"{SECRET}?", client_msg_id="q"
    )
    services.upvote_question(actor=member, session=session, seq=question.seq)
    assert services.end_session(actor=facilitator, session=session)
    assert not LiveEvent.objects.filter(session=session, body__contains=SECRET).exists()
    assert not LiveEvent.objects.filter(session=session, body_html__contains=SECRET).exists()
    spoken = LiveEvent.objects.filter(session=session, kind__in=["message", "question"])
    assert spoken.count() == 2  # kept as blank, removed places, so seq has no gaps
    assert all(e.removed and e.author_id is None for e in spoken)
    assert not QuestionUpvote.objects.filter(question__session=session).exists()
    session.refresh_from_db()
    frames = selectors.events_after(session.pk, 0, until_seq=session.last_seq, limit=100)
    assert [f["seq"] for f in frames] == list(range(1, session.last_seq + 1))
    assert SECRET not in str(frames) and member.display_name not in str(frames)
    page = login(member).get(reverse("live_transcript", args=[session.pk])).content.decode()
    assert SECRET not in page
    # purge_expired then deletes the rest, once.
    assert services.purge_expired() == 1
    assert not LiveEvent.objects.filter(session=session).exists()
    assert services.purge_expired() == 0


def test_ending_a_session_that_keeps_its_transcript_keeps_it(space, facilitator, member):
    session = make_session(space, facilitator, retention_days=30)
    services.send_live_message(actor=member, session=session, body=SECRET, client_msg_id="m")
    services.end_session(actor=facilitator, session=session)
    assert LiveEvent.objects.filter(session=session, body=SECRET, removed=False).exists()
    assert services.purge_expired() == 0


def test_ending_twice_changes_nothing_the_second_time(space, facilitator, member):
    session = make_session(space, facilitator, retention_days=0)
    services.send_live_message(actor=member, session=session, body=SECRET, client_msg_id="m")
    assert services.end_session(actor=facilitator, session=session)
    count = LiveEvent.objects.filter(session=session).count()
    assert not services.end_session(actor=facilitator, session=session)
    assert LiveEvent.objects.filter(session=session).count() == count
