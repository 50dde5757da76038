"""Fan out once per process: one channel-layer subscription per group, however many sockets.

Without this, every socket is a channels consumer added to each of its groups: a broadcast to a
room of N is N copies through the layer (N Redis writes, N decodes, N queue hops), each re-sent
by its consumer. Here each process (each event loop and layer) holds a :class:`Hub`; the first
local socket to :func:`join` a group makes the hub add ONE channel of its own to that group and
read it in one task, and every message that arrives is handed, in arrival order, to each local
socket in the group, which writes the frame already encoded by the sender (``text``). The last
socket to leave makes the hub discard the channel from the group and stop reading it.

Everything per socket stays with the socket (the consumers' layer handlers): its cursor and gap
repair from the database, ``revoked`` (a revoked socket never gets another frame), what differs
per reader (moderators, facilitators, backchannel, one member, one sign-in: their own groups).
Each socket's deliveries and its own frames are serialized as channels serializes a consumer's
messages (:class:`FanoutMember`): a delivery that needs the database (a gap to fill), or that
arrives while the socket handles a frame of its own, waits in the socket's backlog and runs in
order after it, without holding up the other sockets.

The transport is the channel layer itself (channels-redis between processes, the in-memory
layer in tests); ``group_send`` is unchanged, so every sender works as before.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import struct
import weakref

logger = logging.getLogger(__name__)

# Memberships are added again this often, so a group outlives channels-redis's group expiry
# (a day) and comes back within this time after Redis lost it (a restart).
REFRESH_SECONDS = 30.0

_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Hub:
    """The process's subscriptions on one layer: group -> local sockets, one reader per group."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.members: dict[str, set] = {}
        self.channels: dict[str, str] = {}
        self.readers: dict[str, asyncio.Task] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.refresher: asyncio.Task | None = None

    # -- membership ----------------------------------------------------------------------

    async def subscribe(self, group: str, member) -> None:
        members = self.members.get(group)
        if members is not None:  # subscribed already (the reader runs): a local add only
            members.add(member)
            return
        async with self._lock(group):
            members = self.members.get(group)
            if members is None:
                channel = await self.layer.new_channel()
                await self.layer.group_add(group, channel)
                self.channels[group] = channel
                members = self.members[group] = set()
                self.readers[group] = asyncio.create_task(self._read(group, channel))
                if self.refresher is None or self.refresher.done():
                    self.refresher = asyncio.create_task(self._refresh())
            members.add(member)

    async def unsubscribe(self, group: str, member) -> None:
        members = self.members.get(group)
        if members is None or member not in members:
            return
        members.discard(member)
        if members:
            return
        async with self._lock(group):
            if self.members.get(group):  # someone joined meanwhile
                return
            channel = self._forget(group)
            if not self.members and self.refresher is not None:
                self.refresher.cancel()
                self.refresher = None
            if channel is not None:
                try:
                    await self.layer.group_discard(group, channel)
                except Exception:  # the layer is down: its memberships expire on their own
                    logger.warning("Could not leave %s", group, exc_info=True)

    def _forget(self, group: str) -> str | None:
        self.members.pop(group, None)
        self.locks.pop(group, None)
        reader = self.readers.pop(group, None)
        if reader is not None and reader is not _current_task():
            reader.cancel()
        return self.channels.pop(group, None)

    def _lock(self, group: str) -> asyncio.Lock:
        lock = self.locks.get(group)
        if lock is None:
            lock = self.locks[group] = asyncio.Lock()
        return lock

    # -- delivery ------------------------------------------------------------------------

    async def _read(self, group: str, channel: str) -> None:
        receive = self.layer.receive
        try:
            while True:
                message = await receive(channel)
                members = self.members.get(group)
                if not members:
                    continue
                for member in list(members):
                    try:
                        await member.fanout_deliver(message)
                    except Exception:  # one socket's failure is that socket's
                        logger.exception("Delivery to a socket of %s failed", group)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The layer failed (Redis went away): the sockets reconnect and repair by seq,
            # as when channels closes a consumer with 1011; a later join subscribes afresh.
            logger.exception("Fan-out reader of %s failed", group)
            members = self.members.get(group, set())
            if self.channels.get(group) == channel:
                self._forget(group)
            for member in list(members):
                try:
                    await member.fanout_lost()
                except Exception:
                    logger.exception("Closing a socket of %s failed", group)

    async def _refresh(self) -> None:
        while self.members:
            await asyncio.sleep(REFRESH_SECONDS)
            for group, channel in list(self.channels.items()):
                try:
                    async with self._lock(group):
                        if self.channels.get(group) == channel:
                            await self.layer.group_add(group, channel)
                except Exception:
                    logger.warning("Could not renew %s", group, exc_info=True)


