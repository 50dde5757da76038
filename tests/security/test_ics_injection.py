"""Control characters in a live session's title cannot inject calendar lines or break reminders."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.utils import timezone

from realtime import services
from realtime.models import LiveSession

from ..realtime.conftest import make_session

pytestmark = pytest.mark.django_db

INJECTED = "Safe title\rEND:VEVENT\r\nBEGIN:VEVENT\nSUMMARY:Phish\x0bme\x1b[31m"


def calendar_lines(client, session) -> list[str]:
    response = client.get(f"/live/{session.pk}/calendar.ics")
    assert response.status_code == 200
    raw = response.content
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, line
        assert len(line) <= 75, line
    return [line.decode() for line in lines]


def unfold(lines: list[str]) -> list[str]:
    logical: list[str] = []
    for line in lines:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def schedule_form(space, title: str, description: str = "Bring one example.") -> dict:
    start = timezone.localtime() + timedelta(days=2)
    return {
        "space": space.pk,
        "title": title,
        "description": description,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": 30,
        "chatham_house": "on",
        "retention_days": 30,
    }


def test_the_schedule_form_strips_control_characters_from_the_title(login, space, facilitator):
    response = login(facilitator).post(
        "/live/new/", schedule_form(space, INJECTED, "Line one\r\nLine two\rthree\x07")
    )
    assert response.status_code == 302
    session = LiveSession.objects.get(space=space)
    assert session.title == "Safe title END:VEVENT BEGIN:VEVENT SUMMARY:Phish me [31m"
    assert session.description == "Line one\nLine two\nthree"


def test_a_title_of_only_control_characters_is_refused_with_the_text_kept(
    login, space, facilitator
):
    response = login(facilitator).post("/live/new/", schedule_form(space, "\r\n\x1b"))
    assert response.status_code == 200
    assert not LiveSession.objects.exists()


def test_create_and_update_services_clean_the_title_and_description(space, facilitator):
    start = timezone.now() + timedelta(days=1)
    session = services.create_session(
        actor=facilitator,
        space=space,
        title="One\rTwo",
        description="Para\r\rNext\x00",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    assert (session.title, session.description) == ("One Two", "Para\n\nNext")
    services.update_session(actor=facilitator, session=session, title="Three\u2028Four\x85")
    session.refresh_from_db()
    assert session.title == "Three Four"


def test_calendar_escapes_a_title_stored_before_cleaning(login, member, space, facilitator):
    session = make_session(space, facilitator, title=INJECTED + "; a, b \\ c")
    lines = unfold(calendar_lines(login(member), session))
    assert [line.split(":", 1)[0] for line in lines].count("BEGIN") == 2  # VCALENDAR, VEVENT
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert summaries == [
        "SUMMARY:Safe title\\nEND:VEVENT\\nBEGIN:VEVENT\\nSUMMARY:Phish\\nme[31m\\; a\\, b \\\\ c"
    ]


def test_long_values_fold_at_75_octets_without_splitting_characters(
    login, member, space, facilitator
):
    title = "Anti-racism in practice: " + "é" * 40 + " and 🌍 " * 10
    session = make_session(space, facilitator, title=title[:160])
    raw = calendar_lines(login(member), session)
    assert len([line for line in raw if line.startswith(" ")]) >= 2
    summary = next(line for line in unfold(raw) if line.startswith("SUMMARY:"))
    assert summary == "SUMMARY:" + title[:160].replace(",", "\\,")


class BouncingBackend(LocmemBackend):
    """Refuses mail to bounce@…, like an SMTP server that rejects one recipient."""

    def send_messages(self, messages):
        for message in messages:
            if any(address.startswith("bounce") for address in message.to):
                raise ConnectionRefusedError("550 mailbox unavailable")
        return super().send_messages(messages)


def _soon(session: LiveSession, hours: int) -> None:
    LiveSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + timedelta(hours=hours),
        ends_at=timezone.now() + timedelta(hours=hours + 1),
    )


def test_a_bad_title_does_not_stop_other_sessions_reminders(
    mailoutbox, member, other_member, space, facilitator
):
    bad = make_session(space, facilitator, status=LiveSession.Status.SCHEDULED, title=INJECTED)
    good = make_session(space, facilitator, status=LiveSession.Status.SCHEDULED, title="Good")
    _soon(bad, 1)
    _soon(good, 2)
    services.register(actor=member, session=bad)
    services.register(actor=other_member, session=good)
    call_command("send_live_reminders")
    call_command("send_live_reminders")
    assert sorted(m.to[0] for m in mailoutbox) == sorted([member.email, other_member.email])
    for message in mailoutbox:
        assert "\r" not in message.subject and "\n" not in message.subject


def test_one_failed_reminder_is_logged_and_the_others_still_go_once(
    settings, mailoutbox, caplog, space, facilitator
):
    from ..conftest import make_member

    settings.EMAIL_BACKEND = "tests.security.test_ics_injection.BouncingBackend"
    session = make_session(space, facilitator, status=LiveSession.Status.SCHEDULED)
    other = make_session(space, facilitator, status=LiveSession.Status.SCHEDULED, title="Later")
    _soon(session, 1)
    _soon(other, 2)
    first, bounce, last = (make_member(space, name) for name in ("First", "Bounce", "Last"))
    bounce.email = "bounce@example.org"
    bounce.save()
    for person in (first, bounce, last):
        services.register(actor=person, session=session)
    services.register(actor=first, session=other)
    with caplog.at_level(logging.ERROR, logger="realtime.services"):
        call_command("send_live_reminders")
    call_command("send_live_reminders")
    sent = sorted((m.to[0], m.subject.split(" starts")[0]) for m in mailoutbox)
    assert sent == sorted(
        [
            (first.email, f"Reminder: {session.title}"),
            (last.email, f"Reminder: {session.title}"),
            (first.email, "Reminder: Later"),
        ]
    )
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert f"session {session.pk}" in errors[0].getMessage()
    assert f"member {bounce.pk}" in errors[0].getMessage()
    assert "bounce@example.org" not in errors[0].getMessage()
