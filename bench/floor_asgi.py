"""Bench only: the site's ASGI app plus a bare channels group broadcast under ``/ws/floor/``.

The live bench runs its two daphne processes on this app, so the forum's ``/ws/live/<id>/``
and the floor are served side by side by the same processes, on the same Redis. The floor is
the least a channels broadcast can cost: no Origin check, no auth, no database, no ordering;
one ``group_add`` on connect and one ``group_send`` per message, encoded once by the sender's
consumer. It answers the same frames as the forum (``hello`` → ``welcome``, ``message.send`` →
``ack`` plus a ``message`` to everyone), so the bench drives both with the same client.
"""

from __future__ import annotations

import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from community.asgi import application as site  # noqa: E402


class FloorConsumer(AsyncWebsocketConsumer):
    """A channels group broadcast and nothing else."""

    async def connect(self) -> None:
        self.group = f"floor.{self.scope['url_route']['kwargs']['room']}"
        self.seq = 0
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        content = json.loads(text_data or "{}")
        if content.get("type") == "hello":
            await self.send(text_data='{"type":"welcome","last_seq":0}')
        elif content.get("type") == "message.send":
            # The sender's own counter stands in for seq: one sender per connection, in order.
            self.seq += 1
            frame = {
                "type": "message",
                "seq": self.seq,
                "client_msg_id": content["client_msg_id"],
                "body_html": content["body"],
            }
            text = json.dumps(frame, separators=(",", ":"))
            await self.channel_layer.group_send(self.group, {"type": "floor.message", "text": text})
            ack = {"type": "ack", "client_msg_id": content["client_msg_id"], "seq": self.seq}
            await self.send(text_data=json.dumps(ack))

    async def floor_message(self, message: dict) -> None:
        await self.send(text_data=message["text"])


class LeanFloorConsumer(FloorConsumer):
    """The floor without channels' per-message ``close_old_connections`` thread hop.

    ``AsyncConsumer.dispatch`` (channels 4.2+) runs ``aclose_old_connections()`` before every
    handler, a ``sync_to_async`` round trip through the one thread-sensitive worker thread, for
    every group message delivered. Handlers that never touch the database don't need it.
    """

    async def dispatch(self, message: dict) -> None:
        if message["type"] == "floor.message":
            await self.floor_message(message)
        else:
            await super().dispatch(message)


floor = URLRouter(
    [
        path("ws/floor/<str:room>/", FloorConsumer.as_asgi()),
        path("ws/lean/<str:room>/", LeanFloorConsumer.as_asgi()),
    ]
)


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"].startswith(("/ws/floor/", "/ws/lean/")):
        return await floor(scope, receive, send)
    return await site(scope, receive, send)
