"""Times are shown in the site's time zone (Europe/London), an hour ahead of UTC in summer, on
pages, in the live room, in emails and sentences; machine-readable times carry their offset
(<time datetime>) or are UTC with Z (.ics)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone

from community.formats import when
from realtime import services as live_services
from realtime.models import LiveSession

pytestmark = pytest.mark.django_db

# 17:30 UTC on a summer day is 18:30 in London (BST); in winter the two agree.
SUMMER = datetime(2027, 7, 1, 17, 30, tzinfo=UTC)
WINTER = datetime(2027, 1, 12, 17, 30, tzinfo=UTC)


def test_the_site_keeps_utc_in_the_database_and_shows_london_time(settings):
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.USE_TZ is True


def test_sentences_name_the_local_hour():
    assert when(SUMMER) == "1 July 2027, 18:30"
    assert when(WINTER) == "12 January 2027, 17:30"


def _session(space, facilitator, starts: datetime, **extra) -> LiveSession:
    session = LiveSession.objects.create(
        space=space,
        title="Summer evening session",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=extra.pop("status", LiveSession.Status.SCHEDULED),
        **extra,
    )
    session.facilitators.add(facilitator)
    return session


def test_a_summer_session_shows_the_local_hour_with_its_offset(login, member, space, facilitator):
    session = _session(space, facilitator, SUMMER)
    for path in ("/live/", f"/live/{session.pk}/"):
        html = login(member).get(path).content.decode()
        assert "18:30" in html, path
        assert "17:30" not in html, path
        assert '<time datetime="2027-07-01T18:30:00+01:00">' in html, path
        assert '<time datetime="2027-07-01T19:30:00+01:00">' in html, path


def test_a_winter_session_shows_the_same_hour_as_utc(login, member, space, facilitator):
    _session(space, facilitator, WINTER)
    html = login(member).get("/live/").content.decode()
    assert '<time datetime="2027-01-12T17:30:00+00:00">' in html
    assert "17:30" in html


def test_no_time_element_carries_fractions_of_a_second(login, member, thread):
    html = login(member).get(thread.get_absolute_url()).content.decode()
    values = re.findall(r'<time datetime="([^"]+)"', html)
    assert values
    for value in values:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value), value


def test_a_live_message_stored_in_summer_shows_the_local_hour():
    # Socket frames carry UTC ISO strings with microseconds; the room shows London time.
    event = {
        "type": "message",
        "seq": 1,
        "created": "2027-07-01T17:30:05.123456+00:00",
        "author": None,
        "body_html": "<p>Hello</p>",
    }
    html = render_to_string("realtime/_event.html", {"event": event})
    assert '<time datetime="2027-07-01T18:30:05+01:00">18:30</time>' in html


def test_the_reminder_email_names_the_local_hour(member, space, facilitator):
    starts = timezone.now().replace(month=7, day=1, hour=17, minute=30, second=0, microsecond=0)
    starts = starts.replace(year=timezone.now().year + 1)
    session = _session(space, facilitator, starts)
    live_services.register(actor=member, session=session)
    assert live_services.send_reminders(within=timedelta(days=800)) == 1
    [message] = mail.outbox
    assert "18:30" in message.subject
    assert "17:30" not in message.body


def test_the_calendar_file_gives_a_summer_session_in_utc(login, member, space, facilitator):
    session = _session(space, facilitator, SUMMER)
    text = login(member).get(f"/live/{session.pk}/calendar.ics").content.decode()
    assert "DTSTART:20270701T173000Z\r\n" in text
    assert "DTEND:20270701T183000Z\r\n" in text
    assert "TZID" not in text
