"""The thread page's WebSocket consumer (``/ws/threads/<id>/``): it only listens."""

from __future__ import annotations

import json

from asgiref.sync import sync_to_async
from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from community import policy as community_policy
from community import signals
from community.models import User
from realtime import fanout, policy
from realtime.broadcast import account_group, auth_session_group, notify_group, thread_group
from realtime.fanout import FanoutMember
from realtime.sockets import ReadsRolesAgain, database_sync_to_async

from . import socket_cap
from .models import Thread

# Standing changes that can take the thread out of the member's sight (their space's inside).
_MAY_HIDE = {signals.BANNED, signals.REMOVED}


class ThreadConsumer(ReadsRolesAgain, FanoutMember, AsyncJsonWebsocketConsumer):
    """Pushes new replies (and the member's unread count) to an open thread page."""

    LAYER_HANDLERS = {
        "thread.push": "thread_push",
        "socket.end": "socket_end",
        "socket.standing": "socket_standing",
        "socket.roles": "socket_roles",
        "thread.evict": "thread_evict",
    }

    async def connect(self) -> None:
        self.joined: list[str] = []
        self.revoked = False
        self.held = False
        self.thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        code, refusal = await database_sync_to_async(self._authorize)()
        await self.accept()
        if code is not None:
            if refusal is not None:
                await self.send_json(refusal)
            await self.close(code=code)
            return
        groups = (
            thread_group(self.thread_id),
            notify_group(self.user_id),
            # Sign-out, password changes, erasure and sanctions (SPEC.md principle 5).
            auth_session_group(self.session_key),
            account_group(self.user_id),
        )
        for group in groups:  # one subscription per group per process (realtime.fanout)
            await fanout.join(self, group)
            self.joined.append(group)
        evicted = await sync_to_async(socket_cap.hold_socket, thread_sensitive=False)(
            self.user_id, self.channel_name
        )
        self.held = True
        for channel_name in evicted:
            await self.channel_layer.send(channel_name, {"type": "thread.evict"})
        await aclose_old_connections()

    def _authorize(self) -> tuple[int | None, dict | None]:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return policy.CLOSE_NOT_SIGNED_IN, None
        thread = Thread.objects.visible_to(user).filter(pk=self.thread_id).only("space_id").first()
        if thread is None:
            return policy.CLOSE_NOT_FOUND, None
        if community_policy.mfa_setup_required(user):
            return policy.CLOSE_NOT_ALLOWED, policy.mfa_required_frame()
        self.user_id = user.pk
        self.space_id = thread.space_id
        self.session_key = self.scope["session"].session_key or ""
        self.session_hash = auth_session_group(self.session_key)
        return None, None

    def _still_visible(self) -> bool:
        user = User.objects.filter(pk=self.user_id, is_active=True).first()
        return (
            user is not None and Thread.objects.visible_to(user).filter(pk=self.thread_id).exists()
        )

    async def disconnect(self, code: int) -> None:
        # FanoutMember.websocket_disconnect has left the groups already.
        self.joined = []
        if self.held:
            self.held = False
            await sync_to_async(socket_cap.release_socket, thread_sensitive=False)(
                self.user_id, self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Nothing to receive: the page only listens."""

    async def _end(self, text: str, code: int) -> None:
        if self.revoked:
            return
        self.revoked = True
        await self.send(text_data=text)
        await self.close(code=code)

    def fanout_waits(self, message: dict) -> bool:
        """A ban or removal in the thread's space, or a change of roles, reads the database: off
        the hub's path."""
        if message.get("type") == "socket.roles":
            return message.get("space_id") in (None, self.space_id)
        return (
            message.get("type") == "socket.standing"
            and message.get("change") in _MAY_HIDE
            and message.get("space_id") == self.space_id
        )

    async def thread_push(self, message: dict) -> None:
        if not self.revoked:
            await self.send_shared(message)  # the frame built once per process

    async def socket_end(self, message: dict) -> None:
        """The sign-in this page was opened with ended (or was renewed): say so and close."""
        if self.session_hash not in message.get("keep", ()):
            await self._end(message["text"], message["code"])

    async def socket_standing(self, message: dict) -> None:
        """A ban or removal in the thread's space closes the page's socket (4403, saying why)
        if the thread is no longer visible to them (a community-visible thread stays visible to
        a removed member); a suspension is told, since a suspended member can still read."""
        if self.revoked:
            return
        change, space_id = message.get("change"), message.get("space_id")
        if change in _MAY_HIDE and space_id == self.space_id:
            if not await database_sync_to_async(self._still_visible)():
                await self._end(message["text"], policy.CLOSE_NOT_ALLOWED)
        elif change == signals.SUSPENDED:
            frame = json.loads(message["text"])
            await self.send_json({**frame, "type": "notice", "code": "suspended"})

    def _closed_by_standing(self, message: dict) -> bool:
        """Whether a sanction's message may close this page (``socket_standing``)."""
        return message.get("change") in _MAY_HIDE and message.get("space_id") == self.space_id

    def _roles_verdict(self) -> tuple[str, int] | None:
        """MFA now needed: the connect's refusal; the thread no longer visible: closed."""
        user = User.objects.filter(pk=self.user_id, is_active=True).first()
        if user is None:
            return None  # erasure and deactivation close the socket themselves
        if community_policy.mfa_setup_required(user):
            return json.dumps(policy.mfa_required_frame()), policy.CLOSE_NOT_ALLOWED
        if not Thread.objects.visible_to(user).filter(pk=self.thread_id).exists():
            frame = {
                "type": "error",
                "code": "forbidden",
                "detail": "You can no longer see this thread.",
            }
            return json.dumps(frame), policy.CLOSE_NOT_ALLOWED
        return None

    async def thread_evict(self, message: dict) -> None:
        """The member opened more thread pages than the cap: the newest socket wins."""
        cap = settings.THREAD_MAX_SOCKETS_PER_MEMBER
        frame = {
            "type": "notice",
            "detail": f"You have thread pages open in more than {cap} places, so this one "
            "has stopped updating live. Reload it to see new replies.",
        }
        await self._end(json.dumps(frame), policy.CLOSE_NOT_ALLOWED)
