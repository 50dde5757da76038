"""A facilitator runs a live session with two participants, each in their own browser: messages
reach everyone, a participant who drops offline catches up on what they missed when back, and a
participant the facilitator mutes is told so."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import require_path

pytestmark = pytest.mark.browser

CATCH_UP_MS = 30_000  # the room reconnects with a backoff of 1, 2, 4… seconds


@pytest.fixture(autouse=True)
def _live_built(live_app):
    require_path(live_app, "/live/", "live sessions (realtime app)")


def open_room(page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#live-connection")).to_have_attribute("data-state", "connected")


def send(page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def stream(page):
    return page.locator("#live-stream")


class Network:
    """A participant's network link to the room that the test can cut and restore.

    Chromium's offline emulation (``context.set_offline``) stops new connections but leaves an
    open WebSocket running, unlike a real dropped link. So the room's socket goes through
    Playwright's WebSocket routing: going offline also closes it, as the OS would, and refuses
    reconnects until the link is back.
    """

    def __init__(self, context, page):
        self.context = context
        self.offline = False
        self.sockets = []
        page.route_web_socket(re.compile(r"/ws/live/"), self._connect)

    def _connect(self, ws) -> None:
        if self.offline:
            ws.close(code=4000, reason="offline")
            return
        self.sockets.append((ws, ws.connect_to_server()))

    def go_offline(self) -> None:
        self.offline = True
        self.context.set_offline(True)
        for ws, server in self.sockets:
            server.close()
            ws.close(code=4000, reason="offline")
        self.sockets.clear()

    def go_online(self) -> None:
        self.offline = False
        self.context.set_offline(False)


def test_facilitator_runs_a_live_session_with_two_participants(new_context, demo_ids, live_app):
    if not demo_ids.get("live"):
        pytest.skip("the demo data has no live session in safe-spaces yet")
    url = f"/live/{demo_ids['live']}/"
    word = uuid.uuid4().hex[:8]

    facilitator = new_context("facilitator@example.org").new_page()
    open_room(facilitator, url)
    expect(facilitator.get_by_role("heading", name="Facilitator panel")).to_be_visible()
    # The members on daphne process B (services mode): every frame crosses through Redis.
    one = new_context("member1@example.org", base_url=live_app.url_b).new_page()
    open_room(one, url)
    two_context = new_context("member2@example.org", base_url=live_app.url_b)
    two = two_context.new_page()
    network = Network(two_context, two)
    open_room(two, url)
    expect(two.get_by_role("heading", name="Facilitator panel")).to_have_count(0)
    # In services mode the two sides are on different daphne processes (different origins).
    assert facilitator.evaluate("location.origin") == live_app.url
    assert {one.evaluate("location.origin"), two.evaluate("location.origin")} == {live_app.url_b}

    present = facilitator.locator("#live-present")
    expect(present).to_contain_text("Demo Member 1")
    expect(present).to_contain_text("Demo Member 2")

    # A message reaches everyone, with its author's name, and leaves the sender's composer.
    hello = f"Thank you for making space for this {word}"
    send(one, hello)
    for page in (facilitator, one, two):
        item = stream(page).locator("li").filter(has_text=hello)
        expect(item).to_be_visible()
        expect(item).to_contain_text("Demo Member 1")
    expect(one.get_by_label("Your message")).to_have_value("")

    # Member 2 drops offline; the conversation goes on without them.
    network.go_offline()
    expect(two.locator("#live-connection")).to_have_attribute(
        "data-state", re.compile("reconnecting|connecting")
    )
    missed = [f"While you were away, one {word}", f"While you were away, two {word}"]
    send(one, missed[0])
    send(facilitator, missed[1])
    for text in missed:
        expect(stream(facilitator).locator("li").filter(has_text=text)).to_be_visible()
    # Back online: the room reconnects and shows what they missed, in order.
    network.go_online()
    expect(two.locator("#live-connection")).to_have_attribute(
        "data-state", "connected", timeout=CATCH_UP_MS
    )
    for text in missed:
        expect(stream(two).locator("li").filter(has_text=text)).to_be_visible()
    texts = stream(two).locator("li").all_inner_texts()
    positions = [next(i for i, t in enumerate(texts) if m in t) for m in [hello, *missed]]
    assert positions == sorted(positions), texts
    assert sum(missed[0] in t for t in texts) == 1, "a missed message was shown twice"

    # The facilitator mutes member 1, who is told, and cannot send until unmuted.
    # Two prompts: for how long, then the reason the member is told.
    answers = iter(["15", "Cooling off"])
    facilitator.on("dialog", lambda dialog: dialog.accept(next(answers, "")))
    present.locator("li").filter(has_text="Demo Member 1").get_by_role(
        "button", name=re.compile("^Mute")
    ).click()
    expect(one.locator("#live-connection")).to_contain_text(
        "A facilitator muted you for 15 minutes"
    )
    # The composer says until when and Send stays off while muted; what they write is kept.
    expect(one.locator("#live-muted")).to_contain_text("Muted until")
    one.get_by_label("Your message").fill(f"Can I still speak {word}?")
    expect(one.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    expect(one.get_by_label("Your message")).to_have_value(f"Can I still speak {word}?")
    expect(stream(facilitator).locator("li").filter(has_text="Can I still speak")).to_have_count(0)
