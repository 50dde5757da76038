"""The live room's WebSocket consumer (``/ws/live/<id>/``).

Thin like views: authorize in ``connect`` with the same policy as HTTP, hand every command to a
service in a worker thread, and turn refusals into ``error`` frames (SPEC.md "WebSocket
protocol"). Each connection delivers stored events in ``seq`` order without gaps: a broadcast
that arrives ahead of one the layer lost or delayed is preceded by the missing events, read back
from the database.
"""

from __future__ import annotations

import json
import logging

from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from community import policy as community_policy
from community.http import guidelines_url
from community.policy import GuidelinesRequired

from . import policy, selectors, services
from .broadcast import (
    encode,
    member_group,
    moderators_group,
    session_group,
)
from .models import LiveSession
from .policy import LiveRefusal
from .sockets import LeanLayerDispatch, database_sync_to_async

logger = logging.getLogger(__name__)


def _error(code: str, detail: str, client_msg_id=None, **extra) -> dict:
    return {
        "type": "error",
        "code": code,
        "detail": detail,
        "client_msg_id": client_msg_id,
        **extra,
    }


class LiveSessionConsumer(LeanLayerDispatch, AsyncJsonWebsocketConsumer):
    groups: list[str] = []
    LAYER_HANDLERS = {
        "live.event": "live_event",
        "live.push": "live_push",
        "live.control": "live_control",
    }

    # -- connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        self.user = None
        self.sees_authors = False
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.cursor: int | None = None  # highest seq sent to this client; None before hello
        self.joined: list[str] = []
        self.present = False
        # Accept first: the handshake must not wait for the database (daphne drops handshakes
        # that take over 5 s, which a burst of connects can reach); frames the client sends
        # meanwhile wait until this handler returns.
        await self.accept()
        code = await database_sync_to_async(self._authorize)()
        if code is not None:
            await self.close(code=code)
            return
        await database_sync_to_async(services.join_presence)(
            user=self.user, session_id=self.session_id, channel_name=self.channel_name
        )
        self.present = True
        groups = [session_group(self.session_id), member_group(self.session_id, self.user.pk)]
        if self.sees_authors:
            groups.append(moderators_group(self.session_id))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await aclose_old_connections()

    def _authorize(self) -> int | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return policy.CLOSE_NOT_SIGNED_IN
        # Resolve the lazy user once, here, so no later access touches the database.
        user = getattr(user, "_wrapped", user)
        code, session = policy.connect_refusal(user, self.session_id)
        self.user = user
        # The space's moderators and staff see who wrote anonymous messages and questions.
        self.sees_authors = session is not None and community_policy.can_moderate_space(
            user, session.space
        )
        return code

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.present:
            self.present = False
            await database_sync_to_async(services.leave_presence)(
                user=self.user, session_id=self.session_id, channel_name=self.channel_name
            )
        self.joined = []
        await aclose_old_connections()

    # -- frames from the client ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.joined:
            return
        if text_data is None:
            await self.send_json(_error("invalid", "Send JSON text frames."))
            return
        if len(text_data.encode("utf-8")) > settings.LIVE_FRAME_MAX_BYTES:
            await self.send_json(
                _error("too_long", f"Frames can be at most {settings.LIVE_FRAME_MAX_BYTES} bytes.")
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_json(_error("invalid", "That frame is not valid JSON."))
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_json(_error("invalid", "Each frame must be a JSON object with a type."))
            return
        handler = self.COMMANDS.get(content["type"])
        if handler is None:
            await self.send_json(_error("invalid", f"Unknown type {content['type'][:40]!r}."))
            return
        client_msg_id = content.get("client_msg_id")
        if not isinstance(client_msg_id, str):
            client_msg_id = None
        try:
            await handler(self, content)
        except KeyError as exc:
            await self.send_json(_error("invalid", f"Missing field {exc.args[0]}.", client_msg_id))
        except LiveRefusal as exc:
            await self.send_json(_error(exc.code, exc.detail, client_msg_id, **exc.extra))
            if exc.close:
                await self.close(code=exc.close)
        except Http404:
            await self.send_json(_error("forbidden", "This session is no longer available to you."))
            await self.close(code=policy.CLOSE_NOT_FOUND)
        except PermissionDenied as exc:
            await self.send_json(_error("forbidden", str(exc) or "Not allowed.", client_msg_id))
        except ValidationError as exc:
            await self.send_json(_error("invalid", " ".join(exc.messages), client_msg_id))
        except LiveSession.DoesNotExist:
            await self.send_json(_error("forbidden", "This session no longer exists."))
            await self.close(code=policy.CLOSE_NOT_FOUND)

    async def _service(self, fn, **kwargs):
        return await database_sync_to_async(self._call)(fn, kwargs)

    def _call(self, fn, kwargs: dict):
        try:
            return fn(actor=self.user, session=LiveSession(pk=self.session_id), **kwargs)
        except GuidelinesRequired as exc:
            # The composer keeps the text; the frame links the page where they accept them,
            # which sends them back to this room.
            back = reverse("live_room", args=[self.session_id])
            raise LiveRefusal(
                "guidelines", str(exc.args[0]), url=guidelines_url(exc.version, back)
            ) from exc

    async def cmd_hello(self, content: dict) -> None:
        after = content.get("after_seq", 0)
        if after is None:
            after = 0
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise LiveRefusal("invalid", "after_seq must be a whole number, 0 or more.")
        welcome, frames, resync = await database_sync_to_async(self._hello)(after)
        await self.send(text_data=encode(welcome))
        if resync is not None:
            await self.send(text_data=encode(resync))
        for frame in frames:
            await self.send(text_data=encode(frame))
        self.cursor = welcome["last_seq"]

    def _hello(self, after: int):
        session = LiveSession.objects.select_related("space").get(pk=self.session_id)
        policy.check_in_room(self.user, session)
        cap = selectors.backfill_cap()
        welcome = {
            "type": "welcome",
            "last_seq": session.last_seq,
            "session": session.state(),
            "you": {
                **selectors.person(self.user),
                "facilitator": policy.can_facilitate(self.user, session),
            },
            "present": selectors.present(session.pk),
            "hands": selectors.hands(session.pk),
        }
        if session.last_seq - min(after, session.last_seq) > cap:
            start = session.last_seq - cap // 2
            resync = {"type": "resync", "last_seq": session.last_seq, "from_seq": start}
            after = start
        else:
            resync = None
        frames = selectors.events_after(session.pk, after, until_seq=session.last_seq, limit=cap)
        if self.sees_authors and frames:
            frames += selectors.reveals_after(
                session.pk, after, until_seq=frames[-1].get("seq", session.last_seq)
            )
        return welcome, frames, resync

    async def cmd_message_send(self, content: dict) -> None:
        event, _ = await self._service(
            services.send_live_message,
            body=content["body"],
            client_msg_id=content["client_msg_id"],
            reply_to=content.get("reply_to"),
        )
        await self.send_json(
            {"type": "ack", "client_msg_id": event.client_msg_id, "seq": event.seq}
        )

    async def cmd_question_ask(self, content: dict) -> None:
        event, _ = await self._service(
            services.ask_question,
            body=content["body"],
            client_msg_id=content["client_msg_id"],
            anonymous=content.get("anonymous", False),
        )
        await self.send_json(
            {"type": "ack", "client_msg_id": event.client_msg_id, "seq": event.seq}
        )

    async def cmd_question_upvote(self, content: dict) -> None:
        await self._service(services.upvote_question, seq=content["seq"])

    async def cmd_hand_raise(self, content: dict) -> None:
        await self._service(services.raise_hand)

    async def cmd_hand_lower(self, content: dict) -> None:
        await self._service(services.lower_hand, user_id=content.get("user_id"))

    async def cmd_flag(self, content: dict) -> None:
        await self._service(services.flag_event, seq=content["seq"], reason=content["reason"])
        await self.send_json({"type": "flag.received", "seq": content["seq"]})

    async def cmd_session_open(self, content: dict) -> None:
        await self._service(services.open_session)

    async def cmd_session_start(self, content: dict) -> None:
        await self._service(services.start_session)

    async def cmd_session_end(self, content: dict) -> None:
        await self._service(services.end_session)

    async def cmd_chat_lock(self, content: dict) -> None:
        await self._service(services.lock_chat)

    async def cmd_chat_unlock(self, content: dict) -> None:
        await self._service(services.unlock_chat)

    async def cmd_slow_mode(self, content: dict) -> None:
        await self._service(services.set_slow_mode, seconds=content["seconds"])

    async def cmd_prompt_pin(self, content: dict) -> None:
        await self._service(services.pin_prompt, prompt=content["prompt"])

    async def cmd_message_remove(self, content: dict) -> None:
        await self._service(
            services.remove_message, seq=content["seq"], reason=content.get("reason", "")
        )

    async def cmd_participant_mute(self, content: dict) -> None:
        await self._service(
            services.mute_participant,
            user_id=content["user_id"],
            minutes=content.get("minutes", 30),
            reason=content.get("reason", ""),
        )

    async def cmd_participant_unmute(self, content: dict) -> None:
        await self._service(
            services.unmute_participant,
            user_id=content["user_id"],
            reason=content.get("reason", ""),
        )

    async def cmd_participant_remove(self, content: dict) -> None:
        await self._service(
            services.remove_participant,
            user_id=content["user_id"],
            reason=content.get("reason", ""),
        )

    async def cmd_question_spotlight(self, content: dict) -> None:
        await self._service(services.spotlight_question, seq=content["seq"])

    async def cmd_ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    COMMANDS = {
        "hello": cmd_hello,
        "backfill": cmd_hello,
        "ping": cmd_ping,
        "message.send": cmd_message_send,
        "question.ask": cmd_question_ask,
        "question.upvote": cmd_question_upvote,
        "hand.raise": cmd_hand_raise,
        "hand.lower": cmd_hand_lower,
        "flag": cmd_flag,
        "session.open": cmd_session_open,
        "session.start": cmd_session_start,
        "session.end": cmd_session_end,
        "chat.lock": cmd_chat_lock,
        "chat.unlock": cmd_chat_unlock,
        "slow_mode.set": cmd_slow_mode,
        "prompt.pin": cmd_prompt_pin,
        "message.remove": cmd_message_remove,
        "participant.mute": cmd_participant_mute,
        "participant.unmute": cmd_participant_unmute,
        "participant.remove": cmd_participant_remove,
        "question.spotlight": cmd_question_spotlight,
    }

    # -- messages from the channel layer ------------------------------------------------------

    async def live_event(self, message: dict) -> None:
        """A stored event: deliver in order, filling any gap from the database first."""
        if self.cursor is None:
            return  # before hello: the replay reads it from the database
        seq = message["seq"]
        if seq <= self.cursor:
            return
        if seq > self.cursor + 1:
            missing = seq - 1 - self.cursor
            if missing > selectors.backfill_cap():
                await self.send_json({"type": "resync", "last_seq": seq, "from_seq": seq - 1})
            else:
                frames = await database_sync_to_async(selectors.events_after)(
                    self.session_id, self.cursor, until_seq=seq - 1, limit=missing
                )
                for frame in frames:
                    await self.send(text_data=encode(frame))
        await self.send(text_data=message["text"])
        self.cursor = seq

    async def live_push(self, message: dict) -> None:
        """Presence, hands and upvote counts: state, not stream (no seq)."""
        if self.cursor is not None:
            await self.send(text_data=message["text"])

    async def live_control(self, message: dict) -> None:
        await self.send(text_data=message["text"])
        if message.get("action") == "kick":
            await self.close(code=policy.CLOSE_NOT_ALLOWED)
