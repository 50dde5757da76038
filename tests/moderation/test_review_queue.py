from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import AuditEntry, Membership
from moderation.models import Flag
from moderation.selectors import queue_count
from moderation.services import flag_member, flag_post, flag_thread
from tests.conftest import make_member

from .conftest import make_post, make_thread


def _fill(space, n: int):
    """n flagged posts (two flags each), n flagged threads, n flagged members, n pending posts
    and n join requests in ``space``."""
    for i in range(n):
        author = make_member(space, f"Author {i}")
        a, b = make_member(space), make_member(space)
        thread = make_thread(space, author, title=f"Thread {i}")
        post = make_post(thread, author, body=f"Post {i}")
        flag_post(actor=a, post=post, reason="spam")
        flag_post(actor=b, post=post, reason="racist", details="See second paragraph")
        flag_thread(actor=a, thread=thread, reason="other")
        flag_member(actor=b, member=author, space=space, reason="personal_attack")
        make_post(thread, author, status="pending", body=f"Waiting {i}")
        make_member(space, f"Asker {i}", status=Membership.Status.PENDING)


def test_moderator_sees_flagged_items_grouped_pending_posts_and_requests(space, moderator, login):
    _fill(space, 2)
    response = login(moderator).get("/moderation/")
    assert response.status_code == 200
    queue = response.context["queue"]
    assert len(queue.flagged) == 6
    post_items = [item for item in queue.flagged if item.kind.name == "post"]
    assert all(len(item.flags) == 2 for item in post_items)
    assert len(queue.awaiting) == 2
    assert len(queue.join_requests) == 2
    html = response.content.decode()
    assert "See second paragraph" in html and "Waiting 1" in html and "Asker 0" in html


def test_queue_runs_a_constant_number_of_queries(
    space, moderator, login, django_assert_max_num_queries
):
    client = login(moderator)
    _fill(space, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/moderation/").status_code == 200
    _fill(space, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/moderation/")
    flagged = response.context["queue"].flagged
    assert flagged.paginator.count == 27 and len(flagged) == 25


def test_queue_filters_by_space_and_kind(space, other_space, moderator, login):
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    _fill(space, 1)
    _fill(other_space, 1)
    client = login(moderator)
    assert len(client.get("/moderation/").context["queue"].flagged) == 6
    only = client.get(f"/moderation/?space={other_space.slug}").context["queue"]
    assert {item.space.pk for item in only.flagged} == {other_space.pk}
    kinds = client.get("/moderation/?kind=requests").context["queue"]
    assert not kinds.flagged and not kinds.awaiting and len(kinds.join_requests) == 2


def test_moderator_sees_only_their_spaces(space, other_space, moderator, other_moderator, login):
    _fill(space, 1)
    queue = login(other_moderator).get("/moderation/").context["queue"]
    assert queue.total == 0
    assert login(other_moderator).get(f"/moderation/?space={space.slug}").status_code == 404


def test_staff_sees_every_space(space, other_space, staff, login):
    _fill(space, 1)
    _fill(other_space, 1)
    assert len(login(staff).get("/moderation/").context["queue"].flagged) == 6


@pytest.mark.parametrize("role", ["member", "outsider", "suspended_member"])
def test_members_cannot_open_the_queue(request, role, login):
    assert login(request.getfixturevalue(role)).get("/moderation/").status_code == 403


def test_moderator_sees_real_author_of_anonymous_post(
    space, moderator, member, other_member, login
):
    thread = make_thread(space, member, anonymous=True, title="Hard to say this")
    post = make_post(thread, member, anonymous=True, body="My experience")
    flag_post(actor=other_member, post=post, reason="other")
    html = login(moderator).get("/moderation/").content.decode()
    assert "Anonymous to members" in html and member.display_name in html


def test_header_count_counts_items_for_moderators_only(space, moderator, member):
    _fill(space, 1)
    assert queue_count(moderator) == 3 + 1 + 1
    assert queue_count(member) == 0


@pytest.mark.parametrize("role", ["member", "moderator", "staff"])
def test_queue_count_is_one_query(request, space, role, django_assert_num_queries):
    user = request.getfixturevalue(role)
    _fill(space, 2)
    with django_assert_num_queries(1):
        assert queue_count(user) == (0 if role == "member" else 10)


def test_moderator_clears_a_queue_in_one_sitting(space, moderator, login):
    _fill(space, 1)
    client = login(moderator)
    queue = client.get("/moderation/").context["queue"]
    post_item = next(i for i in queue.flagged if i.kind.name == "post")
    thread_item = next(i for i in queue.flagged if i.kind.name == "thread")
    member_item = next(i for i in queue.flagged if i.kind.name == "member")
    assert (
        client.post(
            f"/moderation/posts/{post_item.target_id}/hide/", {"reason": "Racist"}
        ).status_code
        == 302
    )
    assert client.post(f"/moderation/threads/{thread_item.target_id}/dismiss/").status_code == 302
    until = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/moderation/spaces/{space.slug}/members/{member_item.target_id}/mute/",
        {"duration": "", "until": until, "reason": "Cool off"},
    )
    assert response.status_code == 302
    assert (
        client.post(f"/moderation/posts/{queue.awaiting[0].target.pk}/approve/").status_code == 302
    )
    request = queue.join_requests[0]
    assert client.post(f"/spaces/{space.slug}/members/{request.pk}/approve/").status_code == 302
    assert client.get("/moderation/").context["queue"].total == 0
    assert not Flag.objects.open().exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "post.hide",
        "flag.dismiss",
        "member.mute",
        "post.approve",
        "membership.approve",
    } <= actions
