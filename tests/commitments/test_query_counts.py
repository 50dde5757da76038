"""The new list pages run a constant number of queries whatever the data size (3 or 30 items)."""

import pytest

from realtime.models import Registration
from tests.conftest import make_member
from threads.commitments import services
from threads.services import create_thread

from .conftest import make_commitment, soon

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def _shared(space, count: int) -> None:
    people = [make_member(space, f"Sharer {n}") for n in range(3)]
    for n in range(count):
        make_commitment(
            people[n % 3],
            f"Promise {n}",
            visibility="space",
            space=space,
            anonymous=n % 2 == 0,
            area=["allyship", "safe-spaces", "health-inequalities"][n % 3],
        )


def _get(client, path, django_assert_max_num_queries):
    client.get(path)  # warm the session
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(path)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("count", [3, 30])
def test_my_commitments_page_runs_constant_queries(
    login, member, space, count, django_assert_max_num_queries
):
    for n in range(count):
        make_commitment(
            member,
            f"Mine {n}",
            visibility="space" if n % 2 else "private",
            space=space if n % 2 else None,
        )
    response = _get(login(member), "/commitments/", django_assert_max_num_queries)
    assert len(response.context["page_obj"].object_list) == min(count, 25)


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("role", ["other_member", "moderator"])
def test_space_commitments_page_runs_constant_queries(
    request, login, space, count, role, django_assert_max_num_queries
):
    _shared(space, count)
    viewer = request.getfixturevalue(role)
    response = _get(
        login(viewer), f"/spaces/{space.slug}/commitments/", django_assert_max_num_queries
    )
    assert len(response.context["page_obj"].object_list) == min(count, 25)


@pytest.mark.parametrize("count", [3, 30])
def test_library_runs_constant_queries(login, member, space, count, django_assert_max_num_queries):
    for n in range(count):
        if n % 2:
            create_thread(
                actor=member, space=space, title=f"Resource {n}", body="r", kind="resource"
            )
        else:
            thread = services.create_case_study(
                actor=member,
                space=space,
                title=f"Case {n}",
                summary="s",
                sections={"context": "c", "actions": "a", "changed": "x", "did_not_work": "d"},
                wres_indicator=n % 9 + 1,
            ).thread
            make_commitment(member, f"Adapted {n}", source_thread=thread)
    response = _get(login(member), "/library/?sort=adopted", django_assert_max_num_queries)
    assert len(response.context["page_obj"].object_list) == min(count, 25)


@pytest.mark.parametrize("count", [3, 30])
def test_live_actions_page_runs_constant_queries(
    login, space, facilitator, ended_session, count, django_assert_max_num_queries
):
    for n in range(5):
        services.propose_action(actor=facilitator, session=ended_session, text=f"Action {n}")
    proposals = list(ended_session.action_proposals.all())
    for n in range(count):
        person = make_member(space, f"Attendee {n}")
        Registration.objects.create(session=ended_session, user=person)
        services.adopt_proposal(
            actor=person,
            proposal=proposals[n % 5],
            text=f"Adopted {n}",
            due_on=soon(),
            area="allyship",
            visibility="space" if n % 2 else "private",
            space=space if n % 2 else None,
        )
    _get(login(facilitator), f"/live/{ended_session.pk}/actions/", django_assert_max_num_queries)


@pytest.mark.parametrize("count", [3, 30])
def test_home_page_stays_constant_with_commitments_and_reports(
    login, member, other_member, space, thread, count, django_assert_max_num_queries
):
    for n in range(count):
        shared = make_commitment(
            other_member, f"Shared {n}", visibility="space", space=space, source_thread=thread
        )
        services.add_update(actor=other_member, commitment=shared, happened="Going.", report=True)
        make_commitment(member, f"Mine {n}")
    client = login(member)
    client.get("/")
    with django_assert_max_num_queries(25):
        response = client.get("/")
    assert len(response.context["next_commitments"]) == 3
    assert len(response.context["latest_reports"]) == min(count, 5)
