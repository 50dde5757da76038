"""Breakout rooms, with a facilitator and two members each in their own browser (member@ and
member2@: test_live_journey.py leaves member1@ muted in the shared app). The facilitator puts
each member in a room of their own; a message in one room never reaches the other; a member
calls the facilitator, who visits; the member goes offline, misses a message, and has it when
back; when time is up everyone is back in the main room with the notice. The app's breakout
"minute" lasts 15 seconds (LIVE_BREAKOUT_MINUTE_SECONDS in conftest.py); axe finds nothing
serious on the console or a member's room."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import format_violations, require_path, run_axe
from .test_live_journey import CATCH_UP_MS, Network

pytestmark = pytest.mark.browser

NEW_SESSION = """
import json
from datetime import timedelta
from django.utils import timezone
from community.models import Space, User
from realtime.models import LiveSession
now = timezone.now()
session = LiveSession.objects.create(
    space=Space.objects.get(slug='safe-spaces'), title={title!r}, status='live',
    starts_at=now, ends_at=now + timedelta(hours=1), chatham_house=False)
session.facilitators.add(User.objects.get(email='facilitator@example.org'))
print(json.dumps({{'id': session.pk}}))
"""

ROOM_TIME_MS = 2 * 15_000 + 15_000  # two breakout "minutes", and the timers' slack


@pytest.fixture(autouse=True)
def _live_built(live_app):
    require_path(live_app, "/live/", "live sessions (realtime app)")


@pytest.fixture
def session_url(live_app) -> str:
    code = NEW_SESSION.format(title=f"Breakout journey {uuid.uuid4().hex[:6]}")
    session_id = json.loads(live_app.shell(code).strip().splitlines()[-1])["id"]
    return f"/live/{session_id}/"


def enter(page, url: str):
    page.goto(url)
    expect(page.locator("#live-connection")).to_have_attribute("data-state", "connected")
    return page


def room_send(page, text: str) -> None:
    page.get_by_label("Message to this room").fill(text)
    page.get_by_role("button", name="Send to the room").click()
    expect(page.locator("#breakout-stream li").filter(has_text=text)).to_be_visible()


def test_two_breakout_rooms_then_everyone_back_in_the_main_room(new_context, session_url, live_app):
    word = uuid.uuid4().hex[:8]
    host = enter(new_context("facilitator@example.org").new_page(), session_url)
    # The members on daphne process B (services mode): every frame crosses through Redis.
    one = enter(new_context("member@example.org", base_url=live_app.url_b).new_page(), session_url)
    two_context = new_context("member2@example.org", base_url=live_app.url_b)
    two = two_context.new_page()
    network = Network(two_context, two)
    enter(two, session_url)
    present = host.locator("#live-present")
    expect(present.locator("li")).to_have_count(3)

    # Refused beside the form: one room is not a breakout.
    host.get_by_label("Number of rooms (2 to 20)").fill("1")
    host.get_by_role("button", name="Open breakout rooms").click()
    expect(host.locator("#breakout-form-error")).to_contain_text("Open at least 2 breakout rooms.")

    # By choice: each member in a room of their own, for two "minutes".
    host.get_by_label("Number of rooms (2 to 20)").fill("2")
    host.get_by_label("How long, in minutes (1 to 120)").fill("2")
    host.get_by_label("I will choose").check()
    choices = host.locator("#breakout-choice-list")
    choices.locator("li").filter(has_text="Demo Member 2").get_by_role("combobox").select_option(
        "Room 2"
    )
    choices.locator("li").filter(has_text="Mel Chen").get_by_role("combobox").select_option(
        "Room 1"
    )
    host.get_by_role("button", name="Open breakout rooms").click()
    rooms = host.locator("#breakout-rooms")
    expect(rooms.locator("li")).to_have_count(2)
    expect(host.locator("#breakout-console-time")).to_contain_text("left")

    for page, name in ((one, "room 1"), (two, "room 2")):
        expect(page.get_by_role("heading", name=f"You are in breakout {name}")).to_be_visible()
        expect(page.locator("#breakout-time")).to_contain_text("left")
        expect(page.locator("#live-stream")).to_contain_text("opened 2 breakout rooms")

    # A room's words stay in the room.
    private = f"Only for room one {word}"
    room_send(one, private)
    room_send(two, f"Room two is here {word}")
    expect(two.locator("#breakout-stream")).not_to_contain_text(private)
    expect(two.locator("#live-stream")).not_to_contain_text(private)
    expect(host.locator("#live-stream")).not_to_contain_text(private)

    # Axe on the console and on a member's room, with the rooms open.
    for page in (host, two):
        violations = run_axe(page)
        assert not violations, format_violations(violations)

    # Member 2 calls; the console says which room; the facilitator visits it.
    two.get_by_role("button", name="Call the facilitator").click()
    expect(two.locator("#breakout-status")).to_contain_text("A facilitator has been called.")
    expect(host.locator("#breakout-calls")).to_contain_text("Room 2 is calling for a facilitator")
    expect(rooms).to_contain_text("Calling for a facilitator")
    host.get_by_role("button", name="Visit Room 2").first.click()
    expect(host.get_by_role("heading", name="Visiting Room 2")).to_be_visible()
    expect(host.locator("#breakout-stream")).to_contain_text(f"Room two is here {word}")
    expect(host.locator("#breakout-stream")).not_to_contain_text(private)

    # Member 2 drops offline; the facilitator says something in their room meanwhile.
    network.go_offline()
    expect(two.locator("#live-connection")).to_have_attribute(
        "data-state", re.compile("reconnecting|connecting")
    )
    missed = f"While you were away {word}"
    room_send(host, missed)
    network.go_online()
    expect(two.locator("#live-connection")).to_have_attribute(
        "data-state", "connected", timeout=CATCH_UP_MS
    )
    expect(two.locator("#breakout-stream li").filter(has_text=missed)).to_be_visible()
    texts = two.locator("#breakout-stream li").all_inner_texts()
    assert [i for i, t in enumerate(texts) if word in t] == [0, 1], texts

    # Moderation holds in the room: member 2 flags the facilitator's message (a reason from the
    # guidelines' list), then the facilitator removes it and it loses its body for the room.
    held = two.locator("#breakout-stream li").filter(has_text=missed)
    two.once("dialog", lambda dialog: dialog.accept("4"))
    held.get_by_role("button", name=re.compile(r"^Flag message")).click()
    expect(held).to_contain_text("you flagged this for the moderators")
    host.once("dialog", lambda dialog: dialog.accept())
    mine = host.locator("#breakout-stream li").filter(has_text=missed)
    mine.get_by_role("button", name=re.compile(r"^Remove message")).click()
    for page in (host, two):
        expect(page.locator("#breakout-stream")).to_contain_text("This message was removed.")
        expect(page.locator("#breakout-stream")).not_to_contain_text(missed)

    # Time is up: everyone is back in the main room, told so in the main stream.
    notice = "The breakout rooms have closed: everyone is back in the main room."
    for page in (host, one, two):
        expect(page.locator("#live-stream")).to_contain_text(notice, timeout=ROOM_TIME_MS)
        expect(page.locator("#breakout-room")).to_be_hidden()
    expect(host.get_by_role("button", name="Open breakout rooms")).to_be_visible()
    # The main room works as before.
    one.get_by_label("Your message").fill(f"Back with everyone {word}")
    one.get_by_role("button", name="Send", exact=True).click()
    expect(two.locator("#live-stream")).to_contain_text(f"Back with everyone {word}")
