"""The live room's WebSocket consumer (``/ws/live/<id>/``).

Thin like views: authorize in ``connect`` with the same policy as HTTP, hand every command to a
service in a worker thread, and turn refusals into ``error`` frames (SPEC.md "WebSocket
protocol"). Each connection delivers stored events in ``seq`` order without gaps: a broadcast
that arrives ahead of one the layer lost or delayed is preceded by the missing events, read back
from the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signals import setting_changed
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from community import policy as community_policy
from community.http import guidelines_url
from community.models import User
from community.policy import GuidelinesRequired

from . import breakouts, fanout, policy, selectors, services
from .broadcast import (
    account_group,
    auth_session_group,
    backchannel_group,
    breakout_group,
    encode,
    facilitators_group,
    member_group,
    moderators_group,
    participants_group,
    session_group,
)
from .fanout import FanoutMember
from .models import HeldQuestion, LiveSession
from .policy import LiveRefusal
from .sockets import ReadsRolesAgain, database_sync_to_async

logger = logging.getLogger(__name__)


def _error(code: str, detail: str, client_msg_id=None, **extra) -> dict:
    return {
        "type": "error",
        "code": code,
        "detail": detail,
        "client_msg_id": client_msg_id,
        **extra,
    }


def _unstorable_text(content) -> str | None:
    """Why a parsed frame holds text no database can store, or None.

    JSON may spell a lone surrogate (``"\\ud800"``), which is not UTF-8, and NUL, which
    PostgreSQL text refuses; either would fail only at the write, closing the socket with 1011.
    Walked without recursion: the frame may be nested as deep as the parser allows.
    """
    pending = [content]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "Frames cannot contain NUL characters (\\u0000): remove them and send again."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "Frames must be valid Unicode text: this one has a lone surrogate."
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def _muted(refusal: LiveRefusal | None) -> dict | None:
    if refusal is None:
        return None
    return {"until": refusal.extra["until"], "detail": refusal.detail}


# Presence is coalesced: the first change in a room starts a one-second window (a cache key,
# shared by every process when REDIS_URL is set); when it ends, one snapshot goes out.
PRESENCE_WINDOW_SECONDS = 1.0

_process_cache = None


def presence_cache():
    """The process's one client of the default cache. ``django.core.cache.cache`` is one per
    asyncio context, so each socket had its own, and with Redis its own connection: a TCP
    connect per join and per leave (issue 17). Redis and locmem clients are thread-safe."""
    global _process_cache
    if _process_cache is None:
        _process_cache = caches.create_connection(DEFAULT_CACHE_ALIAS)
    return _process_cache


def _caches_changed(*, setting, **kwargs) -> None:
    global _process_cache
    if setting == "CACHES":
        _process_cache = None


setting_changed.connect(_caches_changed)


def _presence_snapshot(session_id: int, key: str) -> list[tuple[str, dict]]:
    cache = presence_cache()
    cache.delete(f"{key}.pending")
    frames, people = selectors.presence_frames(session_id, cache.get(f"{key}.last") or [])
    cache.set(f"{key}.last", people, timeout=24 * 3600)
    return frames


async def _flush_presence(layer, session_id: int, key: str) -> None:
    try:
        frames = await database_sync_to_async(_presence_snapshot)(session_id, key)
        groups = {
            "all": session_group(session_id),
            "facilitators": facilitators_group(session_id),
            "participants": participants_group(session_id),
        }
        for audience, frame in frames:
            await layer.group_send(groups[audience], {"type": "live.push", "text": encode(frame)})
    except Exception:  # a hint only: every welcome reads presence again
        logger.exception("Presence for live session %s failed", session_id)


def presence_window_opened(key: str) -> bool:
    """Note that someone came or went (call in a worker thread): True when this change opens
    the room's window, so the caller schedules the one snapshot at its end."""
    return presence_cache().add(f"{key}.pending", 1, timeout=int(PRESENCE_WINDOW_SECONDS * 10))


def schedule_presence(layer, session_id: int, key: str) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(
        PRESENCE_WINDOW_SECONDS,
        lambda: loop.create_task(_flush_presence(layer, session_id, key)),
    )


