import pytest

from community.models import Membership
from threads.models import Notification, SpaceFollow, ThreadFollow
from threads.selectors import unread_notification_count
from threads.services import create_reply, create_thread

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def test_follower_is_notified_when_someone_replies(thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="Here is what worked for us")
    note = Notification.objects.get(recipient=member)
    assert note.kind == "reply"
    assert note.actor == facilitator
    assert unread_notification_count(member) == 1
    assert not Notification.objects.filter(recipient=facilitator).exists()


def test_header_shows_unread_count_and_notifications_page_lists_it(
    login, thread, member, facilitator
):
    create_reply(actor=facilitator, thread=thread, body="Reply")
    page = login(member).get("/notifications/").content.decode()
    assert "Femi Facilitator replied to" in page
    assert "data-notification-count><span data-count>1<" in page


def test_opening_a_notification_marks_it_read_and_goes_to_the_post(
    login, thread, member, facilitator
):
    post = create_reply(actor=facilitator, thread=thread, body="Reply")
    note = Notification.objects.get(recipient=member)
    response = login(member).get(f"/notifications/{note.pk}/")
    assert response.status_code == 302
    assert f"#post-{post.pk}" in login(member).get(response.url).url
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_all_read(login, thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="one")
    create_reply(actor=facilitator, thread=thread, body="two")
    login(member).post("/notifications/read/")
    assert unread_notification_count(member) == 0


def test_someone_elses_notification_is_404(login, thread, member, facilitator, other_member):
    create_reply(actor=facilitator, thread=thread, body="Reply")
    note = Notification.objects.get(recipient=member)
    assert login(other_member).get(f"/notifications/{note.pk}/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_notification_about_a_space_one_has_left_disappears(login, thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="Secret reply")
    Membership.objects.filter(user=member).delete()
    assert unread_notification_count(member) == 0
    assert thread.title not in login(member).get("/notifications/").content.decode()


def test_quoted_author_is_notified(thread, member, other_member):
    ThreadFollow.objects.filter(user=member).delete()
    opening = thread.posts.get()
    create_reply(actor=other_member, thread=thread, body="> quote\n\nyes", quote=opening)
    assert Notification.objects.get(recipient=member).kind == "quote"


def test_follow_and_unfollow_a_thread(login, thread, other_member):
    client = login(other_member)
    client.post(thread_url(thread, "follow/"), {"action": "follow"})
    assert ThreadFollow.objects.filter(user=other_member, thread=thread).exists()
    client.post(thread_url(thread, "follow/"), {"action": "unfollow"})
    assert not ThreadFollow.objects.filter(user=other_member, thread=thread).exists()


def test_following_an_invisible_thread_is_404_and_nothing_changes(login, thread, outsider):
    response = login(outsider).post(thread_url(thread, "follow/"), {"action": "follow"})
    assert response.status_code == 404
    assert not ThreadFollow.objects.filter(user=outsider).exists()


def test_follow_space_gets_new_thread_notifications(login, space, member, other_member):
    login(other_member).post(f"/spaces/{space.slug}/threads/follow/", {"action": "follow"})
    assert SpaceFollow.objects.filter(user=other_member, space=space).exists()
    create_thread(actor=member, space=space, title="New one", body="x")
    assert Notification.objects.get(recipient=other_member).kind == "new_thread"


def test_outsider_cannot_follow_a_private_space(login, space, outsider):
    response = login(outsider).post(f"/spaces/{space.slug}/threads/follow/", {"action": "follow"})
    assert response.status_code == 404
    assert not SpaceFollow.objects.exists()


def test_no_notification_for_a_pending_reply(monkeypatch, thread, member, other_member):
    monkeypatch.setattr("threads.policy.needs_premoderation", lambda **kw: True)
    create_reply(actor=other_member, thread=thread, body="awaiting")
    assert not Notification.objects.filter(recipient=member).exists()
    thread.refresh_from_db()
    assert thread.post_count == 1
