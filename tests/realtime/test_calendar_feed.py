"""/live/feed.ics?token=…: a member's calendar feed, token-only, visibility at each request."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from community.site.account_data import erase_account
from realtime.feeds import feed_for
from realtime.models import CalendarFeed, LiveSession, Registration

from .conftest import make_session

pytestmark = pytest.mark.django_db


def _feed(token: str):
    return Client().get("/live/feed.ics", {"token": token})


def test_feed_lists_upcoming_sessions_of_the_members_spaces_without_a_session_cookie(
    space, other_space, member, facilitator
):
    here = make_session(space, facilitator, title="Here, soon", status=LiveSession.Status.SCHEDULED)
    make_session(other_space, title="Not my space")
    make_session(space, title="Already over", status=LiveSession.Status.ENDED)
    Registration.objects.create(session=here, user=member)
    response = _feed(feed_for(member).token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "SUMMARY:Here\\, soon" in body
    assert "You are registered." in body.replace("\r\n ", "")
    assert "Not my space" not in body and "Already over" not in body
    assert re.search(r"DTSTART:\d{8}T\d{6}Z", body)


def test_session_of_a_space_the_member_left_disappears(space, member, facilitator):
    make_session(space, facilitator, title="Soon gone", status=LiveSession.Status.SCHEDULED)
    token = feed_for(member).token
    assert "Soon gone" in _feed(token).content.decode()
    member.memberships.all().delete()
    assert "Soon gone" not in _feed(token).content.decode()


def test_reset_token_makes_the_old_address_404(login, member):
    old = feed_for(member).token
    response = login(member).post("/live/feed/reset/", {"next": "/live/"})
    assert response.status_code == 302 and response.url == "/live/"
    assert _feed(old).status_code == 404
    assert _feed(CalendarFeed.objects.get(user=member).token).status_code == 200


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 500])
def test_unknown_missing_or_silly_tokens_get_404(token, member):
    feed_for(member)
    assert _feed(token).status_code == 404


def test_a_signed_in_session_is_no_substitute_for_the_token(login, member):
    feed_for(member)
    assert login(member).get("/live/feed.ics").status_code == 404


def test_erased_or_deactivated_member_feed_is_404(member):
    token = feed_for(member).token
    member.is_active = False
    member.save()
    assert _feed(token).status_code == 404
    member.is_active = True
    member.save()
    erase_account(member)
    assert _feed(token).status_code == 404
    assert not CalendarFeed.objects.filter(user=member).exists()


def test_profile_and_live_page_show_the_members_own_feed_address(login, member, other_member):
    client = login(member)
    page = client.get(f"/members/{member.pk}/").content.decode()
    token = CalendarFeed.objects.get(user=member).token
    assert f"/live/feed.ics?token={token}" in page
    assert token in client.get("/live/").content.decode()
    # Another member's profile shows nothing of it.
    other = login(other_member).get(f"/members/{member.pk}/").content.decode()
    assert token not in other


def test_reset_needs_post_and_a_sign_in(login, member):
    assert login(member).get("/live/feed/reset/").status_code == 405
    assert Client().post("/live/feed/reset/").status_code == 302  # to sign in


def test_calendar_links_and_uids_are_on_site_url_not_the_requests_host(
    settings, login, space, member, facilitator
):
    """Calendar files outlive the request: like email, they link to SITE_URL whatever host the
    request named (a proxy's, a port the demo ran on once)."""
    settings.SITE_URL = "https://forum.example.nhs.uk"
    settings.ALLOWED_HOSTS = ["*"]
    session = make_session(space, facilitator, status=LiveSession.Status.SCHEDULED)
    for body in (
        _feed(feed_for(member).token).content.decode(),
        login(member)
        .get(f"/live/{session.pk}/calendar.ics", HTTP_HOST="127.0.0.1:8110")
        .content.decode(),
    ):
        unfolded = body.replace("\r\n ", "")
        assert f"URL:https://forum.example.nhs.uk/live/{session.pk}/" in unfolded
        assert f"UID:live-session-{session.pk}@forum.example.nhs.uk" in unfolded
        assert "127.0.0.1" not in unfolded and "testserver" not in unfolded
