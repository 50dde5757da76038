"""HTTP pages of live sessions: list, room, calendar, transcript, scheduling, registration."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from realtime import services
from realtime.models import LiveEvent, LiveSession, Registration

from .conftest import make_session

pytestmark = pytest.mark.django_db


def test_member_sees_upcoming_sessions_of_their_spaces_only(
    login, member, live_session, other_space
):
    hidden = make_session(other_space, title="Elsewhere")
    page = login(member).get("/live/")
    assert page.status_code == 200
    assert live_session.title in page.content.decode()
    assert hidden.title not in page.content.decode()


@pytest.mark.parametrize("who", ["outsider", "pending_member", "banned_member", "other_moderator"])
def test_non_members_get_404_for_room_calendar_and_transcript(who, request, login, live_session):
    client = login(request.getfixturevalue(who))
    for path in ("", "calendar.ics", "transcript/"):
        assert client.get(f"/live/{live_session.pk}/{path}").status_code == 404
    assert client.post(f"/live/{live_session.pk}/register/").status_code == 404
    assert not Registration.objects.exists()


def test_visitor_is_sent_to_sign_in(client, live_session):
    response = client.get(f"/live/{live_session.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_room_page_embeds_last_seq_and_loads_the_module(login, member, live_session):
    services.send_live_message(actor=member, session=live_session, body="Hello", client_msg_id="a")
    html = login(member).get(f"/live/{live_session.pk}/").content.decode()
    assert 'data-last-seq="1"' in html
    assert "realtime/live.js" in html and 'type="module"' in html
    assert 'aria-live="polite"' in html
    assert "<p>Hello</p>" in html
    assert "Facilitator panel" not in html


def test_facilitator_sees_the_panel(login, facilitator, live_session):
    html = login(facilitator).get(f"/live/{live_session.pk}/").content.decode()
    assert "Facilitator panel" in html and 'data-facilitator="true"' in html


def test_register_within_capacity_then_full_then_cancel(
    login, space, member, other_member, facilitator
):
    session = make_session(space, facilitator, status=LiveSession.Status.SCHEDULED, capacity=1)
    login(member).post(f"/live/{session.pk}/register/")
    login(member).post(f"/live/{session.pk}/register/")
    assert Registration.objects.filter(session=session).count() == 1
    response = login(other_member).post(f"/live/{session.pk}/register/", follow=True)
    assert "This session is full." in response.content.decode()
    assert Registration.objects.filter(session=session).count() == 1
    assert "Full" in login(other_member).get("/live/").content.decode()
    login(member).post(f"/live/{session.pk}/cancel/")
    assert not Registration.objects.exists()


def test_calendar_file_is_utc_and_crlf(login, member, live_session):
    response = login(member).get(f"/live/{live_session.pk}/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert f"DTSTART:{live_session.starts_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}" in text


def test_transcript_under_chatham_house_carries_no_names(
    login, member, other_member, facilitator, live_session
):
    services.send_live_message(
        actor=member, session=live_session, body="What we learnt", client_msg_id="a"
    )
    services.ask_question(
        actor=other_member, session=live_session, body="And then?", client_msg_id="b"
    )
    services.send_live_message(
        actor=other_member, session=live_session, body="Removed one", client_msg_id="c"
    )
    services.remove_message(actor=facilitator, session=live_session, seq=3)
    services.end_session(actor=facilitator, session=live_session)
    html = login(facilitator).get(f"/live/{live_session.pk}/transcript/").content.decode()
    main = html.split('id="maincontent"')[1]
    assert "What we learnt" in main and "And then?" in main and "Removed one" not in main
    assert "Mel Member" not in main and "Olu Other" not in main


def test_transcript_before_the_end_redirects_to_room(login, member, live_session):
    response = login(member).get(f"/live/{live_session.pk}/transcript/")
    assert response.status_code == 302


def test_facilitator_schedules_and_edits_a_session(login, space, facilitator):
    client = login(facilitator)
    assert client.get("/live/new/").status_code == 200
    start = timezone.localtime() + timedelta(days=2)
    data = {
        "space": space.pk,
        "title": "Allyship circle",
        "description": "Bring one example.",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": 30,
        "chatham_house": "on",
        "retention_days": 30,
    }
    response = client.post("/live/new/", data)
    session = LiveSession.objects.get(title="Allyship circle")
    assert response.status_code == 302
    assert list(session.facilitators.all()) == [facilitator]
    data.pop("space")
    data["title"] = "Allyship circle (2)"
    client.post(f"/live/{session.pk}/edit/", data)
    session.refresh_from_db()
    assert session.title == "Allyship circle (2)"
    client.post(f"/live/{session.pk}/status/start/")
    session.refresh_from_db()
    assert session.status == "live"


def test_member_cannot_schedule_edit_or_start(login, space, member, scheduled_session):
    client = login(member)
    assert client.get("/live/new/").status_code == 403
    assert client.get(f"/live/{scheduled_session.pk}/edit/").status_code == 403
    assert client.post(f"/live/{scheduled_session.pk}/status/start/").status_code == 403
    scheduled_session.refresh_from_db()
    assert scheduled_session.status == "scheduled"


def test_end_before_start_is_a_form_error(login, space, facilitator):
    start = timezone.localtime() + timedelta(days=2)
    response = login(facilitator).post(
        "/live/new/",
        {
            "space": space.pk,
            "title": "Backwards",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 10,
            "retention_days": 30,
        },
    )
    assert (
        response.status_code == 200
        and "The end must be after the start." in response.content.decode()
    )
    assert not LiveSession.objects.filter(title="Backwards").exists()


def test_purge_expired_deletes_old_transcripts_once(member, facilitator, live_session):
    services.send_live_message(actor=member, session=live_session, body="x", client_msg_id="a")
    services.end_session(actor=facilitator, session=live_session)
    LiveSession.objects.filter(pk=live_session.pk).update(
        ended_at=timezone.now() - timedelta(days=31)
    )
    call_command("purge_expired")
    assert not LiveEvent.objects.filter(session=live_session).exists()
    live_session.refresh_from_db()
    purged_at = live_session.transcript_purged_at
    assert purged_at is not None
    call_command("purge_expired")
    live_session.refresh_from_db()
    assert live_session.transcript_purged_at == purged_at


def test_purge_keeps_transcripts_within_retention(member, facilitator, live_session):
    services.send_live_message(actor=member, session=live_session, body="x", client_msg_id="a")
    services.end_session(actor=facilitator, session=live_session)
    call_command("purge_expired")
    assert LiveEvent.objects.filter(session=live_session, kind="message").exists()


def test_reminders_go_to_registered_members_once(
    mailoutbox, member, other_member, scheduled_session
):
    LiveSession.objects.filter(pk=scheduled_session.pk).update(
        starts_at=timezone.now() + timedelta(hours=2), ends_at=timezone.now() + timedelta(hours=3)
    )
    services.register(actor=member, session=scheduled_session)
    call_command("send_live_reminders")
    call_command("send_live_reminders")
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert scheduled_session.title in mailoutbox[0].subject
