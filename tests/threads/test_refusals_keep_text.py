"""Nothing lost (SPEC.md principle 4) and sanctions told on every path ("Moderation"): a form
post or an HTMX request refused for a ban, mute, suspension, lock, slow mode or missing
guidelines answers with the reason, the end time where there is one, and the member's text."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import GuidelinesVersion, Membership
from threads.models import Post, Reaction, Thread
from threads.services import create_reply

from .helpers import post_url, thread_url

pytestmark = pytest.mark.django_db

WORDS = "My careful unsent words about the rota"
HX = {"HTTP_HX_REQUEST": "true"}


def _textareas(page: str) -> list[str]:
    """The texts of the page's textareas (HTML drops the newline right after the tag)."""
    found = re.findall(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    return [html.unescape(body.removeprefix("\n")) for body in found]


def _ban(user, space, reason="Repeated personal attacks"):
    Membership.objects.filter(user=user, space=space).update(
        status=Membership.Status.BANNED, ban_reason=reason
    )


def _mute(user, space, reason="Cooling off"):
    Membership.objects.filter(user=user, space=space).update(
        muted_until=timezone.now() + timedelta(hours=2), mute_reason=reason
    )


def _suspend(user):
    user.suspended_until = timezone.now() + timedelta(days=3)
    user.save()


# Banned while writing ---------------------------------------------------------------------


def test_member_banned_while_writing_a_reply_is_told_and_keeps_their_text(
    login, space, thread, other_member
):
    client = login(other_member)
    assert client.get(thread_url(thread)).status_code == 200
    _ban(other_member, space)
    response = client.post(thread_url(thread, "reply/"), {"body": WORDS})
    page = response.content.decode()
    assert response.status_code == 404, "they may no longer see the thread"
    assert "You have been banned from" in page
    assert "Repeated personal attacks" in page
    assert "nhsuk-error-summary" in page
    assert _textareas(page) == [WORDS]
    assert re.search(r"<textarea[^>]*readonly", page)
    assert thread.title not in page, "no thread content, only their own text and the reason"
    assert "reverse mentoring" not in page
    assert Post.objects.filter(thread=thread).count() == 1


def test_member_banned_while_starting_a_thread_keeps_title_and_body(login, space, other_member):
    _ban(other_member, space)
    data = {"title": "Our rota problem", "body": WORDS, "kind": "discussion", "visibility": "space"}
    response = login(other_member).post(f"/spaces/{space.slug}/threads/new/", data)
    page = response.content.decode()
    assert response.status_code == 404
    assert "You have been banned from" in page and "Repeated personal attacks" in page
    assert WORDS in _textareas(page)
    assert "Our rota problem" in page
    assert not Thread.objects.filter(title="Our rota problem").exists()


def test_author_banned_while_editing_keeps_their_text(login, space, thread, other_member):
    reply = create_reply(actor=other_member, thread=thread, body="First go")
    _ban(other_member, space)
    response = login(other_member).post(post_url(reply, "edit/"), {"body": WORDS})
    assert response.status_code == 404
    assert "You have been banned from" in response.content.decode()
    assert WORDS in _textareas(response.content.decode())
    reply.refresh_from_db()
    assert reply.body == "First go"


def test_an_outsider_posting_learns_nothing_whether_the_thread_exists(
    login, space, thread, outsider
):
    client = login(outsider)
    real = client.post(thread_url(thread, "reply/"), {"body": WORDS})
    missing = client.post(f"/spaces/{space.slug}/threads/999999/reply/", {"body": WORDS})
    assert real.status_code == missing.status_code == 404
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.content.decode())  # noqa: E731 (csrf)
    assert strip(real) == strip(missing)
    assert thread.title not in real.content.decode()
    assert "banned" not in real.content.decode()
    assert WORDS in _textareas(real.content.decode()), "their own text is theirs to keep"
    assert Post.objects.filter(thread=thread).count() == 1


def test_a_quoted_post_that_vanished_keeps_the_reply(login, thread, other_member, member):
    quoted = create_reply(actor=member, thread=thread, body="Soon gone")
    Post.objects.filter(pk=quoted.pk).update(is_deleted=True)
    response = login(other_member).post(
        thread_url(thread, "reply/"), {"body": WORDS, "quote": quoted.pk}
    )
    page = response.content.decode()
    assert response.status_code == 404
    assert "no longer available" in page
    assert WORDS in _textareas(page)


# Muted and suspended: the page says why -----------------------------------------------------


def test_muted_members_thread_page_says_why_the_reply_form_is_gone(
    login, space, thread, other_member
):
    _mute(other_member, space)
    page = login(other_member).get(thread_url(thread)).content.decode()
    assert f"You are muted in {space.name} until" in page
    assert "Cooling off" in page
    assert 'name="body"' not in page, "no reply form"
    assert "Flag<span" not in page, "no Flag link that would only refuse"


