"""Staff find members and suspend them from one page (community.sanctions does the writing)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.models import AuditEntry
from tests.conftest import make_user


def test_staff_finds_a_member_by_name_email_or_organisation(staff, login):
    wanted = make_user("Grace Ojo", organisation="Leeds Teaching Hospitals")
    make_user("Someone Else")
    client = login(staff)
    for q in ("grace", wanted.email.upper(), "leeds teaching"):
        people = list(client.get(f"/moderation/members/?q={q}").context["page_obj"])
        assert people == [wanted]
    html = client.get("/moderation/members/?q=nobody-like-this").content.decode()
    assert "No members match." in html


def test_staff_suspends_from_the_search_page_and_comes_back_to_it(staff, login):
    person = make_user("Sam Suspended")
    client = login(staff)
    page = "/moderation/members/?q=Sam"
    html = client.get(page).content.decode()
    assert f"/moderation/accounts/{person.pk}/suspend/" in html
    response = client.post(
        f"/moderation/accounts/{person.pk}/suspend/",
        {"duration": "24", "reason": "Repeated abuse", "next": page},
    )
    assert response.status_code == 302 and response.url == page
    person.refresh_from_db()
    assert person.is_suspended and person.suspension_reason == "Repeated abuse"
    assert AuditEntry.objects.get().action == "member.suspend"
    assert "Lift suspension" in client.get(page).content.decode()


def test_suspension_without_a_reason_is_refused_with_nothing_changed(staff, login):
    person = make_user("Kept Person")
    response = login(staff).post(
        f"/moderation/accounts/{person.pk}/suspend/",
        {"duration": "24", "reason": "", "next": "/moderation/members/"},
    )
    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    person.refresh_from_db()
    assert not person.is_suspended and not AuditEntry.objects.exists()


def test_only_staff_can_use_the_member_search(moderator, member, login):
    assert login(moderator).get("/moderation/members/").status_code == 403
    assert login(member).get("/moderation/members/?q=a").status_code == 403


def test_member_search_runs_a_constant_number_of_queries(staff, login):
    client = login(staff)
    for _ in range(3):
        make_user()
    with CaptureQueriesContext(connection) as few:
        client.get("/moderation/members/")
    for _ in range(40):
        make_user()
    with CaptureQueriesContext(connection) as many:
        response = client.get("/moderation/members/")
    assert len(response.context["page_obj"]) == 25
    assert len(many.captured_queries) == len(few.captured_queries)