def _breakout_after(content: dict) -> dict[int, int]:
    """The hello's ``breakout_after``: room id (a JSON key, so text) -> the last seq held."""
    raw = content.get("breakout_after") or {}
    if not isinstance(raw, dict):
        raise LiveRefusal("invalid", "breakout_after must map room ids to seq numbers.")
    after: dict[int, int] = {}
    for key, value in raw.items():
        if not str(key).isdigit() or isinstance(value, bool) or not isinstance(value, int):
            raise LiveRefusal("invalid", "breakout_after must map room ids to seq numbers.")
        if value < 0:
            raise LiveRefusal("invalid", "breakout_after must map room ids to seq numbers.")
        after[int(key)] = value
    return after


async def _close_breakouts_if_due(session_id: int) -> None:
    try:
        await database_sync_to_async(breakouts.close_if_due)(session_id)
    except Exception:  # the next socket's timer, command or hello closes it
        logger.exception("Closing the breakout rooms of live session %s failed", session_id)


class LiveSessionConsumer(ReadsRolesAgain, FanoutMember, AsyncJsonWebsocketConsumer):
    groups: list[str] = []
    LAYER_HANDLERS = {
        "live.event": "live_event",
        "live.push": "live_push",
        "live.control": "live_control",
        "socket.end": "socket_end",
        "socket.standing": "socket_standing",
        "socket.roles": "socket_roles",
        "breakout.event": "breakout_event",
        "breakout.push": "breakout_push",
        "breakout.join": "breakout_join",
        "breakout.leave": "breakout_leave",
    }

    async def dispatch(self, message: dict) -> None:
        """As channels' (and realtime.fanout's), without the ``close_old_connections`` thread
        hop channels takes before every handler: all of this consumer's database work runs in
        ``database_sync_to_async`` calls, which close their connections themselves (two hops
        fewer per join: its connect and its hello)."""
        if message["type"] in self.LAYER_HANDLERS:
            await self.fanout_deliver(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # -- connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        self.user = None
        self.sees_authors = False
        self.facilitating = False
        self.backchannel = False
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.space_id: int | None = None
        self.cursor: int | None = None  # highest seq sent to this client; None before hello
        self.joined: list[str] = []
        self.present = False
        # Set once the member may no longer be here: nothing more is forwarded to this socket,
        # even in the moment between the refusal and the close.
        self.revoked = False
        # Accept first: the handshake must not wait for the database (daphne drops handshakes
        # that take over 5 s, which a burst of connects can reach); frames the client sends
        # meanwhile wait until this handler returns.
        await self.accept()
        # One worker call for the sign-in, the authorization and the presence row (issue 17).
        code, refusal, window_opened = await database_sync_to_async(self._admit)()
        if code is not None:
            if refusal is not None:
                await self.send_json(refusal)
            await self.close(code=code)
            return
        if window_opened:
            schedule_presence(self.channel_layer, self.session_id, self.presence_key)
        self.present = True
        groups = [
            session_group(self.session_id),
            member_group(self.session_id, self.user.pk),
            # Sign-out, password changes and erasure reach sockets by session and by account;
            # sanctions by account, each socket deciding whether they concern its room.
            self.session_hash,
            account_group(self.user.pk),
        ]
        if self.sees_authors:
            groups.append(moderators_group(self.session_id))
        if self.facilitating:
            groups.append(facilitators_group(self.session_id))
        if self.backchannel:
            groups.append(backchannel_group(self.session_id))
        if not self.facilitating:
            groups.append(participants_group(self.session_id))
        for group in groups:  # one subscription per group per process (realtime.fanout)
            await fanout.join(self, group)
            self.joined.append(group)

    def _admit(self) -> tuple[int | None, dict | None, bool]:
        """``connect``'s worker call: the close code and its frame (see :meth:`_authorize`),
        and whether recording the socket opened the room's presence window."""
        code, refusal = self._authorize()
        if code is not None:
            return code, refusal, False
        return None, None, self._join()

    def _authorize(self) -> tuple[int | None, dict | None]:
        """The close code (and the frame that explains it, if any) or ``(None, None)``."""
        # The sign-in is read here, not by channels' AuthMiddleware (community.asgi skips the
        # live rooms): the same checks, in this worker call instead of a thread hop of its own.
        self.session_key = self.scope["session"].session_key
        user, _ = policy.socket_sign_in(self.session_key)
        if user is None:
            return policy.CLOSE_NOT_SIGNED_IN, None
        self.session_hash = auth_session_group(self.session_key or "")
        code, session, refusal = policy.connect_refusal(user, self.session_id)
        self.user = user
        if code is not None:
            return code, refusal
        if community_policy.mfa_setup_required(user):
            return policy.CLOSE_NOT_ALLOWED, policy.mfa_required_frame()
        self.space_id = session.space_id
        # The space's moderators and staff see who wrote anonymous messages and questions.
        # Facilitators (and the space's moderators and staff) share the backchannel.
        self.sees_authors, self.facilitating, self.backchannel = policy.room_roles(user, session)
        # Named by the session's creation too, so a snapshot left by a deleted session with the
        # same id is never diffed against.
        self.presence_key = f"live.presence.{session.pk}.{int(session.created_at.timestamp())}"
        return None, None

    def _join(self) -> bool:
        services.join_presence(
            user=self.user, session_id=self.session_id, channel_name=self.channel_name
        )
        return presence_window_opened(self.presence_key)

    def _leave(self) -> bool:
        services.leave_presence(
            user=self.user, session_id=self.session_id, channel_name=self.channel_name
        )
        return presence_window_opened(self.presence_key)

    def _standing(self):
        """The member, read again (sign-in, account, suspension); raises a closing refusal."""
        self.user = policy.check_socket_member(self.user.pk, self.session_key)
        return self.user

    async def _end(self, text: str, code: int) -> None:
        """Say why, then close: from now on nothing else reaches this socket."""
        if self.revoked:
            return
        self.revoked = True
        await self.send(text_data=text)
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        # FanoutMember.websocket_disconnect has left the groups already.
        if self.present:
            self.present = False
            if await database_sync_to_async(self._leave)():
                schedule_presence(self.channel_layer, self.session_id, self.presence_key)
        self.joined = []

    # -- frames from the client ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.joined or self.revoked:
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
        except RecursionError:
            await self.send_json(_error("invalid", "That frame is nested too deeply."))
            return
        except ValueError:
            await self.send_json(_error("invalid", "That frame is not valid JSON."))
            return
        problem = _unstorable_text(content)
        if problem is not None:
            client_msg_id = content.get("client_msg_id") if isinstance(content, dict) else None
            if not isinstance(client_msg_id, str) or _unstorable_text(client_msg_id):
                client_msg_id = None
            await self.send_json(_error("invalid", problem, client_msg_id))
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
            frame = _error(exc.code, exc.detail, client_msg_id, **exc.extra)
            if exc.close:
                await self._end(encode(frame), exc.close)
            else:
                await self.send_json(frame)
        except Http404:
            frame = _error("forbidden", "This session is no longer available to you.")
            await self._end(encode(frame), policy.CLOSE_NOT_FOUND)
        except PermissionDenied as exc:
            await self.send_json(_error("forbidden", str(exc) or "Not allowed.", client_msg_id))
        except ValidationError as exc:
            await self.send_json(_error("invalid", " ".join(exc.messages), client_msg_id))
        except LiveSession.DoesNotExist:
            frame = _error("forbidden", "This session no longer exists.")
            await self._end(encode(frame), policy.CLOSE_NOT_FOUND)

    async def _service(self, fn, **kwargs):
        return await database_sync_to_async(self._call)(fn, kwargs)

    def _call(self, fn, kwargs: dict):
        actor = self._standing()
        try:
            return fn(actor=actor, session=LiveSession(pk=self.session_id), **kwargs)
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
        backchannel_after = content.get("backchannel_after", 0) or 0
        if (
            isinstance(backchannel_after, bool)
            or not isinstance(backchannel_after, int)
            or backchannel_after < 0
        ):
            raise LiveRefusal("invalid", "backchannel_after must be a whole number, 0 or more.")
        self.backchannel_after = backchannel_after
        breakout_after = _breakout_after(content)
        hello = await database_sync_to_async(self._hello)(after)
        if hello is None:  # the roles read at connect changed since: authorize afresh
            await self._end(encode(policy.ROLES_CHANGED), policy.CLOSE_RECONNECT)
            return
        welcome, frames, resync, extras = hello
        await self.send(text_data=encode(welcome))
        if resync is not None:
            await self.send(text_data=encode(resync))
        for frame in frames:
            await self.send(text_data=encode(frame))
        self.cursor = welcome["last_seq"]
        for frame in extras:
            await self.send(text_data=encode(frame))
        await self._breakout_hello(breakout_after)

    def _hello(self, after: int):
        self._standing()
        # One query for the session, the member's removal and facilitation, and whether the
        # room has polls, held questions and hands at all (constant queries per join).
        session = policy.room_session(self.user, self.session_id, flags=True)
        if session is None:
            raise LiveSession.DoesNotExist
        policy.check_in_room(self.user, session)
        # The groups were joined with the roles read at connect; a change committed since then
        # and before the groups were joined never reached this socket (realtime.receivers).
        # Read from the membership the line above cached: no query more.
        roles = policy.room_roles(self.user, session)
        if roles != (self.sees_authors, self.facilitating, self.backchannel):
            return None
        cap = selectors.backfill_cap()
        facilitating = roles[1]
        welcome = {
            "type": "welcome",
            "last_seq": session.last_seq,
            "session": session.state(),
            "you": {
                **selectors.person(self.user),
                "facilitator": facilitating,
                # A mute set while this client was away: the composer shows it at once.
                "muted": _muted(policy.mute_refusal(self.user, session)),
            },
            **selectors.presence_for(session.pk, facilitating=facilitating),
            "hands": selectors.hands(session.pk) if session._has_hands else [],
        }
        if session.last_seq - min(after, session.last_seq) > cap:
            start = session.last_seq - cap // 2
            resync = {"type": "resync", "last_seq": session.last_seq, "from_seq": start}
            after = start
        else:
            resync = None
        attributed = policy.shows_attribution(session)
        frames = (
            selectors.events_after(
                session.pk, after, until_seq=session.last_seq, limit=cap, attributed=attributed
            )
            if session.last_seq > after
            else []
        )
        if self.sees_authors and attributed and frames:
            frames += selectors.reveals_after(
                session.pk, after, until_seq=frames[-1].get("seq", session.last_seq)
            )
        # Not stream: poll results this member may see, their own votes, and (facilitators)
        # the open reports on messages; sent after the replay, so each refers to a known seq.
        extras = (
            selectors.poll_state_for(
                session.pk, self.user, facilitating=facilitating, replayed_after=after
            )
            if session._has_polls
            else []
        )
        extras += selectors.held_state_for(
            session, self.user, facilitating=facilitating, attributed=attributed
        )
        if facilitating:
            extras += selectors.open_reports(session.pk)
        # Read again, as for every command: only those allowed it now get the backchannel.
        # Closed at the end, and then not replayed: after a Chatham House session nothing
        # names anyone, and the backchannel is only ever for running the session.
        if (
            self.backchannel
            and session.status != LiveSession.Status.ENDED
            and policy.can_use_backchannel(self.user, session)
        ):
            extras += selectors.backchannel_after(session.pk, getattr(self, "backchannel_after", 0))
        self.breakout_state = breakouts.hello_state(self.user, session, visitor=self.backchannel)
        return welcome, frames, resync, extras

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
        asked, _ = await self._service(
            services.ask_question,
            body=content["body"],
            client_msg_id=content["client_msg_id"],
            anonymous=content.get("anonymous", False),
        )
        if isinstance(asked, HeldQuestion):
            # Stored, but not in the stream yet: no seq until a facilitator approves it.
            await self.send_json(
                {
                    "type": "ack",
                    "client_msg_id": asked.client_msg_id,
                    "seq": None,
                    "waiting": asked.pk,
                }
            )
            return
        await self.send_json(
            {"type": "ack", "client_msg_id": asked.client_msg_id, "seq": asked.seq}
        )

    async def cmd_backchannel_send(self, content: dict) -> None:
        message, _ = await self._service(
            services.send_backchannel,
            body=content["body"],
            client_msg_id=content["client_msg_id"],
        )
        await self.send_json(
            {
                "type": "ack",
                "client_msg_id": message.client_msg_id,
                "seq": None,
                "backchannel": message.pk,
            }
        )

    async def cmd_question_approve(self, content: dict) -> None:
        await self._service(services.approve_question, held_id=content["id"])

    async def cmd_question_merge(self, content: dict) -> None:
        await self._service(
            services.merge_question, held_id=content["id"], into_seq=content["into_seq"]
        )

    async def cmd_question_decline(self, content: dict) -> None:
        await self._service(
            services.decline_question, held_id=content["id"], reason=content.get("reason", "")
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

    async def cmd_poll_open(self, content: dict) -> None:
        poll, _ = await self._service(
            services.open_poll,
            question=content["question"],
            options=content["options"],
            client_msg_id=content["client_msg_id"],
        )
        await self.send_json({"type": "ack", "client_msg_id": poll.client_msg_id, "seq": poll.seq})

    async def cmd_poll_vote(self, content: dict) -> None:
        await self._service(
            services.vote_in_poll, poll_id=content["poll_id"], option=content["option"]
        )

    async def cmd_poll_close(self, content: dict) -> None:
        await self._service(services.close_poll, poll_id=content["poll_id"])

    async def cmd_ping(self, content: dict) -> None:
        await database_sync_to_async(self._still_in_room)()
        await self.send_json({"type": "pong"})

    def _still_in_room(self) -> None:
        user = self._standing()
        policy.check_in_room(
            user, LiveSession.objects.select_related("space").get(pk=self.session_id)
        )

    # -- breakout rooms (realtime.breakouts): each room its own group and its own seq ----------

    def _breakout_cursors(self) -> dict[int, int]:
        """room id -> highest room seq sent; only rooms this socket reads (placed or visiting)."""
        if not hasattr(self, "breakout_cursors"):
            self.breakout_cursors = {}
        return self.breakout_cursors

    async def _join_room(self, room_id: int) -> None:
        cursors = self._breakout_cursors()
        if room_id in cursors:
            return
        group = breakout_group(self.session_id, room_id)
        await fanout.join(self, group)
        self.joined.append(group)
        cursors[room_id] = 0

    async def _leave_room(self, room_id: int) -> None:
        group = breakout_group(self.session_id, room_id)
        await fanout.leave(self, group)
        if group in self.joined:
            self.joined.remove(group)
        self._breakout_cursors().pop(room_id, None)

    async def _send_room_frames(self, room_id: int, frames: list[dict]) -> None:
        cursors = self._breakout_cursors()
        for frame in frames:
            if frame.get("type") == "breakout.message":
                if frame["seq"] <= cursors.get(room_id, 0):
                    continue
                cursors[room_id] = frame["seq"]
            await self.send(text_data=encode(frame))

    def _schedule_breakout_close(self, ends_at) -> None:
        """When time is up, close the round (idempotent: whichever socket is first). Members'
        sockets wait a little longer, so the facilitators' usually do it."""
        timer = getattr(self, "breakout_timer", None)
        if timer is not None:
            timer.cancel()
        delay = max(0.0, (ends_at - timezone.now()).total_seconds())
        if not self.facilitating:
            delay += 2.0
        loop = asyncio.get_running_loop()
        self.breakout_timer = loop.call_later(
            delay, lambda: loop.create_task(_close_breakouts_if_due(self.session_id))
        )

    async def _breakout_hello(self, after: dict[int, int]) -> None:
        # Read in the hello's own worker call (_hello), so a hello costs no extra thread hop.
        state = self.breakout_state
        room_id = state["room"]
        if not self.backchannel:  # not a visitor: only ever the room they are placed in
            for stale in [r for r in self._breakout_cursors() if r != room_id]:
                await self._leave_room(stale)
        for frame in state["frames"]:
            await self.send(text_data=encode(frame))
        if room_id is not None:
            # Join the room's group first, then read its stream: nothing falls between.
            await self._join_room(room_id)
            self._breakout_cursors()[room_id] = after.get(room_id, 0)
            frames = await database_sync_to_async(breakouts.messages_after)(
                room_id, after.get(room_id, 0)
            )
            await self._send_room_frames(room_id, frames + state["after"])
        if state["ends_at"] is not None:
            self._schedule_breakout_close(state["ends_at"])

    async def cmd_breakout_open(self, content: dict) -> None:
        round_, _ = await self._service(
            breakouts.open_breakouts,
            rooms=content["rooms"],
            duration_minutes=content["duration_minutes"],
            client_msg_id=content["client_msg_id"],
        )
        await self.send_json(
            {
                "type": "ack",
                "client_msg_id": round_.client_msg_id,
                "seq": round_.open_seq,
                "round_id": round_.pk,
            }
        )
        self._schedule_breakout_close(round_.ends_at)

    async def cmd_breakout_close(self, content: dict) -> None:
        await self._service(breakouts.close_breakouts)

    async def cmd_breakout_call(self, content: dict) -> None:
        if not await self._service(breakouts.call_facilitator):
            await self.send_json(
                {"type": "breakout.call.sent", "detail": "A facilitator has already been called."}
            )

    async def cmd_breakout_send(self, content: dict) -> None:
        message, _ = await self._service(
            breakouts.send_message,
            body=content["body"],
            client_msg_id=content["client_msg_id"],
            room_id=content.get("room_id"),
        )
        await self.send_json(
            {
                "type": "ack",
                "client_msg_id": message.client_msg_id,
                "seq": message.seq,
                "room_id": message.room_id,
            }
        )

    async def cmd_breakout_message_remove(self, content: dict) -> None:
        await self._service(
            breakouts.remove_message,
            room_id=content["room_id"],
            seq=content["seq"],
            reason=content.get("reason", ""),
        )

    async def cmd_breakout_flag(self, content: dict) -> None:
        await self._service(
            breakouts.flag_message,
            room_id=content["room_id"],
            seq=content["seq"],
            reason=content["reason"],
        )
        await self.send_json(
            {"type": "flag.received", "room_id": content["room_id"], "seq": content["seq"]}
        )

    async def cmd_breakout_hand_raise(self, content: dict) -> None:
        await self._service(breakouts.raise_hand)

    async def cmd_breakout_hand_lower(self, content: dict) -> None:
        await self._service(breakouts.lower_hand, user_id=content.get("user_id"))

    async def cmd_breakout_visit(self, content: dict) -> None:
        after = content.get("after_seq", 0) or 0
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise LiveRefusal("invalid", "after_seq must be a whole number, 0 or more.")
        room = await self._service(breakouts.visit, room_id=content["room_id"])
        # One room visited at a time: leave the one visited before.
        for other in list(self._breakout_cursors()):
            if other != room.pk:
                await self._leave_room(other)
        await self._join_room(room.pk)
        self._breakout_cursors()[room.pk] = after
        frames = await database_sync_to_async(breakouts.visit_frames)(room, after)
        await self._send_room_frames(room.pk, frames)

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
        "backchannel.send": cmd_backchannel_send,
        "question.approve": cmd_question_approve,
        "question.merge": cmd_question_merge,
        "question.decline": cmd_question_decline,
        "poll.open": cmd_poll_open,
        "poll.vote": cmd_poll_vote,
        "poll.close": cmd_poll_close,
        "breakout.open": cmd_breakout_open,
        "breakout.close": cmd_breakout_close,
        "breakout.call": cmd_breakout_call,
        "breakout.send": cmd_breakout_send,
        "breakout.message.remove": cmd_breakout_message_remove,
        "breakout.flag": cmd_breakout_flag,
        "breakout.hand.raise": cmd_breakout_hand_raise,
        "breakout.hand.lower": cmd_breakout_hand_lower,
        "breakout.visit": cmd_breakout_visit,
    }

    # -- messages from the channel layer (each group's, via the process's hub) ---------------

    def fanout_waits(self, message: dict) -> bool:
        """A stored event past a gap is preceded by the missing events, read from the database:
        that one waits in this socket's backlog (in order) instead of holding up the hub. So
        does a change of roles, which reads them again (before ``hello`` too)."""
        if message.get("type") == "socket.roles":
            return not self.revoked
        if self.cursor is None or self.revoked:
            return False
        kind = message.get("type")
        if kind == "live.event":
            return message["seq"] > self.cursor + 1
        if kind == "breakout.event":
            room = self._breakout_cursors().get(message["room_id"])
            return room is not None and message["seq"] > room + 1
        # Placed in a room: it reads what the room already holds.
        return kind == "breakout.join"

    async def live_event(self, message: dict) -> None:
        """A stored event: deliver in order, filling any gap from the database first."""
        if self.cursor is None or self.revoked:
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
        await self.send_shared(message)
        self.cursor = seq

    async def breakout_event(self, message: dict) -> None:
        """A stored message of a breakout room: only to sockets reading that room, in its own
        seq order, any gap filled from the database first."""
        cursors = self._breakout_cursors()
        room_id = message["room_id"]
        if self.cursor is None or self.revoked or room_id not in cursors:
            return
        seq = message["seq"]
        if seq <= cursors[room_id]:
            return
        if seq > cursors[room_id] + 1:
            frames = await database_sync_to_async(breakouts.messages_after)(
                room_id, cursors[room_id], until_seq=seq - 1
            )
            await self._send_room_frames(room_id, frames)
        await self.send_shared(message)
        cursors[room_id] = seq

    async def breakout_push(self, message: dict) -> None:
        """A room's hands and calls: state, not stream."""
        if (
            self.cursor is not None
            and not self.revoked
            and message["room_id"] in (self._breakout_cursors())
        ):
            await self.send_shared(message)

    async def breakout_join(self, message: dict) -> None:
        """This member was placed in a room: join its group, then read what it already holds."""
        if self.cursor is None or self.revoked:
            return  # before hello: the hello places it
        room_id = message["room_id"]
        await self._join_room(room_id)
        await self.send(text_data=message["text"])
        frames = await database_sync_to_async(breakouts.messages_after)(
            room_id, self._breakout_cursors()[room_id]
        )
        await self._send_room_frames(room_id, frames)
        ends_at = json.loads(message["text"]).get("ends_at")
        if ends_at:
            self._schedule_breakout_close(datetime.fromisoformat(ends_at))

    async def breakout_leave(self, message: dict) -> None:
        """The round closed: leave every room's group (the notice is in the main stream)."""
        for room_id in list(self._breakout_cursors()):
            await self._leave_room(room_id)
        timer = getattr(self, "breakout_timer", None)
        if timer is not None:
            timer.cancel()
            self.breakout_timer = None

    async def live_push(self, message: dict) -> None:
        """Presence, hands and upvote counts: state, not stream (no seq)."""
        if self.cursor is not None and not self.revoked:
            await self.send_shared(message)

    async def live_control(self, message: dict) -> None:
        if message.get("action") == "kick":
            await self._end(message["text"], policy.CLOSE_NOT_ALLOWED)
        elif not self.revoked:
            await self.send(text_data=message["text"])

    async def socket_end(self, message: dict) -> None:
        """The sign-in this socket was opened with ended (or was renewed): say so and close."""
        if self.session_hash not in message.get("keep", ()):
            await self._end(message["text"], message["code"])

    def _closed_by_standing(self, message: dict) -> bool:
        """Whether a sanction's message closes this room (``socket_standing``)."""
        return message.get("action") == "kick" and message.get("space_id") in (None, self.space_id)

    def _roles_verdict(self) -> tuple[str, int] | None:
        """Roles changed: reconnect (4012), so every group and the ``welcome`` are read
        afresh; MFA now needed: the connect's refusal; no longer in the room: its reason."""
        user = User.objects.filter(pk=self.user.pk).first()
        if user is None or not user.is_active:
            return None  # erasure and deactivation close the socket themselves
        if community_policy.mfa_setup_required(user):
            return encode(policy.mfa_required_frame()), policy.CLOSE_NOT_ALLOWED
        session = policy.room_session(user, self.session_id)
        if session is None:
            frame = _error("forbidden", "This session is no longer available to you.")
            return encode(frame), policy.CLOSE_NOT_FOUND
        refusal = policy.room_refusal(user, session)
        if refusal is not None:  # no longer in the room at all (left the space, say)
            frame = _error(refusal.code, refusal.detail, None, **refusal.extra)
            return encode(frame), refusal.close or policy.CLOSE_NOT_ALLOWED
        roles = policy.room_roles(user, session)
        if roles != (self.sees_authors, self.facilitating, self.backchannel):
            return encode(policy.ROLES_CHANGED), policy.CLOSE_RECONNECT
        return None

    async def socket_standing(self, message: dict) -> None:
        """A sanction: a ban or removal in this room's space, or a suspension, closes the room;
        a mute or unmute in its space is a notice."""
        space_id = message.get("space_id")
        if space_id is not None and space_id != self.space_id:
            return
        if message.get("action") == "kick":
            await self._end(message["text"], policy.CLOSE_NOT_ALLOWED)
        elif not self.revoked:
            await self.send(text_data=message["text"])
