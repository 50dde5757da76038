"""Every WebSocket route, connected to as every role: the close code or the welcome.

A route in ``community.site.routing`` without an entry in ``ROUTES`` fails the first test.
"""

from __future__ import annotations

import pytest

from community.site.routing import websocket_urlpatterns
from tests.realtime.conftest import in_memory_channel_layer, open_room  # noqa: F401

from .sweep_world import ROLES, SECRETS, build_world

pytestmark = pytest.mark.django_db(transaction=True)

WELCOME = "welcome"
# Per route: each role's outcome on the private space's object (the live room says hello and
# expects a welcome; the thread page's socket only listens, so "open" means it stayed open).
ROUTES = {
    "ws/live/<int:session_id>/": {
        "anonymous": 4401,
        "outsider": 4403,
        "pending_member": 4403,
        "member": WELCOME,
        "muted_member": WELCOME,
        "banned_member": 4403,
        "suspended_member": 4403,
        "other_moderator": 4403,
        "moderator": WELCOME,
        "facilitator": WELCOME,
        "staff": WELCOME,
    },
    "ws/threads/<int:thread_id>/": {
        "anonymous": 4401,
        "outsider": 4404,
        "pending_member": 4404,
        "member": "open",
        "muted_member": "open",
        "banned_member": 4404,
        "suspended_member": "open",
        "other_moderator": 4404,
        "moderator": "open",
        "facilitator": "open",
        "staff": "open",
    },
}


def test_every_websocket_route_is_in_the_sweep():
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    assert routes == set(ROUTES)


async def _outcome(user, path: str) -> tuple[object, str]:
    room, connected, _ = await open_room(user, 0, path=path)
    assert connected, path
    seen = ""
    try:
        if path.startswith("/ws/live/"):
            await room.send({"type": "hello", "after_seq": 0})
        while True:
            if await room.comm.receive_nothing(1):
                return "open", seen
            output = await room.comm.receive_output(1)
            if output["type"] == "websocket.close":
                return output["code"], seen
            seen += output.get("text", "")
            if '"type":"welcome"' in output.get("text", "").replace(" ", ""):
                return WELCOME, seen
    finally:
        await room.close()


@pytest.fixture
def world():
    return build_world()


async def test_each_role_gets_the_right_close_code_or_welcome(world):
    paths = {
        "ws/live/<int:session_id>/": f"/ws/live/{world.session.pk}/",
        "ws/threads/<int:thread_id>/": f"/ws/threads/{world.thread.pk}/",
    }
    problems = []
    for route, expected in ROUTES.items():
        for role in ROLES:
            got, seen = await _outcome(world.users[role], paths[route])
            if got != expected[role]:
                problems.append(f"{route} as {role}: expected {expected[role]}, got {got}")
            if expected[role] != WELCOME and any(secret in seen for secret in SECRETS):
                problems.append(f"{route} as {role}: a refused socket carried a secret")
    # An id that does not exist is 4404 for a member, like one they may not see.
    for path in ("/ws/live/987654/", "/ws/threads/987654/"):
        got, _ = await _outcome(world.users["member"], path)
        if got != 4404:
            problems.append(f"{path} as member: expected 4404, got {got}")
    assert not problems, "\n".join(problems)
