"""The home page shows the member's next due commitments and the latest reports shared in their
spaces, anonymity kept."""

import pytest

from threads.commitments import services

from .conftest import make_commitment, soon

pytestmark = pytest.mark.django_db


def test_home_shows_my_next_due_commitments_soonest_first(login, member):
    make_commitment(member, "Later one.", due_on=soon(40))
    make_commitment(member, "Sooner one.", due_on=soon(2))
    page = login(member).get("/")
    assert [c.text for c in page.context["next_commitments"]] == ["Sooner one.", "Later one."]
    assert b"Your next commitments" in page.content


def test_home_shows_latest_reports_from_my_spaces_without_unmasking(
    login, member, other_member, space, thread
):
    shared = make_commitment(
        other_member,
        "Anonymous promise.",
        visibility="space",
        space=space,
        anonymous=True,
        source_thread=thread,
    )
    services.add_update(actor=other_member, commitment=shared, happened="Going.", report=True)
    page = login(member).get("/")
    assert b"Latest reports from your spaces" in page.content
    assert b"Anonymous promise." in page.content
    assert b"A member of this space" in page.content
    assert other_member.display_name.encode() not in page.content


def test_home_does_not_show_reports_from_spaces_i_am_not_in(login, outsider, member, thread, space):
    shared = make_commitment(
        member, "Space promise.", visibility="space", space=space, source_thread=thread
    )
    services.add_update(actor=member, commitment=shared, happened="Going.", report=True)
    page = login(outsider).get("/")
    assert b"Space promise." not in page.content
