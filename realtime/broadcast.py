"""The one way anything reaches a WebSocket: after commit, through the channel layer.

The layer is a best-effort hint, never the record (channels-redis drops group messages when a
channel is over capacity): every stored event carries its ``seq`` and the consumer and the
client fill gaps from the database. Each frame is encoded to JSON once here, not per recipient.
"""

from __future__ import annotations

import hashlib
import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def encode(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False, default=str)


def session_group(session_id: int) -> str:
    return f"live.{session_id}"


def moderators_group(session_id: int) -> str:
    """The room's connections that may see through anonymity (the space's moderators, staff)."""
    return f"live.{session_id}.moderators"


def facilitators_group(session_id: int) -> str:
    """The room's connections that facilitate it (poll results early, reports on messages)."""
    return f"live.{session_id}.facilitators"


def participants_group(session_id: int) -> str:
    """The room's connections that do not facilitate it (presence summaries in large rooms)."""
    return f"live.{session_id}.participants"


def backchannel_group(session_id: int) -> str:
    """The room's connections allowed the backchannel (facilitators, moderators, staff)."""
    return f"live.{session_id}.backchannel"


def breakout_group(session_id: int, room_id: int) -> str:
    """The connections reading one breakout room: its members and visiting facilitators."""
    return f"live.{session_id}.breakout.{room_id}"


def member_group(session_id: int, user_id: int) -> str:
    """Every connection of one member to one room (to notify or disconnect them)."""
    return f"live.{session_id}.user.{user_id}"


def auth_session_group(session_key: str) -> str:
    """Every socket (live room or thread page) opened with one sign-in session. Named by a hash:
    the key itself is a credential and never leaves the database."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:32]


def account_group(user_id: int) -> str:
    """Every socket of one member, whatever the room or page (standing changes, erasure)."""
    return f"account.{user_id}"


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def notify_group(user_id: int) -> str:
    return f"notify.{user_id}"


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the record is in the database; clients catch up by seq
        logger.exception("Broadcast to %s failed", group)


def _channel_send(channel_name: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.send)(channel_name, message)
    except Exception:  # a dead channel, or the layer down: the row is gone either way
        logger.exception("Send to %s failed", channel_name)


def broadcast_on_commit(group: str, event: dict, *, handler: str | None = None) -> None:
    """Send ``event`` to ``group`` once the current transaction commits (at once outside one).

    Events with a ``seq`` go to the consumers' ordered path (``live.event``); others are pushes.
    """
    if handler is None:
        handler = "live.event" if "seq" in event else "live.push"
    message = {"type": handler, "text": encode(event)}
    if "seq" in event:
        message["seq"] = event["seq"]
    transaction.on_commit(lambda: _group_send(group, message))


def control_on_commit(session_id: int, user_id: int, *, action: str, frame: dict) -> None:
    """Tell one member's open connections to a room something (``notice``) or to leave (``kick``)."""
    message = {"type": "live.control", "action": action, "text": encode(frame)}
    transaction.on_commit(lambda: _group_send(member_group(session_id, user_id), message))


def kick_channel_on_commit(channel_name: str, *, frame: dict) -> None:
    """Tell one socket why it is being closed, then close it (4403: do not reconnect). A channel
    whose process has died simply never receives it."""
    message = {"type": "live.control", "action": "kick", "text": encode(frame)}
    transaction.on_commit(lambda: _channel_send(channel_name, message))


def end_sockets_on_commit(group: str, *, code: int, frame: dict, keep=()) -> None:
    """Send ``frame`` to every socket in ``group``, then close it with ``code``; sockets opened
    with a session whose :func:`auth_session_group` is in ``keep`` are spared."""
    message = {"type": "socket.end", "code": code, "text": encode(frame), "keep": list(keep)}
    transaction.on_commit(lambda: _group_send(group, message))


def roles_on_commit(user_id: int, *, space_id: int | None) -> None:
    """Tell every socket of a member that something their sockets' roles are read from changed
    (a space role, staff, a session's facilitators, an MFA authenticator; ``space_id`` None:
    anywhere). Each socket reads the roles again and, if what it may see changed, closes so that
    the client reconnects and is authorized afresh (realtime.receivers)."""
    message = {"type": "socket.roles", "space_id": space_id}
    transaction.on_commit(lambda: _group_send(account_group(user_id), message))


def standing_on_commit(
    user_id: int, *, space_id: int | None, change: str, action: str, frame: dict
) -> None:
    """Tell every socket of a member that their standing changed (``space_id`` None: site-wide).
    Each consumer decides what it means for what it shows: ``action`` is ``kick`` when the live
    room must close, ``notice`` when it only tells them."""
    message = {
        "type": "socket.standing",
        "space_id": space_id,
        "change": change,
        "action": action,
        "text": encode(frame),
    }
    transaction.on_commit(lambda: _group_send(account_group(user_id), message))


def thread_post_created(post) -> None:
    """Tell open pages of the thread that a reply exists (threads' services call this on commit).

    The frame names the post and nothing else: each page fetches it over HTTP, rendered for that
    reader with the page's own template and visibility rules, so no body, author or anonymity
    decision ever travels over the group.
    """
    frame = {"type": "post.created", "thread_id": post.thread_id, "post_id": post.pk}
    broadcast_on_commit(thread_group(post.thread_id), frame, handler="thread.push")


def thread_post_changed(post) -> None:
    """Tell open pages of the thread that a post was edited, hidden, restored or deleted: each
    page fetches it again (and drops it when it is no longer visible to that reader)."""
    frame = {"type": "post.changed", "thread_id": post.thread_id, "post_id": post.pk}
    broadcast_on_commit(thread_group(post.thread_id), frame, handler="thread.push")


def notifications_changed(user_ids) -> None:
    """Tell the members' open pages to refresh the header's unread count."""
    for user_id in set(user_ids):
        broadcast_on_commit(notify_group(user_id), {"type": "notifications"}, handler="thread.push")


def notification_count_changed(user_id: int, count: int) -> None:
    """Update the header's unread count on the member's open thread pages."""
    broadcast_on_commit(
        notify_group(user_id), {"type": "notifications", "unread": count}, handler="thread.push"
    )
