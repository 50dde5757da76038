import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_member_sees_flag_links_but_no_moderator_tools(login, member, other_member, thread):
    from threads.services import create_reply

    other_post = create_reply(actor=other_member, thread=thread, body="A reply to flag")
    body = login(member).get(thread.get_absolute_url()).content.decode()
    assert reverse("flag_post", args=[other_post.pk]) in body
    assert reverse("flag_thread", args=[thread.pk]) not in body  # not one's own thread
    assert (
        reverse("flag_thread", args=[thread.pk])
        in login(other_member).get(thread.get_absolute_url()).content.decode()
    )
    assert reverse("moderation_post", args=[other_post.pk, "hide"]) not in body
    assert "Lock thread" not in body


@pytest.mark.django_db
def test_moderator_sees_tools_on_thread_page(login, moderator, thread):
    body = login(moderator).get(thread.get_absolute_url()).content.decode()
    assert "Lock thread" in body and "Move thread" in body
    opening = thread.posts.first()
    assert reverse("moderation_post", args=[opening.pk, "hide"]) in body
