"""Every WebSocket route of the site: the live rooms and the thread pages."""

from realtime.routing import websocket_urlpatterns as live_routes
from threads.routing import websocket_urlpatterns as thread_routes

websocket_urlpatterns = [*live_routes, *thread_routes]
