"""Feedback after the end: anonymous (safety 1 to 5, what helped, what to change), once, from
those who came; the facilitator sees totals and comments only from 5 answers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from realtime import services
from realtime.models import Attendance, FeedbackAnswer, FeedbackSubmission, LiveSession

from ..conftest import make_member
from .conftest import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended(space, facilitator):
    return make_session(space, facilitator, status=LiveSession.Status.ENDED)


def attend(session, user) -> None:
    Attendance.objects.create(session=session, user=user)


def url(session, results: bool = False) -> str:
    return reverse("live_feedback_results" if results else "live_feedback", args=[session.pk])


def test_attendee_gives_anonymous_feedback_once(login, ended, member):
    attend(ended, member)
    client = login(member)
    response = client.post(url(ended), {"safety": "4", "helped": "Ground rules", "change": ""})
    assert response.status_code == 302
    answer = FeedbackAnswer.objects.get()
    assert (answer.safety, answer.helped) == (4, "Ground rules")
    assert not hasattr(answer, "user_id")  # the answer carries no member
    assert FeedbackSubmission.objects.filter(user=member).exists()
    again = client.post(url(ended), {"safety": "1"})
    assert again.status_code == 403 and b"already given feedback" in again.content
    assert FeedbackAnswer.objects.count() == 1


def test_someone_who_did_not_attend_is_refused_and_nothing_stored(login, ended, other_member):
    response = login(other_member).post(url(ended), {"safety": "5", "helped": "Kept text"})
    assert response.status_code == 403
    assert b"Only members who came to this session" in response.content
    assert not FeedbackAnswer.objects.exists() and not FeedbackSubmission.objects.exists()


def test_feedback_before_the_end_is_refused(login, live_session, member):
    attend(live_session, member)
    response = login(member).post(url(live_session), {"safety": "5"})
    assert response.status_code == 403 and b"opens when the session has ended" in response.content
    assert not FeedbackAnswer.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose how safe the session felt, from 1 to 5."),
        ({"safety": "6"}, "Select a valid choice"),
        ({"safety": "x"}, "Select a valid choice"),
        ({"safety": "3", "helped": "y" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_feedback_is_a_form_error_with_the_text_kept(login, ended, member, data, error):
    attend(ended, member)
    data = {"change": "My words stay", **data}
    response = login(member).post(url(ended), data)
    html = response.content.decode()
    assert response.status_code == 200 and error in html
    assert "My words stay" in html
    assert not FeedbackAnswer.objects.exists() and not FeedbackSubmission.objects.exists()


def test_outsider_gets_404(login, ended, outsider):
    assert login(outsider).get(url(ended)).status_code == 404
    assert login(outsider).get(url(ended, results=True)).status_code == 404


def test_participant_cannot_see_the_results(login, ended, member):
    assert login(member).get(url(ended, results=True)).status_code == 403


def test_totals_hidden_below_five_then_shown(login, ended, facilitator, space):
    people = [make_member(space, f"Came {n}") for n in range(5)]
    for n, person in enumerate(people[:4]):
        attend(ended, person)
        services.give_feedback(
            actor=person, session=ended, safety=n + 1, helped=f"Helped {n}", change=""
        )
    html = login(facilitator).get(url(ended, results=True)).content.decode()
    assert "4 answers so far" in html and "Totals and comments show once at least 5" in html
    assert "Helped 0" not in html and "Average" not in html
    attend(ended, people[4])
    services.give_feedback(actor=people[4], session=ended, safety=5, helped="", change="Shorter")
    html = login(facilitator).get(url(ended, results=True)).content.decode()
    assert "Average: <strong>3.0</strong>" in html
    assert "Helped 0" in html and "Shorter" in html
    assert "Came 1" not in html  # never who answered


def test_joining_the_room_records_attendance(live_session, member):
    services.join_presence(user=member, session_id=live_session.pk, channel_name="a.1")
    services.join_presence(user=member, session_id=live_session.pk, channel_name="a.2")
    assert Attendance.objects.filter(session=live_session, user=member).count() == 1


def test_feedback_comments_are_purged_with_the_transcript(ended, member):
    attend(ended, member)
    services.give_feedback(actor=member, session=ended, safety=3, helped="Private", change="")
    ended.ended_at = ended.ends_at
    ended.retention_days = 1
    ended.save()
    services.purge_expired(now=ended.ends_at.replace(year=ended.ends_at.year + 1))
    assert not FeedbackAnswer.objects.exists()