def test_suspended_members_thread_page_says_why_and_offers_no_flag(login, thread, other_member):
    _suspend(other_member)
    page = login(other_member).get(thread_url(thread)).content.decode()
    assert "Your account is suspended until" in page
    assert 'name="body"' not in page
    assert "Flag<span" not in page


def test_suspended_members_htmx_reaction_answers_with_the_reason(login, thread, other_member):
    opening = thread.posts.get()
    client = login(other_member)
    _suspend(other_member)
    response = client.post(post_url(opening, "react/"), {"kind": "thanks"}, **HX)
    page = response.content.decode()
    assert response.status_code == 200, "htmx swaps 2xx answers only"
    assert f'id="reactions-{opening.pk}"' in page
    assert "Your account is suspended until" in page
    assert "<html" not in page
    assert not Reaction.objects.exists()


def test_muted_members_htmx_reaction_answers_with_the_reason(login, space, thread, other_member):
    opening = thread.posts.get()
    _mute(other_member, space)
    response = login(other_member).post(post_url(opening, "react/"), {"kind": "thanks"}, **HX)
    assert response.status_code == 200
    assert "You are muted in" in response.content.decode()
    assert not Reaction.objects.exists()


def test_banned_members_htmx_reaction_answers_with_the_ban(login, space, thread, other_member):
    opening = thread.posts.get()
    _ban(other_member, space)
    target = {"HTTP_HX_TARGET": f"reactions-{opening.pk}"}  # htmx names the element it swaps
    response = login(other_member).post(
        post_url(opening, "react/"), {"kind": "thanks"}, **HX, **target
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="reactions-{opening.pk}"' in page
    assert "You have been banned from" in page
    assert "<html" not in page
    assert not Reaction.objects.exists()


def test_muted_member_starting_a_thread_keeps_their_text(login, space, muted_member):
    data = {"title": "Our rota problem", "body": WORDS, "kind": "discussion", "visibility": "space"}
    response = login(muted_member).post(f"/spaces/{space.slug}/threads/new/", data)
    page = response.content.decode()
    assert response.status_code == 403
    assert "You are muted in" in page and "nhsuk-error-summary" in page
    assert WORDS in _textareas(page)
    assert 'value="Our rota problem"' in page
    assert not Thread.objects.exists()


def test_muted_author_editing_keeps_their_text(login, space, thread, other_member):
    reply = create_reply(actor=other_member, thread=thread, body="First go")
    _mute(other_member, space)
    response = login(other_member).post(post_url(reply, "edit/"), {"body": WORDS})
    page = response.content.decode()
    assert response.status_code == 403
    assert "You are muted in" in page and "nhsuk-error-summary" in page
    assert WORDS in _textareas(page)


def test_htmx_reply_refused_for_a_mute_answers_with_a_fragment(login, space, thread, other_member):
    _mute(other_member, space)
    response = login(other_member).post(thread_url(thread, "reply/"), {"body": WORDS}, **HX)
    page = response.content.decode()
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#thread-notices"
    assert "<html" not in page
    assert "You are muted in" in page and "Cooling off" in page
    assert WORDS in _textareas(page)


# Lock, slow mode and guidelines keep the text ----------------------------------------------


def test_reply_to_a_thread_locked_while_writing_keeps_the_text(login, thread, other_member):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    response = login(other_member).post(thread_url(thread, "reply/"), {"body": WORDS})
    page = response.content.decode()
    assert response.status_code == 403
    assert "This thread is locked" in page and "nhsuk-error-summary" in page
    assert WORDS in _textareas(page)


def test_slow_mode_refusal_keeps_the_text(login, space, thread, other_member):
    space.slow_mode_seconds = 600
    space.save()
    client = login(other_member)
    client.post(thread_url(thread, "reply/"), {"body": "first"})
    response = client.post(thread_url(thread, "reply/"), {"body": WORDS})
    page = response.content.decode()
    assert "You can post again in" in page and "nhsuk-error-summary" in page
    assert WORDS in _textareas(page)
    assert not Post.objects.filter(body=WORDS).exists()


def test_guidelines_over_htmx_send_the_browser_to_accept_and_keep_the_draft(
    login, thread, other_member
):
    GuidelinesVersion.objects.create(
        space=thread.space, version=2, body="v2", body_html="<p>v2</p>"
    )
    client = login(other_member)
    response = client.post(thread_url(thread, "reply/"), {"body": WORDS}, **HX)
    assert response.status_code == 200
    target = response.headers["HX-Redirect"]
    assert "guidelines" in target
    assert not Post.objects.filter(body=WORDS).exists()
    accepted = client.post(target, {"accept": "on"})
    back = client.get(accepted.url)
    assert WORDS in _textareas(back.content.decode())
