"""Every email the forum sends has a text and an HTML part in the house design, names the forum,
and links only to SITE_URL (never the host the request came in on, never a default)."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from community.models import Membership, User
from realtime import services as live_services
from realtime.models import LiveSession
from threads.commitments.models import Commitment
from threads.commitments.reminders import send_reminders as send_commitment_reminders
from threads.services import create_reply, create_thread

pytestmark = pytest.mark.django_db

SITE = "https://forum.test.nhs.uk"
# What a request's host or an unset SITE_URL would put in a link.
REQUEST_HOST = "127.0.0.1:8110"
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    # allauth's rate limits count in the cache: leave none of these sends counted for others.
    cache.clear()
    yield
    cache.clear()


def assert_branded(message) -> tuple[str, str]:
    """The message's text and HTML, after checking both are there and in the house style."""
    html = [body for body, kind in message.alternatives if kind == "text/html"]
    assert len(html) == 1, f"{message.subject!r} has no HTML part"
    text, html = message.body, html[0]
    for part in (text, html):
        assert "Race Equality Peer Forum" in part
        assert REQUEST_HOST not in part and "127.0.0.1" not in part and "testserver" not in part
        assert "example.com" not in part and "localhost" not in part
        links = URL.findall(part)
        assert links, f"{message.subject!r} carries no link"
        assert all(link.startswith(SITE + "/") for link in links), links
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "background-color: #005eb8" in html  # the NHS blue header
    # Nothing loaded from elsewhere: no images, style sheets, fonts or scripts.
    assert not re.search(r"<img|<link|<script|@import|url\(", html, re.IGNORECASE)
    assert 'href="' + SITE + "/" in html
    return text, html


def _signup(client, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "display_name": "Ngozi Example",
            "password1": "a-long-and-unusual-passphrase-42",
            "password2": "a-long-and-unusual-passphrase-42",
            "invitation": "",
        },
        HTTP_HOST=REQUEST_HOST,
    )


def test_verification_email_is_branded_and_links_to_site_url(client):
    response = _signup(client, "mail.test@nhs.net")
    assert response.status_code == 302
    [message] = mail.outbox
    text, html = assert_branded(message)
    assert message.subject == "[Race Equality Peer Forum] Confirm your email address"
    assert "Hello from" not in text
    link = re.search(r"https://\S+/accounts/confirm-email/\S+/", text).group(0)
    assert link.startswith(SITE + "/accounts/confirm-email/")
    assert f'href="{link}"' in html
    # The link works on the forum.
    path = link.removeprefix(SITE)
    assert client.get(path).status_code == 200


def test_password_reset_email_is_branded_and_links_to_site_url(client, member):
    response = client.post(
        reverse("account_reset_password"), {"email": member.email}, HTTP_HOST=REQUEST_HOST
    )
    assert response.status_code == 302
    [message] = mail.outbox
    text, html = assert_branded(message)
    assert message.subject == "[Race Equality Peer Forum] Reset your password"
    link = re.search(r"https://\S+/accounts/password/reset/key/\S+/", text).group(0)
    assert f'href="{link}"' in html
    assert client.get(link.removeprefix(SITE)).status_code in (200, 302)


def test_password_reset_for_an_unknown_address_is_branded_too(client):
    client.post(
        reverse("account_reset_password"), {"email": "nobody@nhs.net"}, HTTP_HOST=REQUEST_HOST
    )
    [message] = mail.outbox
    text, _ = assert_branded(message)
    assert SITE + "/accounts/signup/" in text


def test_signing_up_again_with_a_known_address_sends_a_branded_email(client, member):
    _signup(client, member.email)
    [message] = mail.outbox
    text, _ = assert_branded(message)
    assert SITE + "/accounts/password/reset/" in text


def test_account_deletion_email_is_branded_with_the_local_date(member):
    client = _signed_in_with_password(member)
    response = client.post(reverse("account_delete"), {"confirm": "on"}, HTTP_HOST=REQUEST_HOST)
    assert response.status_code == 302
    [message] = [m for m in mail.outbox if "deleted" in m.subject]
    text, _ = assert_branded(message)
    assert SITE + "/account/" in text


def _signed_in_with_password(user: User):
    from django.test import Client

    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": "pw-for-tests-123"})
    client.post(reverse("account_reauthenticate"), {"password": "pw-for-tests-123"})
    mail.outbox.clear()
    return client


def test_digest_is_branded_and_links_to_site_url(thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="A reply about mentoring")
    call_command("send_digests")
    [message] = mail.outbox
    text, html = assert_branded(message)
    assert SITE + thread.get_absolute_url() in text
    assert SITE + thread.get_absolute_url() in html


def test_no_email_carries_a_post_from_a_space_the_recipient_can_no_longer_see(
    thread, member, facilitator
):
    create_reply(actor=facilitator, thread=thread, body="Quokka private words")
    Membership.objects.filter(user=member, space=thread.space).update(status="left")
    call_command("send_digests")
    for message in mail.outbox:
        parts = [message.body, *(body for body, _ in message.alternatives)]
        assert not any("Quokka" in part for part in parts)
        assert not any(thread.title in part for part in parts)


def test_digest_never_carries_the_body_of_a_post_under_a_content_note(space, member, facilitator):
    from threads.services import follow_thread

    noted = create_thread(
        actor=facilitator,
        space=space,
        title="A hard week",
        body="Quokka details of what happened",
        content_note="Racist abuse",
    )
    follow_thread(actor=member, thread=noted)
    create_reply(actor=facilitator, thread=noted, body="Quokka more details")
    call_command("send_digests")
    [message] = mail.outbox
    assert "Racist abuse" in message.body
    for part in [message.body, *(body for body, _ in message.alternatives)]:
        assert "Quokka" not in part


def test_live_reminder_is_branded_and_links_to_site_url(member, space, facilitator):
    now = timezone.now()
    session = LiveSession.objects.create(
        space=space,
        title="Reverse mentoring Q&A",
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=3),
        status=LiveSession.Status.SCHEDULED,
    )
    session.facilitators.add(facilitator)
    live_services.register(actor=member, session=session)
    call_command("send_live_reminders")
    [message] = mail.outbox
    text, html = assert_branded(message)
    assert SITE + f"/live/{session.pk}/" in text
    assert f'href="{SITE}/live/{session.pk}/"' in html


def test_commitment_reminder_is_branded_and_links_to_site_url(member):
    from threads.commitments import services as commitment_services

    due = timezone.localdate() + timedelta(days=30)
    commitment = commitment_services.create_commitment(
        actor=member, text="Ask our network chair what to change.", due_on=due, area="allyship"
    )
    Commitment.objects.filter(pk=commitment.pk).update(due_on=date.today())
    assert send_commitment_reminders(today=date.today()) == 1
    [message] = mail.outbox
    text, _ = assert_branded(message)
    assert SITE + commitment.get_absolute_url() in text


def test_make_run_points_email_links_at_the_port_it_serves(settings):
    result = subprocess.run(
        ["make", "-n", "run", "HOST=127.0.0.1", "PORT=8123"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8123}" in result.stdout
