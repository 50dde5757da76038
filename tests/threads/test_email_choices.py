"""Email choices per space and per thread (straight away, daily, weekly, never) over the
member's usual one, honoured by the notification emails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from community.site.account_data import build_export, erase_account
from threads.digests import send_digests
from threads.models import EmailChoice, Notification
from threads.services import create_reply

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def _send(now=None) -> int:
    return send_digests(base_url="https://forum.example", now=now)[1]


def test_usual_choice_straight_away_emails_at_the_next_run(thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="A reply")
    assert _send() == 1
    assert mail.outbox[0].to == [member.email]


def test_thread_choice_never_stops_email_for_that_thread_only(
    login, thread, space, member, facilitator
):
    client = login(member)
    response = client.post(thread_url(thread, "email/"), {"frequency": "never"}, follow=True)
    assert "Emails about" in response.content.decode()
    create_reply(actor=facilitator, thread=thread, body="Quiet reply")
    assert _send() == 0
    # Settled: never sent later either, and the in-app notification stays unread.
    assert _send(timezone.now() + timedelta(days=30)) == 0
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 1


def test_daily_space_choice_waits_a_day_then_sends_everything_at_once(
    login, thread, space, member, facilitator
):
    login(member).post(f"/spaces/{space.slug}/threads/email/", {"frequency": "daily"})
    create_reply(actor=facilitator, thread=thread, body="First")
    create_reply(actor=facilitator, thread=thread, body="Second")
    assert _send() == 0
    assert _send(timezone.now() + timedelta(hours=25)) == 2
    assert len(mail.outbox) == 1


def test_weekly_waits_a_week(login, thread, space, member, facilitator):
    login(member).post(f"/spaces/{space.slug}/threads/email/", {"frequency": "weekly"})
    create_reply(actor=facilitator, thread=thread, body="Later")
    assert _send(timezone.now() + timedelta(days=3)) == 0
    assert _send(timezone.now() + timedelta(days=8)) == 1


def test_thread_choice_wins_over_space_choice(login, thread, space, member, facilitator):
    client = login(member)
    client.post(f"/spaces/{space.slug}/threads/email/", {"frequency": "never"})
    client.post(thread_url(thread, "email/"), {"frequency": "immediately"})
    create_reply(actor=facilitator, thread=thread, body="This one matters")
    assert _send() == 1


def test_usual_choice_is_set_on_the_profile(login, thread, member, facilitator):
    response = login(member).post(
        "/account/profile/", {"display_name": member.display_name, "email_frequency": "weekly"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email_frequency == "weekly"
    create_reply(actor=facilitator, thread=thread, body="Waits")
    assert _send() == 0


def test_choosing_usual_removes_the_choice(login, thread, member):
    client = login(member)
    client.post(thread_url(thread, "email/"), {"frequency": "daily"})
    client.post(thread_url(thread, "email/"), {"frequency": ""})
    assert not EmailChoice.objects.exists()


def test_bad_frequency_is_refused_and_nothing_changes(login, thread, member):
    client = login(member)
    client.post(thread_url(thread, "email/"), {"frequency": "daily"})
    response = client.post(thread_url(thread, "email/"), {"frequency": "hourly"}, follow=True)
    assert "Choose how often" in response.content.decode()
    assert EmailChoice.objects.get().frequency == "daily"


def test_outsider_cannot_set_choices_for_a_private_thread_or_space(login, thread, space, outsider):
    client = login(outsider)
    assert client.post(thread_url(thread, "email/"), {"frequency": "daily"}).status_code == 404
    response = client.post(f"/spaces/{space.slug}/threads/email/", {"frequency": "daily"})
    assert response.status_code == 404
    assert not EmailChoice.objects.exists()


def test_member_who_left_gets_no_email_whatever_the_choice(
    login, thread, space, member, facilitator
):
    login(member).post(thread_url(thread, "email/"), {"frequency": "immediately"})
    create_reply(actor=facilitator, thread=thread, body="After they left")
    member.memberships.all().delete()
    assert _send() == 0


def test_choices_are_exported_and_erased(login, thread, member):
    login(member).post(thread_url(thread, "email/"), {"frequency": "weekly"})
    data = build_export(member)
    assert data["profile"]["email_frequency"] == "immediately"
    assert data["profile"]["email_choices"][0]["frequency"] == "weekly"
    erase_account(member)
    assert not EmailChoice.objects.exists()


def test_pages_show_the_current_choice(login, thread, space, member):
    client = login(member)
    client.post(thread_url(thread, "email/"), {"frequency": "weekly"})
    page = client.get(thread_url(thread)).content.decode()
    assert '<option value="weekly" selected>' in page
    assert "Email me about this space" in client.get(space.get_absolute_url()).content.decode()


def test_a_mention_follows_the_thread_choice_too(login, thread, member, facilitator):
    login(facilitator).post(thread_url(thread, "email/"), {"frequency": "never"})
    create_reply(actor=member, thread=thread, body="@Femi Facilitator what do you think?")
    assert Notification.objects.filter(recipient=facilitator, kind="mention").count() == 1
    _send()
    assert not [m for m in mail.outbox if facilitator.email in m.to]
