"""A session's video call link: https, a host from LIVE_CALL_HOSTS (default Teams and Zoom),
shown in the room only to registered members (and facilitators) once the room is open."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from realtime import services
from realtime.models import LiveSession, Registration

from .conftest import make_session

pytestmark = pytest.mark.django_db

TEAMS = "https://teams.microsoft.com/l/meetup-join/abc"


def room_html(login, user, session) -> str:
    return login(user).get(reverse("live_room", args=[session.pk])).content.decode()


@pytest.mark.parametrize(
    "url", [TEAMS, "https://nhs.zoom.us/j/123", "https://zoom.us/j/1", "https://teams.live.com/m"]
)
def test_allowed_call_links_are_kept(space, facilitator, url):
    session = make_session(space, facilitator)
    services.update_session(actor=facilitator, session=session, call_url=url)
    assert LiveSession.objects.get(pk=session.pk).call_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://teams.microsoft.com/l/x", "must start with https://"),
        ("https://evil.example.com/zoom.us", "Microsoft Teams or Zoom"),
        ("https://zoom.us.evil.example/j/1", "Microsoft Teams or Zoom"),
        ("https://user:pw@zoom.us/j/1", "must start with https://"),
    ],
)
def test_other_call_links_are_refused_and_nothing_changes(space, facilitator, url, message):
    session = make_session(space, facilitator)
    with pytest.raises(ValidationError) as error:
        services.update_session(actor=facilitator, session=session, call_url=url)
    assert message in str(error.value)
    assert LiveSession.objects.get(pk=session.pk).call_url == ""


def test_hosts_come_from_the_environment_setting(space, facilitator, settings):
    settings.LIVE_CALL_HOSTS = ["meet.example.nhs.uk"]
    session = make_session(space, facilitator)
    services.update_session(
        actor=facilitator, session=session, call_url="https://meet.example.nhs.uk/r/1"
    )
    with pytest.raises(ValidationError):
        services.update_session(actor=facilitator, session=session, call_url=TEAMS)


def test_form_error_keeps_what_was_typed(login, facilitator, space):
    session = make_session(space, facilitator)
    response = login(facilitator).post(
        reverse("live_edit", args=[session.pk]),
        {
            "title": session.title,
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-01T11:00",
            "capacity": 10,
            "retention_days": 30,
            "call_url": "https://evil.example.com/j/1",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Microsoft Teams or Zoom" in html
    assert 'value="https://evil.example.com/j/1"' in html


@pytest.mark.parametrize(
    ("status", "registered", "shown"),
    [
        (LiveSession.Status.SCHEDULED, True, False),
        (LiveSession.Status.OPEN, True, True),
        (LiveSession.Status.LIVE, True, True),
        (LiveSession.Status.LIVE, False, False),
        (LiveSession.Status.ENDED, True, False),
    ],
)
def test_call_link_shows_to_registered_members_once_open(
    login, space, facilitator, member, status, registered, shown
):
    session = make_session(space, facilitator, status=status, call_url=TEAMS)
    if registered:
        Registration.objects.create(session=session, user=member)
    assert (TEAMS in room_html(login, member, session)) is shown


def test_call_link_never_on_the_list_calendar_or_to_outsiders(
    login, space, facilitator, member, outsider
):
    session = make_session(space, facilitator, call_url=TEAMS)
    Registration.objects.create(session=session, user=member)
    client = login(member)
    assert TEAMS not in client.get(reverse("live_list")).content.decode()
    assert TEAMS not in client.get(reverse("live_calendar", args=[session.pk])).content.decode()
    assert login(outsider).get(reverse("live_room", args=[session.pk])).status_code == 404
