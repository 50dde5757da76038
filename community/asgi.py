"""ASGI entry point: HTTP through Django, WebSockets through channels (see community.site.routing)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from community.site.origins import SiteOriginValidator  # noqa: E402
from community.site.routing import websocket_urlpatterns  # noqa: E402


class SignInMiddleware(AuthMiddleware):
    """channels' ``AuthMiddleware``, except that the live rooms read the sign-in themselves, in
    their consumer's first worker call (``realtime.policy.socket_sign_in``, the same checks):
    a thread hop fewer per join, and not through the one thread channels' own read takes,
    which a join storm queues behind (issue 17). Their ``scope["user"]`` is never resolved."""

    async def resolve_scope(self, scope) -> None:
        if scope.get("path", "").startswith("/ws/live/"):
            return
        await super().resolve_scope(scope)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SiteOriginValidator(
            CookieMiddleware(SessionMiddleware(SignInMiddleware(URLRouter(websocket_urlpatterns))))
        ),
    }
)

# Everything loaded so far (Django, the apps, the URLconf and its views) lives as long as the
# process: moved out of the garbage collector's generations, a full collection no longer walks
# it. A reply to a long post makes thousands of short-lived objects, and every few replies the
# full collection that followed walked the whole process (80-90 ms, every request of the
# process waiting; docs/performance.md, "A page view while another member posts").
get_resolver().url_patterns  # noqa: B018 - loads the URLconf and the views it imports.
gc.freeze()
