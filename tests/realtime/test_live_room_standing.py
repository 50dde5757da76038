"""The room page (``/live/<id>/``) says what a member may not do there, and until when, before
any JavaScript runs: a mute in the composer; a suspension or a removal from the session instead of
the conversation."""

from __future__ import annotations

import re

import pytest

from realtime import services

pytestmark = pytest.mark.django_db


def room_html(login, user, session) -> str:
    response = login(user).get(f"/live/{session.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_muted_member_s_composer_says_until_when_and_send_is_disabled(
    login, muted_member, live_session
):
    html = room_html(login, muted_member, live_session)
    assert re.search(r'id="live-muted" role="status">', html)
    assert "Muted until" in html and "Cooling off" in html
    assert re.search(r'data-muted-until="\d{4}-\d\d-\d\dT', html)
    assert re.search(r'<button class="nhsuk-button" type="submit" id="live-send" disabled>', html)


def test_a_member_who_is_not_muted_has_a_working_composer(login, member, live_session):
    services.send_live_message(actor=member, session=live_session, body="Hi", client_msg_id="a")
    html = room_html(login, member, live_session)
    assert 'data-muted-until=""' in html and "Muted until" not in html
    assert re.search(r'id="live-send">Send', html)