def _current_task():
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


def hub_for(layer) -> Hub:
    """This event loop's hub on ``layer`` (one per process in daphne; one per test loop)."""
    loop = asyncio.get_running_loop()
    hubs = _hubs.get(loop)
    if hubs is None:
        hubs = _hubs[loop] = {}
    hub = hubs.get(id(layer))
    if hub is None or hub.layer is not layer:
        hub = hubs[id(layer)] = Hub(layer)
    return hub


async def join(consumer, group: str) -> None:
    """Put ``consumer`` (a :class:`FanoutMember`) in ``group``: the one way a socket joins a
    group (new groups too). It receives the group's messages from the process's hub."""
    if consumer.channel_layer is None:
        return
    await hub_for(consumer.channel_layer).subscribe(group, consumer)
    consumer.fanout_groups.append(group)


async def leave(consumer, group: str) -> None:
    if group in consumer.fanout_groups:
        consumer.fanout_groups.remove(group)
        await hub_for(consumer.channel_layer).unsubscribe(group, consumer)


async def leave_all(consumer) -> None:
    """Take ``consumer`` out of every group it joined (on disconnect, or once revoked)."""
    groups, consumer.fanout_groups = consumer.fanout_groups, []
    if not groups:
        return
    hub = hub_for(consumer.channel_layer)
    for group in groups:
        await hub.unsubscribe(group, consumer)


def wire_frame(message: dict) -> bytes:
    """The WebSocket frame of ``message["text"]`` as a server writes it (RFC 6455: FIN, text,
    unmasked, no extension), built once per process and kept on the message: the hub hands the
    same dict to every local socket, so each writes these bytes instead of framing it anew."""
    wire = message.get("_wire")
    if wire is None:
        payload = message["text"].encode("utf-8")
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x81, size)
        elif size < 65536:
            head = struct.pack("!BBH", 0x81, 126, size)
        else:
            head = struct.pack("!BBQ", 0x81, 127, size)
        wire = message["_wire"] = head + payload
    return wire


def _write(transport, wire: bytes) -> None:
    """Write ``wire`` to a twisted TCP transport: straight to its socket when nothing is
    waiting in the transport's buffers (one ``send`` call, instead of registering the socket
    for writing and writing on the reactor's next turn, two ``epoll_ctl`` and a ``send``); what
    the socket does not take, and every other case (TLS, data already queued, closing), goes
    through ``transport.write`` as before, so bytes never overtake each other."""
    if (
        getattr(transport, "TLS", True) is False
        and transport.connected
        and not transport.disconnecting
        and not transport._writeDisconnected
        and not transport._tempDataBuffer
        and transport.offset == len(transport.dataBuffer)
    ):
        try:
            sent = transport.socket.send(wire)
        except OSError:  # full (EAGAIN) or lost: twisted's own write finds out which
            sent = 0
        if sent < len(wire):
            transport.write(wire[sent:])
        return
    transport.write(wire)


def _daphne_protocol(send):
    """The daphne WebSocket protocol behind an ASGI ``send`` (``functools.partial(
    server.handle_reply, protocol)``, reached through channels' middleware wrappers, which
    keep the next ``send`` as ``real_send``), with its server; None under any other server
    (the test communicator), whose sockets then take the ordinary ``send``."""
    for _ in range(10):
        if isinstance(send, functools.partial):
            server = getattr(send.func, "__self__", None)
            if getattr(send.func, "__name__", "") != "handle_reply" or len(send.args) != 1:
                return None
            protocol = send.args[0]
            needed = ("transport", "state", "STATE_OPEN", "_perMessageCompress")
            if not all(hasattr(protocol, name) for name in needed):
                return None
            if not isinstance(getattr(server, "connections", None), dict):
                return None
            return protocol, server
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            return None
    return None


