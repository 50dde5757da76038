"""Fan-out once per process (issue 17): the hub holds one layer subscription per group, whatever
the number of local sockets, and every per-socket guarantee still holds (revocation, per-reader
groups, gap repair from the database)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from realtime import broadcast, fanout, services
from realtime.broadcast import encode, member_group, moderators_group, session_group

from .conftest import open_room

db = database_sync_to_async
pytestmark = pytest.mark.django_db(transaction=True)


def layer_members(group: str) -> set[str]:
    """The channels the in-memory layer holds in ``group``."""
    return set(get_channel_layer().groups.get(group, {}))


def local_sockets(group: str) -> set:
    return fanout.hub_for(get_channel_layer()).members.get(group, set())


async def said(actor, session, body: str):
    event, _ = await db(services.send_live_message)(
        actor=actor, session=session, body=body, client_msg_id=str(uuid.uuid4())
    )
    return event


async def test_one_subscription_per_group_however_many_sockets(
    live_session, enter, member, other_member, facilitator, moderator
):
    rooms = [await enter(user, live_session) for user in (member, other_member, facilitator)]
    group = session_group(live_session.pk)
    assert len(layer_members(group)) == 1
    assert len(local_sockets(group)) == 3
    # None of the sockets' own channels is in the group: the hub's is.
    hub = fanout.hub_for(get_channel_layer())
    assert layer_members(group) == {hub.channels[group]}
    # One message through the layer, three sockets told, each once.
    event = await said(member, live_session, "Once through the layer")
    for room in rooms:
        frame = await room.recv_type("message")
        assert frame["seq"] == event.seq
        assert await room.silent(0.2) or (await room.recv())["type"] != "message"
    for room in rooms:
        await room.close()


async def test_the_hub_leaves_a_group_when_its_last_local_socket_goes(
    live_session, enter, member, other_member
):
    first = await enter(member, live_session)
    second = await enter(other_member, live_session)
    group = session_group(live_session.pk)
    hub = fanout.hub_for(get_channel_layer())
    reader = hub.readers[group]
    await first.close()
    assert len(layer_members(group)) == 1 and len(local_sockets(group)) == 1
    await second.close()
    assert layer_members(group) == set()
    assert group not in hub.members and group not in hub.channels
    await asyncio.wait_for(asyncio.gather(reader, return_exceptions=True), 2)
    assert reader.done()
    # Every group the two sockets joined is gone, per-reader ones too.
    assert layer_members(member_group(live_session.pk, member.pk)) == set()
    assert hub.members == {}
    # And a socket arriving later subscribes afresh and hears the room.
    third = await enter(member, live_session)
    assert len(layer_members(group)) == 1
    event = await said(other_member, live_session, "After the last one left")
    assert (await third.recv_type("message"))["seq"] == event.seq
    await third.close()


async def test_a_revoked_socket_gets_nothing_more_while_its_neighbour_does(
    live_session, enter, member, other_member
):
    kicked = await enter(member, live_session)
    stays = await enter(other_member, live_session)
    layer = get_channel_layer()
    frame = {"type": "error", "code": "forbidden", "detail": "Removed.", "client_msg_id": None}
    await layer.group_send(
        member_group(live_session.pk, member.pk),
        {"type": "live.control", "action": "kick", "text": encode(frame)},
    )
    event = await said(other_member, live_session, "After the removal")
    await layer.group_send(session_group(live_session.pk), {"type": "live.push", "text": "{}"})
    assert (await kicked.recv_type("error"))["detail"] == "Removed."
    assert (await kicked.comm.receive_output(2))["code"] == 4403
    assert await kicked.comm.receive_nothing(0.3)
    assert (await stays.recv_type("message"))["seq"] == event.seq
    await stays.close()


async def test_a_kick_of_one_socket_by_its_channel_is_ordered_before_later_frames(
    live_session, enter, member
):
    room = await enter(member, live_session)
    consumer = next(iter(local_sockets(session_group(live_session.pk))))
    layer = get_channel_layer()
    frame = {"type": "error", "code": "forbidden", "detail": "Elsewhere.", "client_msg_id": None}
    await layer.send(
        consumer.channel_name, {"type": "live.control", "action": "kick", "text": encode(frame)}
    )
    assert (await room.recv_type("error"))["detail"] == "Elsewhere."
    assert (await room.comm.receive_output(2))["code"] == 4403
    await layer.group_send(session_group(live_session.pk), {"type": "live.push", "text": "{}"})
    assert await room.comm.receive_nothing(0.3)


async def test_a_per_reader_frame_never_reaches_another_socket(
    live_session, enter, member, other_member, moderator
):
    watching = await enter(moderator, live_session)
    peer = await enter(member, live_session)
    asked, _ = await db(services.ask_question)(
        actor=other_member,
        session=live_session,
        body="Who decides?",
        client_msg_id=str(uuid.uuid4()),
        anonymous=True,
    )
    question = await peer.recv_type("question")
    assert question["seq"] == asked.seq and question["author"] is None
    reveal = await watching.recv_type("author")
    assert reveal["author"]["display_name"] == other_member.display_name
    # The moderators' group has one local socket: the member's socket hears nothing of it.
    assert len(local_sockets(moderators_group(live_session.pk))) == 1
    while not await peer.silent(0.3):
        assert (await peer.recv())["type"] != "author"
    # A notice to one member reaches that member's socket only.
    notice = {"type": "notice", "detail": "Only for you."}
    await get_channel_layer().group_send(
        member_group(live_session.pk, member.pk),
        {"type": "live.control", "action": "notice", "text": encode(notice)},
    )
    assert (await peer.recv_type("notice"))["detail"] == "Only for you."
    while not await watching.silent(0.3):
        assert (await watching.recv())["type"] != "notice"
    await watching.close()
    await peer.close()


async def test_gap_repair_fills_a_broadcast_the_layer_lost_for_every_socket(
    live_session, enter, member, other_member, facilitator, monkeypatch
):
    rooms = [await enter(user, live_session) for user in (member, facilitator)]
    real = broadcast._group_send
    dropped = []

    def lossy(group, message):
        if message.get("type") == "live.event" and not dropped:
            dropped.append(message["seq"])  # the layer loses the first one
            return
        real(group, message)

    monkeypatch.setattr(broadcast, "_group_send", lossy)
    lost = await said(other_member, live_session, "Lost on the way")
    arrived = await said(other_member, live_session, "Arrived")
    assert dropped == [lost.seq]
    for room in rooms:
        first = await room.recv_type("message")
        second = await room.recv_type("message")
        assert [first["seq"], second["seq"]] == [lost.seq, arrived.seq]
        assert first["body_html"] == "<p>Lost on the way</p>"
    for room in rooms:
        await room.close()


async def test_a_socket_busy_repairing_does_not_hold_up_the_others(
    live_session, enter, member, other_member, facilitator
):
    behind = await enter(member, live_session)
    ahead = await enter(facilitator, live_session)
    sockets = {c.user.pk: c for c in local_sockets(session_group(live_session.pk))}
    # This socket missed events: its next delivery waits for the database, off the hub's path.
    lost = await said(other_member, live_session, "Missed by one socket")
    assert (await behind.recv_type("message"))["seq"] == lost.seq
    assert (await ahead.recv_type("message"))["seq"] == lost.seq
    sockets[member.pk].cursor -= 1
    assert sockets[member.pk].fanout_waits({"type": "live.event", "seq": lost.seq + 1})
    assert not sockets[facilitator.pk].fanout_waits({"type": "live.event", "seq": lost.seq + 1})
    event = await said(other_member, live_session, "Next")
    assert (await ahead.recv_type("message"))["seq"] == event.seq
    replayed = await behind.recv_type("message")
    assert replayed["seq"] == lost.seq  # repaired from the database, in order
    assert (await behind.recv_type("message"))["seq"] == event.seq
    await behind.close()
    await ahead.close()


async def test_a_thread_page_group_has_one_subscription_for_all_its_pages(
    thread, member, other_member
):
    from threads.services import create_reply

    path = f"/ws/threads/{thread.pk}/"
    pages = []
    for user in (member, other_member):
        room, connected, _ = await open_room(user, 0, path=path)
        assert connected
        pages.append(room)
    group = broadcast.thread_group(thread.pk)
    assert len(layer_members(group)) == 1 and len(local_sockets(group)) == 2
    post = await db(create_reply)(actor=member, thread=thread, body="Heard on both pages")
    for room in pages:
        assert await room.recv_type("post.created") == {
            "type": "post.created",
            "thread_id": thread.pk,
            "post_id": post.pk,
        }
    for room in pages:
        await room.close()
    assert layer_members(group) == set()


async def test_when_the_layer_fails_the_hub_closes_its_sockets_and_a_new_one_resubscribes(
    live_session, enter, member, monkeypatch
):
    room = await enter(member, live_session)
    layer = get_channel_layer()
    hub = fanout.hub_for(layer)
    group = session_group(live_session.pk)
    real_receive = layer.receive
    failing = {hub.channels[group]}

    async def receive(channel):
        if channel in failing:
            raise ConnectionError("Redis went away")
        return await real_receive(channel)

    monkeypatch.setattr(layer, "receive", receive)
    hub.readers[group].cancel()  # restart the reader on the failing receive
    hub.readers[group] = asyncio.create_task(hub._read(group, hub.channels[group]))
    assert (await room.comm.receive_output(2)) == {"type": "websocket.close", "code": 1011}
    assert group not in hub.members
    await room.close()
    monkeypatch.setattr(layer, "receive", real_receive)
    again = await enter(member, live_session)
    assert len(hub.members[group]) == 1 and hub.channels[group] not in failing
    event = await said(member, live_session, "Back again")
    assert (await again.recv_type("message"))["seq"] == event.seq
    await again.close()


# -- one frame per process, written below autobahn (daphne) ------------------------------------


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_the_process_frame_is_the_text_frame_a_server_sends(size):
    """RFC 6455: FIN and opcode 1, unmasked, the length in 7, 16 or 64 bits, then the UTF-8."""
    text = "é" * (size // 2) + "x" * (size % 2)
    message = {"type": "live.event", "text": text}
    wire = fanout.wire_frame(message)
    payload = text.encode("utf-8")
    assert wire[0] == 0x81
    if len(payload) < 126:
        assert wire[1] == len(payload) and wire[2:] == payload
    elif len(payload) < 65536:
        assert wire[1] == 126 and int.from_bytes(wire[2:4], "big") == len(payload)
        assert wire[4:] == payload
    else:
        assert wire[1] == 127 and int.from_bytes(wire[2:10], "big") == len(payload)
        assert wire[10:] == payload
    assert fanout.wire_frame(message) is wire  # built once, kept on the message


class FakeSocket:
    def __init__(self, takes: int | None = None, error: OSError | None = None):
        self.takes, self.error, self.sent = takes, error, []

    def send(self, data: bytes) -> int:
        if self.error is not None:
            raise self.error
        taken = data if self.takes is None else data[: self.takes]
        self.sent.append(bytes(taken))
        return len(taken)


class FakeTransport:
    """The attributes of a twisted TCP transport that the direct write reads."""

    TLS = False

    def __init__(self, socket: FakeSocket, queued: bytes = b""):
        self.socket = socket
        self.connected, self.disconnecting, self._writeDisconnected = True, False, False
        self._tempDataBuffer = [queued] if queued else []
        self.dataBuffer, self.offset = b"", 0
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))


def test_a_frame_goes_straight_to_the_socket_when_nothing_is_queued():
    transport = FakeTransport(FakeSocket())
    fanout._write(transport, b"frame")
    assert transport.socket.sent == [b"frame"] and transport.written == []


def test_what_the_socket_does_not_take_is_queued_after_what_it_took():
    transport = FakeTransport(FakeSocket(takes=2))
    fanout._write(transport, b"frame")
    assert transport.socket.sent == [b"fr"] and transport.written == [b"ame"]


@pytest.mark.parametrize(
    "transport",
    [
        FakeTransport(FakeSocket(), queued=b"earlier"),  # never overtakes queued bytes
        FakeTransport(FakeSocket(error=BlockingIOError())),  # full: twisted writes it later
        FakeTransport(FakeSocket(error=ConnectionResetError())),  # lost: twisted finds out
    ],
    ids=["queued", "full", "lost"],
)
def test_otherwise_the_frame_takes_the_transports_own_write(transport):
    fanout._write(transport, b"frame")
    assert transport.written == [b"frame"]


def test_a_tls_transport_always_takes_its_own_write():
    transport = FakeTransport(FakeSocket())
    transport.TLS = True
    fanout._write(transport, b"frame")
    assert transport.socket.sent == [] and transport.written == [b"frame"]


class FakeProtocol:
    STATE_OPEN, STATE_CLOSING = 3, 4

    def __init__(self):
        self.state = self.STATE_OPEN
        self._perMessageCompress = None
        self.transport = FakeTransport(FakeSocket())


class FakeServer:
    def __init__(self):
        self.connections = {}

    async def handle_reply(self, protocol, message):  # daphne's signature
        raise AssertionError("the frame went through daphne's handle_reply")


class SessionWrapper:
    """Like channels' InstanceSessionWrapper: keeps the next send as ``real_send``."""

    def __init__(self, send):
        self.real_send = send

    async def send(self, message):
        await self.real_send(message)


