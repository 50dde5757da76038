import pytest

from threads.models import Notification
from threads.selectors import unread_notification_count
from threads.services import create_reply, follow_thread


@pytest.mark.django_db
def test_staff_follower_sees_notifications_about_threads(staff, member, thread):
    follow_thread(actor=staff, thread=thread)
    create_reply(actor=member, thread=thread, body="A reply staff should hear about")
    assert unread_notification_count(staff) == 1
    assert Notification.objects.visible_to(staff).count() == 1


@pytest.mark.django_db
def test_notification_about_thread_one_can_no_longer_see_is_not_counted(
    member, other_member, space, thread
):
    from community.models import Membership

    follow_thread(actor=other_member, thread=thread)
    create_reply(actor=member, thread=thread, body="News")
    assert unread_notification_count(other_member) == 1
    Membership.objects.filter(user=other_member, space=space).delete()
    assert unread_notification_count(other_member) == 0
    assert not Notification.objects.visible_to(other_member).exists()


@pytest.mark.django_db
def test_unread_count_is_one_query(member, django_assert_num_queries):
    with django_assert_num_queries(1):
        unread_notification_count(member)
