"""MFA for roles with power holds on the WebSocket too: one rule
(``community.policy.mfa_setup_required``) for every page and every socket connect."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from channels.db import database_sync_to_async
from django.urls import reverse

from community import policy
from tests.conftest import make_member

from .conftest import open_room

db = database_sync_to_async


def give_authenticator(user) -> None:
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED_FOR_ROLES = True


# -- the rule ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "required"),
    [
        ("member", False),
        ("outsider", False),
        ("moderator", True),
        ("facilitator", True),
        ("staff", True),
    ],
)
def test_mfa_is_required_of_those_who_hold_power_and_have_no_authenticator(
    request, mfa_on, who, required
):
    user = request.getfixturevalue(who)
    assert policy.mfa_setup_required(user) is required
    give_authenticator(user)
    assert policy.mfa_setup_required(user) is False


@pytest.mark.django_db
def test_mfa_is_not_required_when_the_setting_is_off(moderator, settings):
    settings.MFA_REQUIRED_FOR_ROLES = False
    assert policy.mfa_setup_required(moderator) is False


@pytest.mark.django_db
def test_a_banned_former_moderator_holds_no_power(space, mfa_on):
    user = make_member(space, "Bo Banned", is_moderator=True, status="banned")
    assert policy.mfa_setup_required(user) is False


@pytest.mark.django_db
def test_the_pages_still_send_a_moderator_to_set_up_mfa(login, mfa_on, moderator, member):
    response = login(moderator).get(reverse("space_list"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    assert login(member).get(reverse("space_list")).status_code == 200
    give_authenticator(moderator)
    assert login(moderator).get(reverse("space_list")).status_code == 200


# -- the sockets ------------------------------------------------------------------------------


async def refused_for_mfa(room) -> None:
    frame = await room.recv()
    assert frame == {
        "type": "error",
        "code": "mfa_required",
        "detail": policy.MFA_REQUIRED_DETAIL,
        "url": reverse("mfa_activate_totp"),
        "client_msg_id": None,
    }
    closed = await room.comm.receive_output(2)
    assert closed["type"] == "websocket.close" and closed["code"] == 4403


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["moderator", "facilitator", "staff"])
async def test_a_role_without_mfa_is_refused_at_the_live_room(request, mfa_on, live_session, who):
    user = await db(request.getfixturevalue)(who)
    room, connected, _ = await open_room(user, live_session.pk)
    assert connected
    await refused_for_mfa(room)


@pytest.mark.django_db(transaction=True)
async def test_a_moderator_with_an_authenticator_is_let_into_the_live_room(
    mfa_on, live_session, moderator
):
    await db(give_authenticator)(moderator)
    room, connected, _ = await open_room(moderator, live_session.pk)
    assert connected
    await room.hello()
    assert room.welcome["you"]["id"] == moderator.pk
    await room.close()


@pytest.mark.django_db(transaction=True)
async def test_a_member_needs_no_mfa_for_the_live_room(mfa_on, live_session, member):
    room, connected, _ = await open_room(member, live_session.pk)
    assert connected
    await room.hello()
    await room.close()


@pytest.mark.django_db(transaction=True)
async def test_a_moderator_without_mfa_is_refused_at_the_thread_page(mfa_on, moderator, thread):
    room, connected, _ = await open_room(moderator, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected
    await refused_for_mfa(room)
    await db(give_authenticator)(moderator)
    again, connected, _ = await open_room(moderator, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected and await again.silent()
    await again.close()


@pytest.mark.django_db(transaction=True)
async def test_with_the_setting_off_a_moderator_without_mfa_is_let_in(live_session, moderator):
    room, connected, _ = await open_room(moderator, live_session.pk)
    assert connected
    await room.hello()
    await room.close()
