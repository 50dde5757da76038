"""The thread page's WebSocket consumer (``/ws/threads/<id>/``): it only listens."""

from __future__ import annotations

from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from realtime import policy
from realtime.broadcast import notify_group, thread_group
from realtime.sockets import LeanLayerDispatch, database_sync_to_async

from .models import Thread


class ThreadConsumer(LeanLayerDispatch, AsyncJsonWebsocketConsumer):
    """Pushes new replies (and the member's unread count) to an open thread page."""

    LAYER_HANDLERS = {"thread.push": "thread_push"}

    async def connect(self) -> None:
        self.joined: list[str] = []
        thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        code, user_id = await database_sync_to_async(self._authorize)(thread_id)
        await self.accept()
        if code is not None:
            await self.close(code=code)
            return
        for group in (thread_group(thread_id), notify_group(user_id)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await aclose_old_connections()

    def _authorize(self, thread_id: int) -> tuple[int | None, int | None]:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return policy.CLOSE_NOT_SIGNED_IN, None
        if not Thread.objects.visible_to(user).filter(pk=thread_id).exists():
            return policy.CLOSE_NOT_FOUND, None
        return None, user.pk

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Nothing to receive: the page only listens."""

    async def thread_push(self, message: dict) -> None:
        await self.send(text_data=message["text"])
