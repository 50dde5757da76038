from django.urls import path

from .consumers import LiveSessionConsumer, ThreadConsumer

websocket_urlpatterns = [
    path("ws/live/<int:session_id>/", LiveSessionConsumer.as_asgi()),
    path("ws/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
]
