"""/spaces/<slug>/commitments/: what members shared with the space, with counts by area and
status (under 5 shown as "fewer than 5"); 404 to anyone outside the space."""

import pytest

from tests.conftest import make_member

from .conftest import make_commitment

pytestmark = pytest.mark.django_db


def page_url(space) -> str:
    return f"/spaces/{space.slug}/commitments/"


def test_members_see_what_was_shared_with_the_space_and_not_private_ones(
    login, member, other_member, space, commitment
):
    make_commitment(member, "Shared one.", visibility="space", space=space)
    make_commitment(member, "Shared with everyone.", visibility="community")
    page = login(other_member).get(page_url(space))
    assert page.status_code == 200
    assert b"Shared one." in page.content
    assert commitment.text.encode() not in page.content
    assert b"Shared with everyone." not in page.content


def test_small_counts_are_shown_as_fewer_than_5(login, member, other_member, space):
    for n in range(6):
        make_commitment(member, f"Allyship {n}", visibility="space", space=space, area="allyship")
    make_commitment(
        member, "One health", visibility="space", space=space, area="health-inequalities"
    )
    counts = login(other_member).get(page_url(space)).context["counts"]
    by_area = {row.label: row.shown for row in counts["by_area"]}
    assert by_area["Allyship"] == "6"
    assert by_area["Tackling health inequalities"] == "fewer than 5"
    assert by_area["Leadership accountability"] == "fewer than 5"
    by_status = {row.label: row.shown for row in counts["by_status"]}
    assert by_status["Planned"] == "7"
    assert by_status["Done"] == "fewer than 5"
    assert counts["total"].shown == "7"


@pytest.mark.parametrize("role", ["outsider", "pending_member", "banned_member", "other_moderator"])
def test_the_page_is_404_outside_the_space(request, login, member, space, role):
    make_commitment(member, "Shared one.", visibility="space", space=space)
    response = login(request.getfixturevalue(role)).get(page_url(space))
    assert response.status_code == 404
    assert b"Shared one." not in response.content


def test_unlisted_space_page_is_404_to_non_members(login, member, unlisted_space):
    assert login(member).get(page_url(unlisted_space)).status_code == 404


def test_the_list_is_paginated_25_a_page(login, space, other_member):
    owner = make_member(space, "Many Promises")
    for n in range(27):
        make_commitment(owner, f"Promise {n}", visibility="space", space=space)
    client = login(other_member)
    first = client.get(page_url(space))
    assert len(first.context["page_obj"].object_list) == 25
    assert len(client.get(page_url(space) + "?page=2").context["page_obj"].object_list) == 2


def test_my_list_is_paginated_and_shows_overdue_first(login, member):
    from datetime import timedelta

    from django.utils import timezone

    from threads.commitments.models import Commitment

    for n in range(26):
        make_commitment(member, f"Mine {n}")
    late = make_commitment(member, "The late one.")
    Commitment.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    page = login(member).get("/commitments/")
    items = page.context["page_obj"].object_list
    assert len(items) == 25
    assert items[0].pk == late.pk and items[0].overdue
    assert b"Overdue" in page.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=done", {"Done one"}),
        ("area=health-inequalities", {"Health one"}),
        ("due=overdue", {"Late one"}),
        ("due=later", {"Far one"}),
        ("due=week", {"Health one"}),
    ],
)
def test_my_list_filters_by_status_area_and_date(login, member, query, expected):
    from datetime import timedelta

    from django.utils import timezone

    from threads.commitments import services
    from threads.commitments.models import Commitment

    from .conftest import soon

    done = make_commitment(member, "Done one", due_on=soon(20))
    services.add_update(
        actor=member, commitment=done, happened="x", status="done", closing_note="y"
    )
    make_commitment(member, "Health one", area="health-inequalities", due_on=soon(3))
    late = make_commitment(member, "Late one", due_on=soon(20))
    Commitment.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    make_commitment(member, "Far one", due_on=soon(90))
    page = login(member).get(f"/commitments/?{query}")
    assert {c.text for c in page.context["page_obj"].object_list} == expected
