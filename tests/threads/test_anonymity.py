import io
import re

import pytest
from django.core import mail
from django.core.management import call_command

from threads.models import Notification, Post
from threads.services import create_reply, follow_space, follow_thread

from .helpers import thread_url

pytestmark = pytest.mark.django_db

# “Olu Other” started anonymous_thread; none of these may reach a peer.
TRACES = ["Olu Other", "Olu", "olu.other"]


# CSRF tokens are random letters: "Olu" turns up in one now and then.
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _assert_no_trace(text: str, author) -> None:
    text = CSRF_TOKEN.sub("", text)
    for trace in [*TRACES, f"/members/{author.pk}/"]:
        assert trace not in text, trace


def test_peer_sees_a_member_of_this_space_and_no_trace_on_the_thread_page(
    login, anonymous_thread, member, other_member
):
    text = login(member).get(thread_url(anonymous_thread)).content.decode()
    assert "A member of this space" in text
    _assert_no_trace(text, other_member)


def test_peer_sees_no_trace_in_the_space_thread_list(login, anonymous_thread, member, other_member):
    text = login(member).get(anonymous_thread.space.get_absolute_url()).content.decode()
    assert anonymous_thread.title in text
    _assert_no_trace(text, other_member)


def test_moderator_sees_the_real_author_with_a_marker(login, anonymous_thread, moderator):
    text = login(moderator).get(thread_url(anonymous_thread)).content.decode()
    assert "Olu Other" in text
    assert "Anonymous" in text


def test_staff_sees_the_real_author(login, anonymous_thread, staff):
    assert "Olu Other" in login(staff).get(thread_url(anonymous_thread)).content.decode()


def test_author_sees_their_own_post_marked_as_anonymous(login, anonymous_thread, other_member):
    text = login(other_member).get(thread_url(anonymous_thread)).content.decode()
    assert "posted anonymously" in text


def test_no_trace_in_search_results(login, anonymous_thread, member, other_member):
    text = login(member).get("/search/?q=passed").content.decode()
    assert "I was <mark>passed</mark> over again" in text
    _assert_no_trace(text, other_member)


def test_no_trace_in_notifications_or_email(login, space, anonymous_thread, member, other_member):
    follow_thread(actor=member, thread=anonymous_thread)
    create_reply(actor=other_member, thread=anonymous_thread, body="Still me", anonymous=True)
    note = Notification.objects.get(recipient=member)
    assert note.actor is None
    text = login(member).get("/notifications/").content.decode()
    assert "A member of this space" in text
    _assert_no_trace(text, other_member)
    call_command("send_digests", stdout=io.StringIO())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    _assert_no_trace(message.body, other_member)
    _assert_no_trace(message.alternatives[0][0], other_member)
    assert "A member of this space" in message.body


def test_new_anonymous_thread_notification_does_not_name_author(space, member, other_member):
    from threads.services import create_thread

    follow_space(actor=member, space=space)
    create_thread(actor=other_member, space=space, title="Hard one", body="x", anonymous=True)
    note = Notification.objects.get(recipient=member)
    assert note.kind == "new_thread"
    assert note.actor is None


def test_anonymous_thread_author_replies_anonymously_by_default(
    login, anonymous_thread, other_member
):
    page = login(other_member).get(thread_url(anonymous_thread))
    assert 'name="anonymous" type="checkbox" value="on" checked' in page.content.decode()


def test_edited_anonymous_post_shows_peers_only_edited(
    login, anonymous_thread, member, other_member
):
    from threads.services import edit_post

    opening = Post.objects.get(thread=anonymous_thread)
    edit_post(actor=other_member, post=opening, body="A gentler version")
    text = login(member).get(thread_url(anonymous_thread)).content.decode()
    assert "edited" in text
    assert "earlier versions" not in text
    _assert_no_trace(text, other_member)
    revisions = f"/spaces/{anonymous_thread.space.slug}/threads/{anonymous_thread.pk}/posts/{opening.pk}/revisions/"
    assert login(member).get(revisions).status_code == 404