class Member(fanout.FanoutMember):
    def __init__(self, base_send):
        super().__init__()
        self.base_send = base_send
        self.ordinary: list[str] = []

    async def send(self, text_data=None):
        self.ordinary.append(text_data)


def daphne_member():
    import functools

    server, protocol = FakeServer(), FakeProtocol()
    server.connections[protocol] = {"connected": 0}
    send = SessionWrapper(functools.partial(server.handle_reply, protocol)).send
    return Member(send), server, protocol


async def test_under_daphne_every_socket_writes_the_one_frame_of_the_process():
    (first, _, one), (second, _, two) = daphne_member(), daphne_member()
    message = {"type": "live.event", "seq": 1, "text": '{"type":"message","seq":1}'}
    await first.send_shared(message)
    await second.send_shared(message)
    wire = fanout.wire_frame(message)
    assert one.transport.socket.sent == [wire] == two.transport.socket.sent
    assert first.ordinary == [] == second.ordinary


async def test_a_closing_or_gone_socket_takes_the_ordinary_send():
    member, server, protocol = daphne_member()
    protocol.state = protocol.STATE_CLOSING  # the consumer closed it, or the client did
    await member.send_shared({"type": "live.push", "text": "a"})
    server.connections[protocol]["disconnected"] = 1
    protocol.state = protocol.STATE_OPEN
    await member.send_shared({"type": "live.push", "text": "b"})
    assert protocol.transport.socket.sent == [] and member.ordinary == ["a", "b"]


async def test_under_another_server_sockets_take_the_ordinary_send():
    async def send(message):
        raise AssertionError("not this one")

    member = Member(send)
    await member.send_shared({"type": "live.push", "text": "a"})
    assert member.ordinary == ["a"]
