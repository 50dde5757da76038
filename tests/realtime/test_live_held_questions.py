"""Held questions (the session's "questions wait for approval"): a member's question reaches
only the facilitators until approved; everyone gets the waiting count; the asker sees their
own as waiting; approve, merge into another question, or decline with a reason."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from realtime import services
from realtime.models import HeldQuestion, LiveEvent, QuestionUpvote

from .conftest import make_session

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@pytest.fixture
def held_session(space, facilitator):
    return make_session(space, facilitator, questions_need_approval=True, chatham_house=False)


async def test_question_is_held_for_facilitators_and_the_asker_sees_it_waiting(
    held_session, facilitator, member, other_member, enter
):
    host = await enter(facilitator, held_session)
    asker = await enter(member, held_session)
    peer = await enter(other_member, held_session)
    try:
        for room in (host, asker, peer):  # on connect: the count, nothing waiting yet
            assert await room.recv_type("questions.waiting") == {
                "type": "questions.waiting",
                "count": 0,
            }
        await asker.send(
            {"type": "question.ask", "body": "Is this *safe*?", "client_msg_id": "q-1"}
        )
        ack = await asker.recv_type("ack")
        assert ack["seq"] is None and ack["client_msg_id"] == "q-1"
        mine = await asker.recv_type("question.waiting")
        assert mine["body_html"] == "<p>Is this <em>safe</em>?</p>"
        held = await host.recv_type("question.held")
        assert held["id"] == ack["waiting"] and held["author"]["id"] == member.pk
        for room in (host, asker, peer):
            assert (await room.recv_type("questions.waiting"))["count"] == 1
        assert await peer.silent()  # the text never reaches another participant
        assert await db(LiveEvent.objects.filter(session=held_session).count)() == 0
    finally:
        for room in (host, asker, peer):
            await room.close()


async def test_approved_question_enters_the_stream_and_is_replayed(
    held_session, facilitator, member, other_member, enter
):
    held, _ = await db(services.ask_question)(
        actor=member, session=held_session, body="Held one", client_msg_id="q-2", anonymous=True
    )
    host = await enter(facilitator, held_session)
    peer = await enter(other_member, held_session)
    try:
        frame = await host.recv_type("question.held")
        assert frame["author"] is None and frame["anonymous"] is True  # anonymous stays so
        await host.send({"type": "question.approve", "id": held.pk})
        for room in (host, peer):
            question = await room.recv_type("question")
            assert question["seq"] == 1 and question["author"] is None
            assert question["body_html"] == "<p>Held one</p>"
        assert (await host.recv_type("question.decided"))["status"] == "approved"
        await db(held.refresh_from_db)()
        assert held.status == "approved" and held.question_seq == 1
        late = await enter(other_member, held_session)
        assert late.welcome["last_seq"] == 1  # replayed from the stream like any question
        await late.close()
        # A resend of the same question now gets its seq, stored once.
        again, created = await db(services.ask_question)(
            actor=member, session=held_session, body="Held one", client_msg_id="q-2"
        )
        assert not created and again.seq == 1
    finally:
        await host.close()
        await peer.close()


async def test_participant_cannot_approve_merge_or_decline(
    held_session, member, other_member, enter
):
    held, _ = await db(services.ask_question)(
        actor=other_member, session=held_session, body="Mine", client_msg_id="q-3"
    )
    room = await enter(member, held_session)
    try:
        for frame in (
            {"type": "question.approve", "id": held.pk},
            {"type": "question.merge", "id": held.pk, "into_seq": 1},
            {"type": "question.decline", "id": held.pk, "reason": "No"},
        ):
            await room.send(frame)
            error = await room.recv_type("error")
            assert error["code"] == "forbidden"
            assert error["detail"] == "Only the session's facilitators can do that."
        await db(held.refresh_from_db)()
        assert held.status == "waiting"
        assert await db(LiveEvent.objects.count)() == 0
    finally:
        await room.close()


async def test_decline_needs_a_reason_and_tells_only_the_asker(
    held_session, facilitator, member, other_member, enter
):
    held, _ = await db(services.ask_question)(
        actor=member, session=held_session, body="Off topic", client_msg_id="q-4"
    )
    host = await enter(facilitator, held_session)
    asker = await enter(member, held_session)
    peer = await enter(other_member, held_session)
    try:
        await host.send({"type": "question.decline", "id": held.pk, "reason": "  "})
        error = await host.recv_type("error")
        assert error["detail"] == "Say why, for the member who asked it."
        await db(held.refresh_from_db)()
        assert held.status == "waiting"
        await host.send(
            {"type": "question.decline", "id": held.pk, "reason": "We cover this next week"}
        )
        told = await asker.recv_type("question.decided")
        assert told["status"] == "declined" and told["reason"] == "We cover this next week"
        counts = await peer.recv_type("questions.waiting")  # the connect count
        assert counts["count"] == 1
        assert (await peer.recv_type("questions.waiting"))["count"] == 0
        assert await peer.silent()
        await db(held.refresh_from_db)()
        assert held.status == "declined" and held.decided_by_id == facilitator.pk
    finally:
        for room in (host, asker, peer):
            await room.close()


def test_merge_folds_the_question_into_another_with_the_askers_upvote(
    held_session, facilitator, member
):
    asked, _ = services.ask_question(
        actor=facilitator, session=held_session, body="Facilitators' own", client_msg_id="f-1"
    )
    assert isinstance(asked, LiveEvent)  # facilitators' questions are never held
    held, _ = services.ask_question(
        actor=member, session=held_session, body="Same thing", client_msg_id="q-5"
    )
    services.merge_question(
        actor=facilitator, session=held_session, held_id=held.pk, into_seq=asked.seq
    )
    held.refresh_from_db()
    assert held.status == "merged" and held.question_seq == asked.seq
    assert QuestionUpvote.objects.filter(question=asked, user=member).exists()
    assert LiveEvent.objects.filter(session=held_session).count() == 1


@pytest.mark.parametrize(
    ("held_id", "detail"),
    [
        (999, "There is no such question waiting in this session."),
        ("1", "id must be the number of a waiting question."),
    ],
)
def test_deciding_a_missing_question_is_refused(held_session, facilitator, held_id, detail):
    from realtime.policy import LiveRefusal

    with pytest.raises(LiveRefusal) as refusal:
        services.approve_question(actor=facilitator, session=held_session, held_id=held_id)
    assert refusal.value.detail == detail


def test_a_decided_question_cannot_be_decided_again(held_session, facilitator, member):
    from realtime.policy import LiveRefusal

    held, _ = services.ask_question(
        actor=member, session=held_session, body="Once", client_msg_id="q-6"
    )
    services.approve_question(actor=facilitator, session=held_session, held_id=held.pk)
    with pytest.raises(LiveRefusal):
        services.decline_question(
            actor=facilitator, session=held_session, held_id=held.pk, reason="Twice"
        )
    assert LiveEvent.objects.filter(session=held_session).count() == 1


def test_waiting_questions_never_reach_the_transcript_and_are_purged(
    held_session, facilitator, member, login
):
    from django.urls import reverse

    services.ask_question(
        actor=member, session=held_session, body="Never approved", client_msg_id="q-7"
    )
    services.end_session(actor=facilitator, session=held_session)
    html = login(member).get(reverse("live_transcript", args=[held_session.pk])).content.decode()
    assert "Never approved" not in html
    services.purge_expired(now=held_session.ends_at.replace(year=held_session.ends_at.year + 1))
    assert not HeldQuestion.objects.filter(session=held_session).exists()
