"""Join storms (issue 17): authorizing a socket, recording its presence and its ``hello`` take
a constant number of queries, however many members are present, how many spaces the member
belongs to, how many sign-in sessions they hold and how many sanctions exist elsewhere. The
worker-thread functions of the consumer are measured directly (each is one
``database_sync_to_async`` call of ``connect`` or ``hello``)."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.utils import timezone

from community.models import Membership, User
from realtime import selectors
from realtime.consumers import LiveSessionConsumer
from realtime.models import Attendance, ParticipantRemoval, Presence

from ..conftest import make_member
from .conftest import make_session, session_cookie

pytestmark = [pytest.mark.django_db]

# Bounds for one socket, each the most any of the cases below takes (savepoints included: the
# tests run inside a transaction, so join_presence's atomic block adds SAVEPOINT and RELEASE).
AUTHORIZE_QUERIES = 3  # the sign-in (session row, user), read here since channels' AuthMiddleware
# skips the live rooms; the session with the member's removal, facilitation and membership
JOIN_QUERIES = 6  # lock the member's row, their sockets here, one INSERT each for presence and
# attendance, and the savepoint pair
HELLO_QUERIES = 5  # standing (session row, user), the session with its flags and the member's
# removal, facilitation and membership, presence (count, then the list or the present
# facilitators)
FACILITATOR_HELLO_QUERIES = 7  # the full list instead (1), open reports, the backchannel
BUSY_HELLO_QUERIES = 11  # and in a room with events, polls, held questions and hands: the
# replay, polls (3), held questions, hands


def fill_room(session, space, n: int) -> None:
    """``n`` members of ``space`` with a socket open in ``session`` (bulk: quick for 200)."""
    stamp = next(_batch)
    users = User.objects.bulk_create(
        [User(email=f"crowd{stamp}.{i}@example.org", display_name=f"Crowd {i}") for i in range(n)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, space=space, status=Membership.Status.ACTIVE) for u in users]
    )
    Presence.objects.bulk_create(
        [Presence(session=session, user=u, channel_name=f"crowd.{stamp}.{u.pk}") for u in users]
    )


_batch = iter(range(1, 10**6))


def burden(member, space, make_space, spaces: int) -> None:
    """Make ``member`` belong to ``spaces`` more spaces, hold more sign-ins, and be removed from
    a session and muted elsewhere: nothing a join reads may grow with any of it."""
    for n in range(spaces):
        other = make_space(f"Elsewhere {n}", listed=True)
        Membership.objects.create(
            user=member,
            space=other,
            status=Membership.Status.ACTIVE,
            muted_until=timezone.now() + timedelta(hours=1),
        )
        ParticipantRemoval.objects.create(session=make_session(other), user=member)
    for _ in range(5):
        session_cookie(member)


def consumer_for(user, session) -> LiveSessionConsumer:
    engine = import_module(settings.SESSION_ENGINE)
    consumer = LiveSessionConsumer()
    consumer.scope = {
        "user": user,
        "session": engine.SessionStore(session_cookie(user)),
        "url_route": {"kwargs": {"session_id": session.pk}},
    }
    consumer.channel_name = f"test.join.{user.pk}"
    consumer.session_id = session.pk
    consumer.sees_authors = consumer.facilitating = consumer.backchannel = False
    return consumer


def measure_join(consumer, assert_max, *, hello: int = HELLO_QUERIES) -> dict:
    with assert_max(AUTHORIZE_QUERIES):
        assert consumer._authorize() == (None, None)
    with assert_max(JOIN_QUERIES):
        consumer._join()
    with assert_max(hello):
        welcome, _, _, _ = consumer._hello(0)
    return welcome


@pytest.mark.parametrize("present", [1, 200])
@pytest.mark.parametrize("spaces", [1, 20])
def test_a_participant_joins_in_constant_queries(
    live_session, space, member, make_space, present, spaces, django_assert_max_num_queries
):
    fill_room(live_session, space, present)
    burden(member, space, make_space, spaces - 1)
    welcome = measure_join(consumer_for(member, live_session), django_assert_max_num_queries)
    assert welcome["count"] == present + 1
    assert Presence.objects.filter(session=live_session, user=member).count() == 1
    assert Attendance.objects.filter(session=live_session, user=member).count() == 1
    if present + 1 > selectors.PRESENCE_FULL_LIST_MAX:
        # A participant in a large room gets the count and the facilitators, not 201 names.
        assert welcome["summary"] is True and welcome["present"] == []
    else:
        assert {p["id"] for p in welcome["present"]} == {member.pk, *_crowd(live_session)}


def _crowd(session) -> set[int]:
    return set(Presence.objects.filter(session=session).values_list("user_id", flat=True))


@pytest.mark.parametrize("present", [1, 200])
def test_a_facilitator_joins_in_constant_queries(
    live_session, space, facilitator, present, django_assert_max_num_queries
):
    fill_room(live_session, space, present)
    consumer = consumer_for(facilitator, live_session)
    welcome = measure_join(consumer, django_assert_max_num_queries, hello=FACILITATOR_HELLO_QUERIES)
    assert consumer.facilitating and consumer.backchannel and not consumer.sees_authors
    # Facilitators get everyone, however large the room.
    assert welcome["summary"] is False and len(welcome["present"]) == present + 1


def test_a_second_socket_does_not_record_attendance_twice(
    live_session, member, django_assert_max_num_queries
):
    first, second = consumer_for(member, live_session), consumer_for(member, live_session)
    second.channel_name += ".tab2"
    measure_join(first, django_assert_max_num_queries)
    measure_join(second, django_assert_max_num_queries)
    assert Presence.objects.filter(session=live_session, user=member).count() == 2
    assert Attendance.objects.filter(session=live_session, user=member).count() == 1


def test_a_removed_member_is_refused_in_constant_queries(
    live_session, space, member, django_assert_max_num_queries
):
    fill_room(live_session, space, 200)
    ParticipantRemoval.objects.create(session=live_session, user=member, reason="Off topic")
    consumer = consumer_for(member, live_session)
    with django_assert_max_num_queries(AUTHORIZE_QUERIES):
        code, frame = consumer._authorize()
    assert code == 4403 and "removed you" in frame["detail"]
    assert not Presence.objects.filter(session=live_session, user=member).exists()


def test_large_room_participants_see_present_facilitators_only(
    live_session, space, facilitator, moderator, member, staff
):
    fill_room(live_session, space, 60)
    for n, user in enumerate([facilitator, moderator, staff]):
        Presence.objects.create(session=live_session, user=user, channel_name=f"lead.{n}")
    view = selectors.presence_for(live_session.pk, facilitating=False)
    assert view["summary"] is True and view["count"] == 63
    assert {p["id"] for p in view["present"]} == {facilitator.pk, moderator.pk, staff.pk}
    full = selectors.presence_for(live_session.pk, facilitating=True)
    assert full["summary"] is False and len(full["present"]) == 63


def test_a_room_at_the_limit_still_shows_everyone(live_session, space):
    fill_room(live_session, space, selectors.PRESENCE_FULL_LIST_MAX)
    view = selectors.presence_for(live_session.pk, facilitating=False)
    assert view["summary"] is False and len(view["present"]) == view["count"] == 50


@pytest.mark.django_db(transaction=True)
async def test_joins_send_the_room_nothing_but_coalesced_presence(
    live_session, facilitator, member, space, enter, monkeypatch
):
    """Hands, counts, notices: nothing per join goes to the room; only presence, at most one
    frame a second, and (the room over the limit) only the count and facilitators to
    participants."""
    import asyncio

    from channels.db import database_sync_to_async
    from django.core.cache import cache

    monkeypatch.setattr(selectors, "PRESENCE_FULL_LIST_MAX", 3)
    # The tests above open presence windows with no event loop to close them; on SQLite a
    # session of theirs can share this one's id and creation second, and so its window key.
    cache.clear()
    host = await enter(facilitator, live_session)
    guest = await enter(member, live_session)
    people = [await database_sync_to_async(make_member)(space, f"Storm {n}") for n in range(6)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    rooms = [await enter(person, live_session) for person in people]
    frames: dict[str, list[dict]] = {"host": [], "guest": []}
    try:
        end = loop.time() + 2.5
        while loop.time() < end:
            for name, room in (("host", host), ("guest", guest)):
                if not await room.comm.receive_nothing(0.05):
                    frames[name].append(await room.recv())
        seconds = loop.time() - started
        for name, got in frames.items():
            assert got, name
            assert {frame["type"] for frame in got} == {"presence"}, got
            assert len(got) <= seconds + 1, (name, len(got), seconds)
        assert frames["host"][-1]["count"] == 8 and len(frames["host"][-1]["present"]) == 8
        last = frames["guest"][-1]
        assert last["summary"] is True and last["count"] == 8
        assert [p["id"] for p in last["present"]] == [facilitator.pk]
        assert all("user" not in frame for frame in frames["guest"] if frame.get("summary"))
    finally:
        for room in (*rooms, guest, host):
            await room.close()


@pytest.mark.parametrize("present", [1, 200])
def test_a_join_in_a_busy_room_takes_constant_queries(
    live_session, space, facilitator, member, other_member, present, django_assert_max_num_queries
):
    from realtime import services

    LiveSession = type(live_session)
    LiveSession.objects.filter(pk=live_session.pk).update(questions_need_approval=True)
    live_session.refresh_from_db()
    fill_room(live_session, space, present)
    for n in range(3):
        services.send_live_message(
            actor=other_member, session=live_session, body=f"Hello {n}", client_msg_id=f"m{n}"
        )
    services.open_poll(
        actor=facilitator,
        session=live_session,
        question="How safe does this feel?",
        options=["Safe", "Unsure"],
        client_msg_id="poll",
    )
    services.ask_question(
        actor=other_member, session=live_session, body="Can we pause?", client_msg_id="q"
    )
    services.raise_hand(actor=other_member, session=live_session)
    consumer = consumer_for(member, live_session)
    welcome = measure_join(consumer, django_assert_max_num_queries, hello=BUSY_HELLO_QUERIES)
    assert [h["id"] for h in welcome["hands"]] == [other_member.pk]
    _, frames, _, extras = consumer._hello(0)
    assert [f["type"] for f in frames] == ["message"] * 3 + ["poll.open"]
    assert {"type": "questions.waiting", "count": 1} in extras


def test_a_hello_still_refuses_a_member_removed_after_connect(
    live_session, member, django_assert_max_num_queries
):
    from realtime.policy import LiveRefusal

    consumer = consumer_for(member, live_session)
    assert consumer._authorize() == (None, None)
    ParticipantRemoval.objects.create(session=live_session, user=member, reason="Off topic")
    with pytest.raises(LiveRefusal) as refused:
        consumer._hello(0)
    assert "removed you" in refused.value.detail and "Off topic" in refused.value.detail


def _deactivate(member, key) -> None:
    User.objects.filter(pk=member.pk).update(is_active=False)


def _delete_session(member, key) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=key).delete()


def _expire_session(member, key) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=key).update(expire_date=timezone.now())


def _change_password(member, key) -> None:
    member.set_password("a new passphrase for this test")
    member.save(update_fields=["password"])


@pytest.mark.parametrize(
    "end_sign_in", [_deactivate, _delete_session, _expire_session, _change_password]
)
def test_a_connect_whose_sign_in_no_longer_stands_is_closed_as_signed_out(
    live_session, member, end_sign_in, django_assert_max_num_queries
):
    """The live rooms read the sign-in in ``connect``'s worker call (``_admit``), not in
    channels' AuthMiddleware: an ended sign-in closes with 4401 and records no presence."""
    consumer = consumer_for(member, live_session)
    end_sign_in(member, consumer.scope["session"].session_key)
    with django_assert_max_num_queries(AUTHORIZE_QUERIES):
        assert consumer._admit() == (4401, None, False)
    assert not Presence.objects.filter(session=live_session, user=member).exists()


def test_a_connect_reads_the_sign_in_from_the_session_alone(live_session, member):
    """What channels' AuthMiddleware put in the scope is not what decides: the session is."""
    consumer = consumer_for(member, live_session)
    del consumer.scope["user"]
    code, refusal, _ = consumer._admit()
    assert (code, refusal) == (None, None) and consumer.user.pk == member.pk
    assert Presence.objects.filter(session=live_session, user=member).count() == 1
