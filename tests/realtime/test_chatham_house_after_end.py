"""After a Chatham House session ends, nothing names who said what (SPEC.md "Live sessions"):
not the room page, not a replay, not the transcript, not search, for anyone (members,
facilitators, moderators, staff). A moderator reaches the author of a flagged message through
the review queue only, by asking, and the audit log records it. Retention 0: gone at the end."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied

from community.models import AuditEntry
from moderation import services as moderation_services
from realtime import services
from realtime.models import LiveEvent, LiveSession

from .conftest import make_session

db = database_sync_to_async

ROLES = ["member", "facilitator", "moderator", "staff"]
NAMES = ["Mel Member", "Olu Other"]


def speak(session, member, other_member):
    """A named message, an anonymous question and a named question; a flag on the first."""
    said, _ = services.send_live_message(
        actor=member, session=session, body="What we learnt about rotas", client_msg_id="a"
    )
    services.ask_question(
        actor=other_member, session=session, body="Who decides?", client_msg_id="b", anonymous=True
    )
    services.ask_question(actor=other_member, session=session, body="And then?", client_msg_id="c")
    moderation_services.flag_item(actor=other_member, target=said, reason="confidentiality")
    return said


@pytest.fixture
def ended(live_session, member, other_member, facilitator):
    said = speak(live_session, member, other_member)
    services.end_session(actor=facilitator, session=live_session)
    live_session.refresh_from_db()
    return live_session, said


def stream_of(html: str) -> str:
    return html.split('id="live-stream"')[1].split("</ol>")[0]


# -- the room page ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_the_room_page_of_an_ended_chatham_house_session_names_no_one(request, login, ended, who):
    session, _ = ended
    html = login(request.getfixturevalue(who)).get(f"/live/{session.pk}/").content.decode()
    stream = stream_of(html)
    assert "What we learnt about rotas" in stream and "And then?" in stream
    assert "data-author-id" not in html
    for name in NAMES:
        assert name not in stream
    assert 'data-chatham-house="true"' in html


@pytest.mark.django_db
def test_while_it_runs_names_are_shown(login, live_session, member, other_member):
    speak(live_session, member, other_member)
    html = login(member).get(f"/live/{live_session.pk}/").content.decode()
    assert "Mel Member" in stream_of(html) and "data-author-id" in html


@pytest.mark.django_db
def test_an_ended_session_without_chatham_house_keeps_its_names(
    login, space, member, other_member, facilitator
):
    session = make_session(space, facilitator, chatham_house=False)
    speak(session, member, other_member)
    services.end_session(actor=facilitator, session=session)
    html = login(member).get(f"/live/{session.pk}/").content.decode()
    assert "Mel Member" in stream_of(html) and "data-author-id" in html


# -- the replay ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["member", "facilitator", "moderator"])
async def test_a_replay_after_the_end_names_no_one_and_reveals_nothing(request, ended, enter, who):
    session, _ = ended
    user = await db(request.getfixturevalue)(who)
    room = await enter(user, session)
    try:
        frames = [f for f in await room.hello() if f["type"] in ("message", "question")]
        assert len(frames) == 3
        assert all(frame["author"] is None for frame in frames)
        # No moderators-only "author" frame either.
        while not await room.comm.receive_nothing(0.3):
            extra = await room.recv()
            assert extra["type"] != "author", extra
    finally:
        await room.close()


@pytest.mark.django_db(transaction=True)
async def test_a_moderator_s_replay_still_reveals_anonymous_authors_while_it_runs(
    live_session, member, other_member, moderator, enter
):
    await db(speak)(live_session, member, other_member)
    room = await enter(moderator, live_session)
    try:
        reveal = await room.recv_type("author")
        assert reveal["author"]["display_name"] == "Olu Other"
    finally:
        await room.close()


# -- the transcript and search ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["member", "moderator", "facilitator"])
def test_the_transcript_names_no_one(request, login, ended, who):
    session, _ = ended
    html = login(request.getfixturevalue(who)).get(f"/live/{session.pk}/transcript/")
    main = html.content.decode().split('id="maincontent"')[1]
    assert "What we learnt about rotas" in main
    for name in NAMES:
        assert name not in main


@pytest.mark.django_db
def test_search_does_not_carry_live_messages(login, ended, moderator):
    html = login(moderator).get("/search/", {"q": "rotas"}).content.decode()
    assert "What we learnt about rotas" not in html
    for name in NAMES:
        assert name not in html


# -- the review queue: the one way to a flagged message's author, audited -----------------------


def reveals():
    return AuditEntry.objects.filter(action="live.author.reveal")


@pytest.mark.django_db
def test_the_queue_card_withholds_the_author_and_listing_it_records_nothing(
    login, ended, moderator
):
    session, said = ended
    html = login(moderator).get("/moderation/").content.decode()
    card = html.split(f"Live message in {session.title}")[1].split('class="nhsuk-card"')[0]
    assert "What we learnt about rotas" in card
    assert "Mel Member" not in card
    assert "Show who wrote this" in card
    assert f"/moderation/live_message/{said.pk}/reveal/" in card
    assert not reveals().exists()


@pytest.mark.django_db
def test_showing_who_wrote_it_is_a_post_that_the_audit_log_records(login, ended, moderator):
    _, said = ended
    client = login(moderator)
    url = f"/moderation/live_message/{said.pk}/reveal/"
    client.get(url)  # the confirmation page records nothing
    assert not reveals().exists()
    response = client.post(url, {"next": "/moderation/"})
    assert response.status_code == 302
    entry = reveals().get()
    assert entry.actor == moderator and entry.target_id == said.pk
    assert entry.get_action_display() == "Revealed a live message's author"
    assert "Mel Member" not in entry.target_label
    card = client.get("/moderation/").content.decode()
    assert re.search(r"By\s+Mel Member", card)
    assert "Show who wrote this" not in card


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["member", "facilitator", "other_moderator"])
def test_only_the_space_s_moderators_may_ask(request, login, ended, who):
    _, said = ended
    response = login(request.getfixturevalue(who)).post(
        f"/moderation/live_message/{said.pk}/reveal/"
    )
    assert response.status_code in (403, 404)
    assert not reveals().exists()


@pytest.mark.django_db
def test_a_message_without_an_open_flag_has_no_author_to_show(login, ended, moderator):
    session, _ = ended
    other = LiveEvent.objects.get(session=session, client_msg_id="c")
    with pytest.raises(PermissionDenied) as refused:
        services.reveal_author(actor=moderator, event=other)
    assert "waiting for review" in str(refused.value)
    assert not reveals().exists()


@pytest.mark.django_db
def test_while_it_runs_the_card_names_the_author_with_nothing_to_ask(
    login, live_session, member, other_member, moderator
):
    said = speak(live_session, member, other_member)
    html = login(moderator).get("/moderation/").content.decode()
    assert re.search(r"By\s+Mel Member", html) and "Show who wrote this" not in html
    assert services.reveal_author(actor=moderator, event=said) is False
    assert not reveals().exists()


# -- retention 0 ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_retention_0_what_was_said_is_gone_when_the_session_ends(
    login, space, member, other_member, facilitator
):
    session = make_session(space, facilitator, retention_days=0)
    speak(session, member, other_member)
    services.end_session(actor=facilitator, session=session)
    session.refresh_from_db()
    assert session.status == LiveSession.Status.ENDED and session.transcript_purged_at
    assert not LiveEvent.objects.filter(session=session, kind__in=["message", "question"]).exists()
    # The end itself is still a stored event, so clients resume from their last seq.
    assert list(LiveEvent.objects.filter(session=session).values_list("kind", flat=True)) == [
        "state"
    ]
    html = login(member).get(f"/live/{session.pk}/").content.decode()
    assert "What we learnt" not in html
    transcript = login(member).get(f"/live/{session.pk}/transcript/").content.decode()
    assert "not kept" in transcript and "What we learnt" not in transcript


@pytest.mark.django_db
def test_with_retention_kept_the_transcript_stays_until_purged(ended):
    session, _ = ended
    assert session.transcript_purged_at is None
    assert LiveEvent.objects.filter(session=session, kind="message").exists()
