"""What breakout rooms keep and for how long: not in the transcript; deleted with the
transcript's retention (``purge_expired``), at the end when the session keeps no transcript, and
blanked by an erasure that removes the member's words; the member's own in their export.
Reads on (re)connect take a fixed number of queries whatever the numbers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from realtime import breakouts, services
from realtime.models import (
    BreakoutMember,
    BreakoutMessage,
    BreakoutRoom,
    BreakoutRound,
    LiveSession,
    Presence,
)

from ..conftest import make_member
from .conftest import make_session

pytestmark = pytest.mark.django_db

SECRET = "What I said about my manager in room one"


def here(session, *users) -> None:
    for user in users:
        Presence.objects.create(
            session=session, user=user, channel_name=f"c.{session.pk}.{user.pk}"
        )


def fresh(session) -> LiveSession:
    return LiveSession.objects.get(pk=session.pk)


def rooms_with_words(session, facilitator, *members) -> BreakoutRound:
    here(session, *members)
    round_, _ = breakouts.open_breakouts(
        actor=facilitator,
        session=session,
        rooms=[[m.pk] for m in members],
        duration_minutes=5,
        client_msg_id="r",
    )
    for n, member in enumerate(members):
        breakouts.send_message(
            actor=member, session=session, body=f"{SECRET} ({n})", client_msg_id=f"m{n}"
        )
    return round_


def test_breakout_words_are_not_in_the_transcript(login, space, facilitator, member, other_member):
    session = make_session(space, facilitator)
    rooms_with_words(session, facilitator, member, other_member)
    services.send_live_message(
        actor=member, session=session, body="In the main room", client_msg_id="main"
    )
    services.end_session(actor=facilitator, session=session)
    page = login(member).get(reverse("live_transcript", args=[session.pk])).content.decode()
    assert "In the main room" in page and SECRET not in page
    assert BreakoutRound.objects.get().closed_at is not None


def test_retention_0_deletes_breakout_words_at_the_end(space, facilitator, member, other_member):
    session = make_session(space, facilitator, retention_days=0)
    rooms_with_words(session, facilitator, member, other_member)
    assert BreakoutMessage.objects.count() == 2
    services.end_session(actor=facilitator, session=session)
    assert not BreakoutMessage.objects.exists()


def test_purge_expired_deletes_every_breakout_row_when_retention_ends(
    space, facilitator, member, other_member
):
    session = make_session(space, facilitator, retention_days=30)
    kept = make_session(space, facilitator, retention_days=30)
    rooms_with_words(session, facilitator, member, other_member)
    rooms_with_words(kept, facilitator, make_member(space), make_member(space))
    for s in (session, kept):
        services.end_session(actor=facilitator, session=s)
    LiveSession.objects.filter(pk=session.pk).update(ended_at=timezone.now() - timedelta(days=31))
    assert services.purge_expired() == 1
    for model in (BreakoutRound, BreakoutRoom, BreakoutMember, BreakoutMessage):
        assert not model.objects.filter(
            **{
                {
                    BreakoutRound: "session",
                    BreakoutRoom: "round__session",
                    BreakoutMember: "round__session",
                    BreakoutMessage: "room__round__session",
                }[model]: session
            }
        ).exists()
    assert BreakoutMessage.objects.filter(room__round__session=kept).count() == 2
    assert services.purge_expired() == 0


def test_erasure_removing_words_blanks_their_breakout_messages_only(
    space, facilitator, member, other_member
):
    session = make_session(space, facilitator)
    rooms_with_words(session, facilitator, member, other_member)
    services.erase_author_messages(user=member, remove_text=True)
    mine = BreakoutMessage.objects.get(author=member)
    assert mine.removed and mine.body == "" and mine.body_html == ""
    frame = breakouts.message_frame(mine)
    assert frame["body_html"] == "" and frame["author"] is None and frame["removed"]
    assert BreakoutMessage.objects.get(author=other_member).body.startswith(SECRET)
    # Without removal they stay (under the erased account's "Former member").
    services.erase_author_messages(user=other_member, remove_text=False)
    assert BreakoutMessage.objects.get(author=other_member).body.startswith(SECRET)


def test_export_holds_the_members_own_breakout_messages_not_others(
    login, space, facilitator, member, other_member
):
    session = make_session(space, facilitator)
    rooms_with_words(session, facilitator, member, other_member)
    data = json.loads(login(member).get(reverse("account_export")).content)
    rows = data["live_breakout_messages"]
    assert [r["body"] for r in rows] == [f"{SECRET} (0)"] and rows[0]["room"] == "Room 1"
    assert f"{SECRET} (1)" not in json.dumps(data)


@pytest.mark.parametrize("n", [2, 12])
def test_reconnect_reads_take_fixed_queries(space, facilitator, django_assert_max_num_queries, n):
    session = make_session(space, facilitator)
    members = [make_member(space) for _ in range(n)]
    rooms_with_words(session, facilitator, *members)
    read = fresh(session)
    with django_assert_max_num_queries(5):
        state = breakouts.hello_state(members[0], read, visitor=False)
    assert state["room"] is not None
    late = make_member(space)
    with django_assert_max_num_queries(2):
        assert breakouts.hello_state(late, read, visitor=False)["room"] is None
    with django_assert_max_num_queries(4):
        frame = breakouts.rooms_frame(session.pk)
    assert len(frame["rooms"]) == n
    breakouts.close_breakouts(actor=facilitator, session=session)
    read = fresh(session)
    assert not read.breakouts_open
    with django_assert_max_num_queries(0):
        assert breakouts.hello_state(members[0], read, visitor=False)["frames"] == []


def test_open_takes_queries_by_room_not_by_member(
    space, facilitator, django_assert_max_num_queries
):
    session = make_session(space, facilitator)
    members = [make_member(space) for _ in range(12)]
    here(session, *members)
    # Two rooms whatever the number of members: a fixed cost plus a few per room.
    with django_assert_max_num_queries(40):
        breakouts.open_breakouts(
            actor=facilitator, session=session, rooms=2, duration_minutes=5, client_msg_id="q"
        )
    assert BreakoutMember.objects.count() == 12
