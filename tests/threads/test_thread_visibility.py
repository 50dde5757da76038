import pytest

from community.models import Membership
from tests.conftest import make_member
from threads.models import Post, PostStatus, Thread, ThreadVisibility
from threads.services import create_reply, create_thread

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def test_outsider_gets_404_for_thread_in_private_space(login, thread, outsider):
    response = login(outsider).get(thread_url(thread))
    assert response.status_code == 404
    assert thread.title.encode() not in response.content


def test_signed_out_visitor_is_sent_to_sign_in_for_a_thread(login, thread):
    response = login(None).get(thread_url(thread))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


@pytest.mark.parametrize(
    "role, expected",
    [
        ("member", 200),
        ("other_member", 200),
        ("moderator", 200),
        ("staff", 200),
        ("outsider", 404),
        ("pending_member", 404),
        ("banned_member", 404),
        ("other_moderator", 404),
    ],
)
def test_thread_page_permission_matrix(request, login, thread, role, expected):
    user = request.getfixturevalue(role)
    assert login(user).get(thread_url(thread)).status_code == expected


def test_member_who_left_the_space_gets_404(login, thread, other_member):
    Membership.objects.filter(user=other_member, space=thread.space).delete()
    assert login(other_member).get(thread_url(thread)).status_code == 404


def test_thread_id_from_another_space_in_the_url_is_404(login, thread, other_space, member):
    make_member(other_space, "Both places")
    Membership.objects.create(user=member, space=other_space)
    response = login(member).get(f"/spaces/{other_space.slug}/threads/{thread.pk}/")
    assert response.status_code == 404


def test_community_thread_is_visible_to_any_signed_in_member(space, member, outsider, login):
    shared = create_thread(
        actor=member,
        space=space,
        title="Shared with everyone",
        body="Hello all",
        visibility=ThreadVisibility.COMMUNITY,
    )
    assert Thread.objects.visible_to(outsider).filter(pk=shared.pk).exists()
    response = login(outsider).get(thread_url(shared))
    assert response.status_code == 200
    assert b"Join" in response.content
    assert b"Post reply" not in response.content


def test_community_thread_in_unlisted_space_stays_private(unlisted_space, outsider):
    author = make_member(unlisted_space, "Una Unlisted")
    shared = create_thread(
        actor=author,
        space=unlisted_space,
        title="Cohort only",
        body="x",
        visibility=ThreadVisibility.COMMUNITY,
    )
    assert not Thread.objects.visible_to(outsider).filter(pk=shared.pk).exists()


def test_non_member_sees_only_community_threads_on_a_listed_space_page(
    login, space, thread, member, outsider
):
    create_thread(
        actor=member,
        space=space,
        title="Open to the whole forum",
        body="x",
        visibility=ThreadVisibility.COMMUNITY,
    )
    response = login(outsider).get(space.get_absolute_url())
    assert response.status_code == 200
    assert b"Open to the whole forum" in response.content
    assert thread.title.encode() not in response.content


def test_hidden_thread_is_seen_only_by_author_and_moderators(
    thread, member, other_member, moderator
):
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    assert not Thread.objects.visible_to(other_member).filter(pk=thread.pk).exists()
    assert Thread.objects.visible_to(member).filter(pk=thread.pk).exists()
    assert Thread.objects.visible_to(moderator).filter(pk=thread.pk).exists()


@pytest.mark.parametrize(
    "status, deleted, author_sees, peer_sees, moderator_sees",
    [
        (PostStatus.PUBLISHED, False, True, True, True),
        (PostStatus.PENDING, False, True, False, True),
        (PostStatus.HIDDEN, False, True, False, True),
        (PostStatus.PUBLISHED, True, False, False, True),
    ],
)
def test_post_visibility_by_status(
    thread, other_member, member, moderator, status, deleted, author_sees, peer_sees, moderator_sees
):
    reply = create_reply(actor=other_member, thread=thread, body="A reply")
    Post.objects.filter(pk=reply.pk).update(status=status, is_deleted=deleted)
    visible = lambda user: Post.objects.visible_to(user).filter(pk=reply.pk).exists()  # noqa: E731
    assert visible(other_member) is author_sees
    assert visible(member) is peer_sees
    assert visible(moderator) is moderator_sees


def test_pending_reply_is_not_on_the_page_for_peers(login, thread, other_member, member):
    reply = create_reply(actor=other_member, thread=thread, body="Waiting for approval")
    Post.objects.filter(pk=reply.pk).update(status=PostStatus.PENDING)
    assert b"Waiting for approval" not in login(member).get(thread_url(thread)).content
    assert b"Waiting for approval" in login(other_member).get(thread_url(thread)).content


def test_thread_awaiting_approval_is_hidden_from_peers(monkeypatch, space, member, other_member):
    monkeypatch.setattr("threads.policy.needs_premoderation", lambda **kw: True)
    pending = create_thread(actor=member, space=space, title="First post", body="Hello")
    assert pending.is_pending
    assert not Thread.objects.visible_to(other_member).filter(pk=pending.pk).exists()
    assert Thread.objects.visible_to(member).filter(pk=pending.pk).exists()


def test_signed_out_user_sees_nothing(thread):
    from django.contrib.auth.models import AnonymousUser

    assert not Thread.objects.visible_to(AnonymousUser()).exists()
    assert not Post.objects.visible_to(AnonymousUser()).exists()
