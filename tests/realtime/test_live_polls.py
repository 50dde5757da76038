"""Polls in the live room (SPEC.md "Facilitation"): opened by facilitators, one anonymous vote
per member that can change until close, results to participants only from the fifth vote or
the close, stored with ``seq`` and replayed on reconnect, totals in the transcript."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from realtime import selectors, services
from realtime.models import LiveEvent, LiveSession, PollVote

from ..conftest import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
OPTIONS = ["Very safe", "Safe enough", "Not safe"]


def cid() -> str:
    return str(uuid.uuid4())


def open_poll(session, facilitator, options=OPTIONS) -> LiveEvent:
    poll, _ = services.open_poll(
        actor=facilitator,
        session=session,
        question="How safe does this room feel?",
        options=options,
        client_msg_id=cid(),
    )
    return poll


async def test_facilitator_opens_a_poll_everyone_gets_it_with_seq_only_facilitator_sees_results(
    live_session, facilitator, member, enter
):
    host = await enter(facilitator, live_session)
    guest = await enter(member, live_session)
    try:
        msg_id = cid()
        await host.send(
            {
                "type": "poll.open",
                "question": "How safe does this room feel?",
                "options": OPTIONS,
                "client_msg_id": msg_id,
            }
        )
        assert await host.recv_type("ack") == {"type": "ack", "client_msg_id": msg_id, "seq": 1}
        for room in (host, guest):
            frame = await room.recv_type("poll.open")
            assert frame["seq"] == 1 and frame["poll_id"] == 1
            assert frame["question"] == "How safe does this room feel?"
            assert frame["options"] == OPTIONS
        results = await host.recv_type("poll.results")
        assert results["counts"] == [0, 0, 0] and results["total"] == 0
        assert await guest.silent()
    finally:
        await host.close()
        await guest.close()


@pytest.mark.parametrize(
    ("options", "detail"),
    [
        (["Only one"], "A poll needs 2 to 6 options; this one has 1."),
        ([f"Option {n}" for n in range(7)], "A poll needs 2 to 6 options; this one has 7."),
        (["Same", "same"], "Two options are the same: make each one different."),
        ("not a list", "options must be a list of texts."),
    ],
)
async def test_poll_with_bad_options_is_refused_and_nothing_stored(
    live_session, facilitator, enter, options, detail
):
    host = await enter(facilitator, live_session)
    try:
        msg_id = cid()
        await host.send(
            {"type": "poll.open", "question": "Q?", "options": options, "client_msg_id": msg_id}
        )
        error = await host.recv_type("error")
        assert error["code"] == "invalid" and error["detail"] == detail
        assert error["client_msg_id"] == msg_id
        assert await db(LiveEvent.objects.filter(session=live_session).count)() == 0
    finally:
        await host.close()


async def test_empty_question_is_refused(live_session, facilitator, enter):
    host = await enter(facilitator, live_session)
    try:
        await host.send(
            {"type": "poll.open", "question": "  ", "options": OPTIONS, "client_msg_id": cid()}
        )
        error = await host.recv_type("error")
        assert error["detail"] == "Write the poll's question."
        assert await db(LiveEvent.objects.filter(session=live_session).count)() == 0
    finally:
        await host.close()


async def test_participant_cannot_open_or_close_a_poll(live_session, facilitator, member, enter):
    poll = await db(open_poll)(live_session, facilitator)
    guest = await enter(member, live_session)
    try:
        await guest.send(
            {"type": "poll.open", "question": "Mine?", "options": OPTIONS, "client_msg_id": cid()}
        )
        assert (await guest.recv_type("error"))["code"] == "forbidden"
        await guest.send({"type": "poll.close", "poll_id": poll.seq})
        assert (await guest.recv_type("error"))["code"] == "forbidden"
        assert await db(LiveEvent.objects.filter(session=live_session).count)() == 1
        await db(poll.refresh_from_db)()
        assert poll.data["closed"] is False
    finally:
        await guest.close()


async def test_results_reach_participants_only_from_the_fifth_vote(
    live_session, facilitator, member, space, enter
):
    poll = await db(open_poll)(live_session, facilitator)
    host = await enter(facilitator, live_session, after_seq=poll.seq)
    guest = await enter(member, live_session, after_seq=poll.seq)
    others = [await db(make_member)(space, f"Voter {n}") for n in range(4)]
    try:
        assert (await host.recv_type("poll.results"))["total"] == 0  # facilitators: at once
        await guest.send({"type": "poll.vote", "poll_id": poll.seq, "option": 1})
        assert await guest.recv_type("poll.voted") == {
            "type": "poll.voted",
            "poll_id": poll.seq,
            "option": 1,
        }
        early = await host.recv_type("poll.results")
        assert early["total"] == 1 and early["counts"] == [0, 1, 0]
        for voter in others[:3]:
            await db(services.vote_in_poll)(
                actor=voter, session=live_session, poll_id=poll.seq, option=0
            )
        for total in (2, 3, 4):
            assert (await host.recv_type("poll.results"))["total"] == total
        assert await guest.silent()  # four votes: participants see nothing yet
        await db(services.vote_in_poll)(
            actor=others[3], session=live_session, poll_id=poll.seq, option=2
        )
        for room in (host, guest):
            results = await room.recv_type("poll.results")
            assert results["counts"] == [3, 1, 1] and results["total"] == 5
            assert set(results) == {"type", "poll_id", "counts", "total", "closed"}  # no names
    finally:
        await host.close()
        await guest.close()


async def test_second_vote_changes_the_first_instead_of_adding_one(
    live_session, facilitator, member, enter
):
    poll = await db(open_poll)(live_session, facilitator)
    guest = await enter(member, live_session, after_seq=poll.seq)
    try:
        await guest.send({"type": "poll.vote", "poll_id": poll.seq, "option": 0})
        await guest.recv_type("poll.voted")
        await guest.send({"type": "poll.vote", "poll_id": poll.seq, "option": 2})
        assert (await guest.recv_type("poll.voted"))["option"] == 2
        votes = await db(lambda: list(PollVote.objects.values_list("user_id", "option")))()
        assert votes == [(member.pk, 2)]
        assert await db(selectors.poll_counts)(poll) == [0, 0, 1]
    finally:
        await guest.close()


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"option": 3}, "option must be the number of a choice, 0 to 2."),
        ({"option": "1"}, "option must be the number of a choice, 0 to 2."),
        ({"option": True}, "option must be the number of a choice, 0 to 2."),
        ({"option": 0, "poll_id": 999}, "There is no such poll in this session."),
    ],
)
async def test_bad_votes_are_refused_and_nothing_stored(
    live_session, facilitator, member, enter, fields, detail
):
    poll = await db(open_poll)(live_session, facilitator)
    guest = await enter(member, live_session, after_seq=poll.seq)
    try:
        await guest.send({"type": "poll.vote", "poll_id": poll.seq, **fields})
        error = await guest.recv_type("error")
        assert error["code"] == "invalid" and error["detail"] == detail
        assert await db(PollVote.objects.count)() == 0
    finally:
        await guest.close()


async def test_vote_on_a_closed_poll_is_refused_and_the_vote_kept(
    live_session, facilitator, member, enter
):
    poll = await db(open_poll)(live_session, facilitator)
    await db(services.vote_in_poll)(actor=member, session=live_session, poll_id=poll.seq, option=0)
    await db(services.close_poll)(actor=facilitator, session=live_session, poll_id=poll.seq)
    guest = await enter(member, live_session, after_seq=0)
    try:
        await guest.send({"type": "poll.vote", "poll_id": poll.seq, "option": 1})
        error = await guest.recv_type("error")
        assert error["detail"] == "This poll has closed, so votes are no longer counted."
        assert await db(lambda: list(PollVote.objects.values_list("option", flat=True)))() == [0]
    finally:
        await guest.close()


async def test_muted_member_cannot_vote(live_session, facilitator, muted_member, enter):
    poll = await db(open_poll)(live_session, facilitator)
    guest = await enter(muted_member, live_session, after_seq=poll.seq)
    try:
        await guest.send({"type": "poll.vote", "poll_id": poll.seq, "option": 1})
        assert (await guest.recv_type("error"))["code"] == "muted"
        assert await db(PollVote.objects.count)() == 0
    finally:
        await guest.close()


async def test_close_is_stored_and_results_go_to_everyone_even_under_five(
    live_session, facilitator, member, enter
):
    poll = await db(open_poll)(live_session, facilitator)
    await db(services.vote_in_poll)(actor=member, session=live_session, poll_id=poll.seq, option=1)
    host = await enter(facilitator, live_session, after_seq=poll.seq)
    guest = await enter(member, live_session, after_seq=poll.seq)
    try:
        assert (await host.recv_type("poll.results"))["total"] == 1
        await host.send({"type": "poll.close", "poll_id": poll.seq})
        for room in (host, guest):
            closed = await room.recv_type("poll.close")
            assert closed["poll_id"] == poll.seq and closed["seq"] == poll.seq + 1
            results = await room.recv_type("poll.results")
            assert results["closed"] is True and results["counts"] == [0, 1, 0]
        # Closing twice changes nothing.
        assert not await db(services.close_poll)(
            actor=facilitator, session=live_session, poll_id=poll.seq
        )
    finally:
        await host.close()
        await guest.close()


async def test_reconnect_replays_the_poll_in_order_with_own_vote_and_public_results_only(
    live_session, facilitator, member, other_member, enter
):
    poll = await db(open_poll)(live_session, facilitator)
    await db(services.vote_in_poll)(actor=member, session=live_session, poll_id=poll.seq, option=2)
    guest = await enter(member, live_session)
    peer = await enter(other_member, live_session)
    host = await enter(facilitator, live_session)
    try:
        assert [f["type"] for f in await guest.hello()] == ["poll.open"]  # replay from 0
        assert await guest.recv_type("poll.voted") == {
            "type": "poll.voted",
            "poll_id": poll.seq,
            "option": 2,
        }
        assert await guest.silent()  # one vote: no results for participants
        await peer.hello()
        assert await peer.silent()  # nobody else's vote, no results
        await host.hello()
        assert (await host.recv_type("poll.results"))["total"] == 1
    finally:
        await guest.close()
        await peer.close()
        await host.close()


def test_poll_state_for_reconnect_takes_constant_queries(
    live_session, facilitator, member, space, django_assert_max_num_queries
):
    for _ in range(4):
        poll = open_poll(live_session, facilitator)
        for n in range(3):
            voter = make_member(space, f"Voter {poll.seq}-{n}")
            services.vote_in_poll(actor=voter, session=live_session, poll_id=poll.seq, option=n)
    with django_assert_max_num_queries(3):
        frames = selectors.poll_state_for(live_session.pk, member, facilitating=True)
    assert [f["total"] for f in frames if f["type"] == "poll.results"] == [3, 3, 3, 3]


def test_poll_cannot_open_before_the_lobby(scheduled_session, facilitator):
    from realtime.policy import LiveRefusal

    with pytest.raises(LiveRefusal) as refusal:
        open_poll(scheduled_session, facilitator)
    assert refusal.value.code == "not_live"
    assert not LiveEvent.objects.filter(session=scheduled_session).exists()


def test_ending_closes_open_polls_and_transcript_keeps_question_and_totals(
    live_session, facilitator, member, space, login
):
    poll = open_poll(live_session, facilitator)
    voters = [member] + [make_member(space, f"Voter {n}") for n in range(4)]
    for n, voter in enumerate(voters):
        services.vote_in_poll(actor=voter, session=live_session, poll_id=poll.seq, option=n % 2)
    services.end_session(actor=facilitator, session=live_session)
    poll.refresh_from_db()
    assert poll.data["closed"] is True
    assert LiveEvent.objects.filter(session=live_session, kind="poll.close").count() == 1
    assert LiveSession.objects.get(pk=live_session.pk).status == "ended"
    html = login(member).get(reverse("live_transcript", args=[live_session.pk])).content.decode()
    assert "How safe does this room feel?" in html
    assert "Very safe: 3 votes" in html and "Safe enough: 2 votes" in html
    assert "Not safe: 0 votes" in html
    assert "Voter 1" not in html  # who chose what is never shown
