"""Rules on every path, as a person meets them: a member suspended while in a live room sees
why and a closed composer; a member banned while writing a reply gets their text back."""

from __future__ import annotations

import json
import re
import uuid

from playwright.sync_api import expect

from community.demo import DEFAULT_PASSWORD

# A fresh member of safe-spaces for each journey, so a sanction never reaches other tests.
NEW_MEMBER = """
import json
from community import demo
from community.models import Space
user = demo._user({email!r}, {name!r}, "Journey Trust", "Nurse", {password!r})
demo._member(user, Space.objects.get(slug="safe-spaces"))
print(json.dumps({{"id": user.pk}}))
"""


def new_member(live_app, label: str) -> tuple[str, int]:
    email = f"{label}-{uuid.uuid4().hex[:6]}@example.org"
    code = NEW_MEMBER.format(email=email, name=f"Journey {label}", password=DEFAULT_PASSWORD)
    return email, json.loads(live_app.shell(code).strip().splitlines()[-1])["id"]


def test_member_suspended_in_a_live_room_sees_why_and_a_closed_composer(
    new_context, live_app, demo_ids
):
    email, user_id = new_member(live_app, "suspended")
    member = new_context(email).new_page()
    member.goto(f"/live/{demo_ids['live']}/")
    expect(member.locator("#live-connection")).to_have_attribute("data-state", "connected")
    member.get_by_label("Your message").fill("I was about to say this")

    staff = new_context("staff@example.org").new_page()
    staff.goto(f"/moderation/accounts/{user_id}/suspend/")
    staff.get_by_label("Reason").fill("Repeated personal attacks")
    staff.get_by_role("button", name=re.compile("^Suspend")).click()
    expect(staff.locator(".nhsuk-error-summary")).to_have_count(0)

    # The open socket learns at once: the reason, and the composer closes with the text kept.
    expect(member.locator("main")).to_contain_text(re.compile("suspended", re.I))
    expect(member.locator("main")).to_contain_text("Repeated personal attacks")
    expect(member.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    expect(member.get_by_label("Your message")).to_have_value("I was about to say this")


def test_member_banned_while_writing_a_reply_gets_their_text_back_with_the_reason(
    new_context, live_app, demo_ids
):
    email, user_id = new_member(live_app, "banned")
    member = new_context(email).new_page()
    member.goto(f"/spaces/safe-spaces/threads/{demo_ids['thread']}/")
    text = f"Something I took a long time to write {uuid.uuid4().hex[:6]}"
    member.get_by_label("Your reply").fill(text)

    moderator = new_context("moderator@example.org").new_page()
    moderator.goto(f"/moderation/spaces/safe-spaces/members/{user_id}/ban/")
    moderator.get_by_label("Reason").fill("Shared a colleague's story without consent")
    moderator.get_by_role("button", name=re.compile("^Ban")).click()
    expect(moderator.locator(".nhsuk-error-summary")).to_have_count(0)

    member.get_by_role("button", name="Post reply").click()
    expect(member.locator("main")).to_contain_text(re.compile("banned", re.I))
    expect(member.locator("main")).to_contain_text("Shared a colleague's story without consent")
    expect(member.locator("textarea")).to_have_value(text)
