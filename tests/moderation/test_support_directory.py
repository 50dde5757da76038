"""The support directory: seeded, staff-edited, shown to members where they may need it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from community.models import SupportEntry
from realtime.models import LiveSession


def test_seeded_entries_cover_the_programmes_sources_of_support(db):
    names = list(SupportEntry.objects.values_list("name", flat=True))
    assert names[0] == "Freedom to Speak Up guardian"
    assert {"Employee assistance programme", "Staff networks", "Samaritans", "Shout"} <= set(names)


def test_signed_in_member_reads_the_directory_in_order(member, login):
    SupportEntry.objects.create(name="Aardvark line", purpose="p", how_to_reach="r", position=999)
    html = login(member).get(reverse("support")).content.decode()
    assert "116 123" in html and "85258" in html
    assert html.index("Freedom to Speak Up guardian") < html.index("Aardvark line")


def test_links_carry_no_referrer_and_unpublished_entries_are_hidden(member, login):
    SupportEntry.objects.create(
        name="Retired line", purpose="p", how_to_reach="r", is_published=False
    )
    html = login(member).get(reverse("support")).content.decode()
    assert "Retired line" not in html
    assert 'href="https://www.samaritans.org/" rel="noopener noreferrer"' in html


def test_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, db):
    response = client.get(reverse("support"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert not SupportEntry.objects.visible_to(AnonymousUser()).exists()


def test_only_staff_are_offered_the_edit_link(member, staff, login):
    assert "Edit the support entries" not in login(member).get(reverse("support")).content.decode()
    staff_page = login(staff).get(reverse("support")).content.decode()
    assert reverse("admin:community_supportentry_changelist") in staff_page
    assert login(member).get(reverse("admin:community_supportentry_changelist")).status_code == 302


def test_footer_links_to_support_for_members(member, login):
    html = login(member).get(reverse("space_list")).content.decode()
    assert f'href="{reverse("support")}">Support</a>' in html


def test_content_noted_post_offers_support_beside_it(space, member, login):
    from threads.services import create_thread

    thread = create_thread(
        actor=member,
        space=space,
        title="What happened on the ward",
        body="The details.",
        content_note="describes racist abuse",
    )
    html = login(member).get(thread.get_absolute_url()).content.decode()
    assert "If this affects you, support is available" in html
    plain = create_thread(actor=member, space=space, title="A plain one", body="Nothing hard.")
    assert "If this affects you" not in login(member).get(plain.get_absolute_url()).content.decode()


def test_live_room_links_to_support(space, member, facilitator, login):
    from datetime import timedelta

    from django.utils import timezone

    session = LiveSession.objects.create(
        space=space,
        title="Listening circle",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        created_by=facilitator,
    )
    html = login(member).get(reverse("live_room", args=[session.pk])).content.decode()
    assert f'href="{reverse("support")}">Support if this affects you</a>' in html
