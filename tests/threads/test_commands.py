import io

import pytest
from django.core import mail
from django.core.management import call_command

from community.demo import seed_accounts
from community.models import Membership
from community.rendering import RENDERER_VERSION
from threads.models import Notification, Post, PostStatus, Thread
from threads.services import create_reply

pytestmark = pytest.mark.django_db


def _digests() -> str:
    out = io.StringIO()
    call_command("send_digests", "--base-url", "https://forum.example", stdout=out)
    return out.getvalue()


def test_digest_batches_followed_activity_into_one_email(thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="First reply")
    create_reply(actor=facilitator, thread=thread, body="Second reply")
    _digests()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert "Femi Facilitator replied to" in message.body
    assert "https://forum.example/spaces/" in message.body
    assert Notification.objects.filter(recipient=member, emailed_at__isnull=True).count() == 0


def test_member_who_turned_digests_off_gets_no_email(thread, member, facilitator, login):
    response = login(member).post(
        "/account/profile/", {"display_name": member.display_name, "email_frequency": "never"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email_frequency == "never"
    create_reply(actor=facilitator, thread=thread, body="A reply")
    _digests()
    assert mail.outbox == []
    # The in-app notification is still there.
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 1


def test_digest_is_sent_once(thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="Reply")
    _digests()
    _digests()
    assert len(mail.outbox) == 1


def test_digest_skips_what_the_member_can_no_longer_see(thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="Private words")
    Membership.objects.filter(user=member).delete()
    _digests()
    assert mail.outbox == []


def test_digest_skips_hidden_posts(thread, member, facilitator):
    reply = create_reply(actor=facilitator, thread=thread, body="Hidden words")
    Post.objects.filter(pk=reply.pk).update(status=PostStatus.HIDDEN)
    _digests()
    assert all("Hidden words" not in m.body for m in mail.outbox)


def test_digest_skips_notifications_already_read(thread, member, facilitator):
    create_reply(actor=facilitator, thread=thread, body="Reply")
    Notification.objects.update(read_at="2026-01-01T00:00:00Z")
    _digests()
    assert mail.outbox == []


def test_rerender_posts_updates_old_renderer_versions(thread):
    Post.objects.update(body_html="<p>stale</p>", renderer_version=0)
    out = io.StringIO()
    call_command("rerender_posts", stdout=out)
    post = Post.objects.get()
    assert post.renderer_version == RENDERER_VERSION
    assert "stale" not in post.body_html
    assert "Re-rendered 1 post" in out.getvalue()
    out = io.StringIO()
    call_command("rerender_posts", stdout=out)
    assert "Re-rendered 0 posts" in out.getvalue()


def test_demo_threads_are_seeded_once_with_required_kinds():
    from threads import demo

    ctx = seed_accounts()
    demo.seed(ctx)
    count = Thread.objects.count()
    demo.seed(ctx)
    assert Thread.objects.count() == count
    assert count >= 2 * len(ctx.spaces)
    assert Thread.objects.filter(anonymous=True).exists()
    assert Thread.objects.filter(visibility="community").exists()
    assert Thread.objects.exclude(content_note="").exists()
    for space in ctx.spaces.values():
        assert Thread.objects.filter(space=space).count() >= 2


def test_content_note_folds_the_body_behind_details(login, space, member, other_member):
    from threads.services import create_thread

    noted = create_thread(
        actor=member,
        space=space,
        title="Hard reading",
        body="The hard details",
        content_note="describes racist abuse",
    )
    page = login(other_member).get(noted.get_absolute_url()).content.decode()
    details = page[page.index('<details class="nhsuk-details">') :]
    assert "Content note: describes racist abuse" in details
    assert details.index("The hard details") < details.index("</details>")
