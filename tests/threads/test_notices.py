"""Community core's notices become "From the moderators" notifications (threads.receivers)."""

from __future__ import annotations

import json

import pytest

from community import notices
from threads.models import Notification

pytestmark = pytest.mark.django_db


def test_a_notice_about_a_post_links_to_the_post_and_its_thread(thread, member):
    opening = thread.posts.get()
    notices.tell(member, "Your post was hidden: off topic", about=opening)
    notification = Notification.objects.get(recipient=member)
    assert notification.kind == "moderation" and notification.text.startswith("Your post")
    assert notification.post == opening and notification.thread == thread
    assert notification.actor is None


def test_a_notice_about_a_thread_links_to_the_thread(thread, member):
    notices.tell(member, "Your thread was moved.", about=thread)
    notification = Notification.objects.get(recipient=member)
    assert notification.thread == thread and notification.post is None


def test_a_notice_about_anything_else_links_to_nothing(member, space):
    notices.tell(member, "You have been warned: tone.", about=space)
    notification = Notification.objects.get(recipient=member)
    assert notification.thread is None and notification.post is None


def test_no_notice_for_a_deactivated_account(member):
    member.is_active = False
    member.save()
    notices.tell(member, "Anything")
    assert not Notification.objects.exists()


def test_the_unread_count_is_pushed_after_commit(
    monkeypatch, member, django_capture_on_commit_callbacks
):
    sent = []

    class Layer:
        async def group_send(self, group, message):
            sent.append((group, json.loads(message["text"])))

    monkeypatch.setattr("realtime.broadcast.get_channel_layer", Layer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices.tell(member, "Your account is no longer suspended.")
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [(f"notify.{member.pk}", {"type": "notifications"})]