class FanoutMember:
    """A consumer fed by the hub: its deliveries in order, never alongside its own frames.

    Subclasses name their layer handlers in ``LAYER_HANDLERS`` and
    say which messages need the database (``fanout_waits``): those, and any message arriving
    while the socket handles a frame of its own or has a backlog, go to the backlog, drained in
    order by one task of the socket's.
    """

    LAYER_HANDLERS: dict[str, str] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fanout_groups: list[str] = []
        self._fanout_lock = asyncio.Lock()
        self._fanout_backlog: collections.deque = collections.deque()
        self._fanout_drainer: asyncio.Task | None = None
        self._fanout_gone = False
        self._fanout_protocol = None  # (daphne protocol, server), found on the first write

    async def send_shared(self, message: dict) -> None:
        """Write ``message["text"]`` (a frame the hub hands every local socket) to this socket.

        Under daphne, the frame bytes are built once per process (:func:`wire_frame`) and
        written to the socket's transport, below channels' send wrappers and autobahn's framing
        (each socket's cost is one ``transport.write``). Only while the socket is open, without
        compression, and not yet closed by either side: otherwise (closing, or another server)
        the ordinary ``send``, so closed sockets behave exactly as before. Frames of one socket
        keep their order: both ways write to the same transport at once, in call order.
        """
        found = self._fanout_protocol
        if found is None:
            found = self._fanout_protocol = _daphne_protocol(self.base_send) or False
        if found:
            protocol, server = found
            transport = protocol.transport
            if (
                protocol.state == protocol.STATE_OPEN
                and protocol._perMessageCompress is None
                and transport is not None
                and "disconnected" not in server.connections.get(protocol, {"disconnected": 1})
            ):
                _write(transport, wire_frame(message))
                return
        await self.send(text_data=message["text"])

    def fanout_waits(self, message: dict) -> bool:
        """True when handling ``message`` reaches the database (run it off the hub's path)."""
        return False

    def fanout_pending(self, test) -> bool:
        """Whether a delivery already waiting in this socket's backlog passes ``test`` (a
        handler that would close the socket can leave the closing to one that says why)."""
        return any(test(message) for message in self._fanout_backlog)

    async def fanout_deliver(self, message: dict) -> None:
        if self._fanout_gone:
            return
        if self._fanout_lock.locked() or self._fanout_backlog or self.fanout_waits(message):
            self._fanout_backlog.append(message)
            self._fanout_kick()
            return
        async with self._fanout_lock:  # free: taken without waiting
            await self._fanout_handle(message)

    async def fanout_lost(self) -> None:
        """The hub's subscription failed: close as channels does when the layer fails."""
        if not self._fanout_gone:
            await self.close(code=1011)

    async def _fanout_handle(self, message: dict) -> None:
        name = self.LAYER_HANDLERS.get(message.get("type"))
        if name is None:
            logger.warning("No handler for %r", message.get("type"))
            return
        await getattr(self, name)(message)

    def _fanout_kick(self) -> None:
        if self._fanout_drainer is None and not self._fanout_lock.locked():
            self._fanout_drainer = asyncio.create_task(self._fanout_drain())

    async def _fanout_drain(self) -> None:
        try:
            async with self._fanout_lock:
                while self._fanout_backlog and not self._fanout_gone:
                    await self._fanout_handle(self._fanout_backlog.popleft())
        except Exception:
            logger.exception("A delivery failed")
        finally:
            self._fanout_drainer = None
        if self._fanout_backlog and not self._fanout_gone:
            self._fanout_kick()

    async def _fanout_serialized(self, handler, message) -> None:
        async with self._fanout_lock:
            await handler(message)
        if self._fanout_backlog:
            self._fanout_kick()

    # The socket's own events take the same lock: channels runs one message of a consumer at
    # a time, and so does this (a delivery waits while a command is handled, as before).

    async def websocket_connect(self, message) -> None:
        await self._fanout_serialized(super().websocket_connect, message)

    async def websocket_receive(self, message) -> None:
        await self._fanout_serialized(super().websocket_receive, message)

    async def websocket_disconnect(self, message) -> None:
        self._fanout_gone = True
        self._fanout_backlog.clear()
        drainer = self._fanout_drainer
        if drainer is not None and drainer is not _current_task():
            drainer.cancel()
        try:
            await leave_all(self)
        finally:
            await super().websocket_disconnect(message)

    async def dispatch(self, message: dict) -> None:
        """Messages to the socket's own channel (a kick of this one socket) take the same
        ordered path as the hub's; websocket events go to channels' handlers."""
        if message["type"] in self.LAYER_HANDLERS:
            await self.fanout_deliver(message)
        else:
            await super().dispatch(message)
