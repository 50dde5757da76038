"""Live messages and questions need the current guidelines accepted, like posts: the service
refuses (community.policy.check_guidelines_accepted) and the room links the page to accept them."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from community.models import GuidelinesAcceptance, GuidelinesVersion
from community.policy import GuidelinesRequired
from community.rendering import render_markdown
from realtime import services
from realtime.models import LiveEvent

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def publish(space=None) -> GuidelinesVersion:
    """A new version of the community's (or ``space``'s) guidelines nobody has accepted yet."""
    versions = (
        GuidelinesVersion.objects.filter(space=space)
        if space
        else (GuidelinesVersion.objects.filter(space__isnull=True))
    )
    number = (versions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    body = f"Version {number}: be kind."
    return GuidelinesVersion.objects.create(
        space=space, version=number, body=body, body_html=render_markdown(body)
    )


@pytest.fixture(params=["community", "space"])
def new_guidelines(request, space):
    """(the version, the page that accepts it) for each kind of guidelines."""
    if request.param == "community":
        return publish(), reverse("community_guidelines")
    return publish(space), reverse("space_guidelines", args=[space.slug])


@pytest.mark.parametrize("command", ["message.send", "question.ask"])
async def test_new_guidelines_refuse_the_message_with_a_link_and_keep_the_connection(
    live_session, member, enter, new_guidelines, command
):
    version, page = await db(lambda: new_guidelines)()
    room = await enter(member, live_session)
    try:
        await room.send({"type": command, "body": "My draft", "client_msg_id": "g1"})
        error = await room.recv_type("error")
        assert error["code"] == "guidelines" and error["client_msg_id"] == "g1"
        assert "accept" in error["detail"] and "guidelines" in error["detail"]
        assert error["url"] == f"{page}?next={reverse('live_room', args=[live_session.pk])}"
        assert not await db(LiveEvent.objects.exists)()
        await room.send({"type": "ping"})
        assert (await room.recv_type("pong"))["type"] == "pong"
        # Once accepted, the same draft goes through.
        await db(GuidelinesAcceptance.objects.create)(user=member, version=version)
        await room.send({"type": command, "body": "My draft", "client_msg_id": "g1"})
        assert (await room.recv_type("ack"))["seq"] == 1
    finally:
        await room.close()


def test_the_service_raises_guidelines_required_for_scripts_too(live_session, member):
    version = publish(live_session.space)
    with pytest.raises(GuidelinesRequired) as refused:
        services.send_live_message(
            actor=member, session=live_session, body="From a script", client_msg_id="s1"
        )
    assert refused.value.version == version
    with pytest.raises(GuidelinesRequired):
        services.ask_question(actor=member, session=live_session, body="Why?", client_msg_id="s2")
    assert not LiveEvent.objects.exists()


def test_community_guidelines_are_asked_for_before_the_space_s(live_session, member):
    community = publish()
    publish(live_session.space)
    with pytest.raises(GuidelinesRequired) as refused:
        services.send_live_message(
            actor=member, session=live_session, body="Hello", client_msg_id="s1"
        )
    assert refused.value.version == community
