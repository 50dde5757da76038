"""Reminder emails: a week before, on the date, then monthly while open; each exactly once;
none when turned off or closed; never the text of anything the member can no longer see."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.models import Membership
from threads.commitments import services
from threads.commitments.models import Commitment, CommitmentReminder
from threads.commitments.reminders import add_months, reminder_due, send_reminders
from threads.services import create_thread

from .conftest import make_commitment

pytestmark = pytest.mark.django_db

DUE = date(2027, 3, 15)


def _due_on(commitment, day: date, *, created: date | None = None) -> Commitment:
    created = created or day - timedelta(days=60)
    Commitment.objects.filter(pk=commitment.pk).update(
        due_on=day,
        created_at=timezone.make_aware(timezone.datetime(created.year, created.month, created.day)),
    )
    commitment.refresh_from_db()
    return commitment


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (DUE - timedelta(days=8), None),
        (DUE - timedelta(days=7), ("week-before", DUE - timedelta(days=7))),
        (DUE - timedelta(days=1), ("week-before", DUE - timedelta(days=7))),
        (DUE, ("due", DUE)),
        (DUE + timedelta(days=20), ("due", DUE)),
        (date(2027, 4, 15), ("monthly", date(2027, 4, 15))),
        (date(2027, 5, 14), ("monthly", date(2027, 4, 15))),
        (date(2027, 5, 15), ("monthly", date(2027, 5, 15))),
    ],
)
def test_the_reminder_due_on_each_day(member, today, expected):
    commitment = _due_on(make_commitment(member), DUE)
    assert reminder_due(commitment, today) == expected


def test_add_months_keeps_to_the_end_of_a_short_month():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_no_week_before_email_for_a_commitment_made_in_its_last_week(member):
    commitment = _due_on(make_commitment(member), DUE, created=DUE - timedelta(days=3))
    assert reminder_due(commitment, DUE - timedelta(days=2)) is None


def test_each_reminder_is_sent_exactly_once(member, mailoutbox, settings):
    settings.SITE_URL = "https://forum.example.nhs.uk"
    commitment = _due_on(make_commitment(member, "Sponsor two colleagues."), DUE)
    assert send_reminders(today=DUE - timedelta(days=7)) == 1
    assert send_reminders(today=DUE - timedelta(days=7)) == 0
    assert send_reminders(today=DUE - timedelta(days=5)) == 0
    assert send_reminders(today=DUE) == 1
    assert send_reminders(today=DUE + timedelta(days=3)) == 0
    assert send_reminders(today=date(2027, 4, 16)) == 1
    assert send_reminders(today=date(2027, 4, 20)) == 0
    assert [m.subject for m in mailoutbox] == [
        "Your commitment is due on 15 March 2027",
        "Your commitment is due today",
        "How is your commitment going?",
    ]
    assert CommitmentReminder.objects.filter(commitment=commitment).count() == 3
    body = mailoutbox[0].body
    assert mailoutbox[0].to == [member.email]
    assert "“Sponsor two colleagues.”" in body
    assert f"https://forum.example.nhs.uk/commitments/{commitment.pk}/" in body


def test_no_reminders_when_turned_off(member, mailoutbox):
    commitment = _due_on(make_commitment(member), DUE)
    services.set_reminders(actor=member, commitment=commitment, enabled=False)
    assert send_reminders(today=DUE) == 0
    assert not mailoutbox


def test_no_reminders_once_done_or_dropped(member, mailoutbox):
    commitment = _due_on(make_commitment(member), DUE)
    services.add_update(
        actor=member, commitment=commitment, happened="x", status="done", closing_note="Changed."
    )
    assert send_reminders(today=DUE) == 0
    assert send_reminders(today=date(2027, 6, 20)) == 0


def test_no_reminders_for_an_erased_or_inactive_member(member, mailoutbox):
    _due_on(make_commitment(member), DUE)
    member.is_active = False
    member.save()
    assert send_reminders(today=DUE) == 0


def test_email_names_the_source_thread_only_while_the_member_can_see_it(member, space, mailoutbox):
    thread = create_thread(
        actor=member, space=space, title="Xylophone board plans", body="Quokka body."
    )
    commitment = _due_on(make_commitment(member, "From the thread.", source_thread=thread), DUE)
    send_reminders(today=DUE - timedelta(days=7))
    assert "Xylophone board plans" in mailoutbox[0].body
    assert "Quokka" not in mailoutbox[0].body
    Membership.objects.filter(user=member, space=space).delete()
    send_reminders(today=DUE)
    assert "Xylophone" not in mailoutbox[1].body
    assert "Quokka" not in mailoutbox[1].body
    assert "“From the thread.”" in mailoutbox[1].body
    assert commitment.pk


def test_the_cron_command_sends_what_is_due_today(member, mailoutbox):
    _due_on(make_commitment(member), timezone.localdate())
    out = StringIO()
    call_command("send_commitment_reminders", stdout=out)
    assert "Sent 1 commitment reminder." in out.getvalue()
    call_command("send_commitment_reminders", stdout=out)
    assert len(mailoutbox) == 1


def test_a_failed_send_is_not_recorded_and_the_others_still_go(
    member, other_member, monkeypatch, mailoutbox
):
    from threads.commitments import reminders

    failing = _due_on(make_commitment(member), DUE)
    working = _due_on(make_commitment(other_member), DUE)
    real = reminders.send_mail

    def flaky(subject, body, sender, to):
        if to == [member.email]:
            raise ConnectionError("SMTP refused")
        return real(subject, body, sender, to)

    monkeypatch.setattr(reminders, "send_mail", flaky)
    assert send_reminders(today=DUE) == 1
    assert not CommitmentReminder.objects.filter(commitment=failing).exists()
    assert CommitmentReminder.objects.filter(commitment=working).exists()
    monkeypatch.setattr(reminders, "send_mail", real)
    assert send_reminders(today=DUE) == 1
    assert len(mailoutbox) == 2
