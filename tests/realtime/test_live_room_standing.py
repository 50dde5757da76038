"""The room page (``/live/<id>/``) says what a member may not do there, and until when, before
any JavaScript runs: a mute in the composer; a suspension or a removal from the session instead of
the conversation."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async

from realtime import services

from .conftest import open_room

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


# -- suspended, or removed from the session: the header and why, nothing said, no composer -----


@pytest.fixture
def removed_participant(live_session, member, other_member, facilitator):
    """Mel, removed by the facilitator after a first exchange; the room talks on without her."""
    services.send_live_message(
        actor=other_member, session=live_session, body="Said before", client_msg_id="a"
    )
    services.remove_participant(
        actor=facilitator, session=live_session, user_id=member.pk, reason="Breach of trust"
    )
    services.send_live_message(
        actor=other_member, session=live_session, body="Said after", client_msg_id="b"
    )
    return member


def assert_no_room(html: str) -> None:
    for said in ("Said before", "Said after"):
        assert said not in html
    for part in ('id="live-stream"', 'id="live-composer"', 'id="live-body"', "realtime/live.js"):
        assert part not in html, part
    assert 'id="live-present"' not in html and "Olu Other" not in html


def test_a_removed_participant_reloading_sees_the_header_and_why_and_nothing_said(
    login, removed_participant, live_session
):
    html = room_html(login, removed_participant, live_session)
    assert f"<h1>{live_session.title}</h1>" in html
    assert "You cannot take part in this session" in html
    assert "A facilitator removed you from this session: Breach of trust" in html
    assert_no_room(html)


def test_a_removed_participant_gets_no_transcript_either(
    login, removed_participant, live_session, facilitator
):
    services.end_session(actor=facilitator, session=live_session)
    html = room_html(login, removed_participant, live_session)
    assert "/transcript/" not in html
    response = login(removed_participant).get(f"/live/{live_session.pk}/transcript/")
    assert response.status_code == 403
    assert "Said before" not in response.content.decode()


def test_a_suspended_member_sees_why_and_until_when_and_nothing_said(
    login, suspended_member, member, live_session
):
    services.send_live_message(
        actor=member, session=live_session, body="Said before", client_msg_id="a"
    )
    html = room_html(login, suspended_member, live_session)
    assert f"<h1>{live_session.title}</h1>" in html
    assert "Your account is suspended until" in html and "Breach of confidentiality" in html
    assert re.search(r'You can take part again from <time datetime="\d{4}-', html)
    assert "Said before" not in html and "Mel Member" not in html
    assert_no_room(html)


def test_a_banned_member_still_gets_404(login, banned_member, live_session):
    """SPEC.md principle 1: a member banned from a space sees nothing inside it, so not this
    session's title either (the socket tells them 4403 and why: test_live_socket_standing)."""
    response = login(banned_member).get(f"/live/{live_session.pk}/")
    assert response.status_code == 404
    assert live_session.title not in response.content.decode()


# -- the socket says the same at connect ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("who", "says"),
    [
        ("suspended_member", "Your account is suspended until"),
        ("banned_member", "You have been banned from"),
        ("removed_participant", "A facilitator removed you from this session: Breach of trust"),
        ("pending_member", "Only active members of"),
    ],
)
async def test_a_refused_connect_says_why_before_closing_4403(request, live_session, who, says):
    user = await database_sync_to_async(request.getfixturevalue)(who)
    room, connected, _ = await open_room(user, live_session.pk)
    assert connected
    frame = await room.recv()
    assert frame["type"] == "error" and frame["code"] == "forbidden"
    assert frame["detail"].startswith(says)
    if who == "suspended_member":
        assert frame["until"]
    assert (await room.comm.receive_output(2))["code"] == 4403
