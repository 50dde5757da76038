"""Drafts kept on the server: saved, restored, discarded on posting, private, limited."""

from __future__ import annotations

import pytest

from community.site.account_data import build_export, erase_account
from threads.models import BODY_MAX, Draft

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def _json(client, url, **data):
    return client.post(url, data, HTTP_ACCEPT="application/json")


def test_reply_draft_is_saved_and_restored_on_return(login, thread, other_member):
    client = login(other_member)
    response = _json(client, thread_url(thread, "draft/"), body="Half a thought")
    assert response.status_code == 200 and response.json()["saved"] is True
    page = client.get(thread_url(thread)).content.decode()
    assert "Half a thought" in page
    assert "Half a thought" in client.get(thread_url(thread, "reply/")).content.decode()


def test_reply_draft_is_discarded_once_posted(login, thread, other_member):
    client = login(other_member)
    _json(client, thread_url(thread, "draft/"), body="Nearly ready")
    client.post(thread_url(thread, "reply/"), {"body": "Nearly ready, now posted"})
    assert not Draft.objects.filter(user=other_member).exists()
    assert "Nearly ready</textarea>" not in client.get(thread_url(thread)).content.decode()


def test_new_thread_draft_is_saved_restored_and_discarded(login, space, member):
    client = login(member)
    url = f"/spaces/{space.slug}/threads/new/"
    _json(client, url + "draft/", title="A working title", body="Some words")
    page = client.get(url).content.decode()
    assert "A working title" in page and "Some words" in page
    client.post(
        url,
        {"title": "A working title", "body": "Some words", "kind": "discussion",
         "visibility": "space"},
    )  # fmt: skip
    assert not Draft.objects.filter(user=member).exists()


def test_no_js_save_draft_button_comes_back_to_the_form(login, thread, other_member):
    client = login(other_member)
    response = client.post(thread_url(thread, "draft/"), {"body": "Saved by the button"})
    assert response.status_code == 302 and response.url.endswith("#reply")
    assert Draft.objects.get(user=other_member).body == "Saved by the button"


def test_draft_over_the_limit_is_refused_with_a_reason_and_nothing_changes(
    login, thread, other_member
):
    client = login(other_member)
    _json(client, thread_url(thread, "draft/"), body="The earlier draft")
    too_long = "x" * (BODY_MAX + 1)
    response = _json(client, thread_url(thread, "draft/"), body=too_long)
    assert response.status_code == 400
    assert "too long to save" in response.json()["error"]
    assert Draft.objects.get(user=other_member).body == "The earlier draft"
    # Without JavaScript: the form again with the reason and the text.
    response = client.post(thread_url(thread, "draft/"), {"body": too_long})
    assert response.status_code == 400
    page = response.content.decode()
    assert "too long to save" in page and too_long in page
    assert Draft.objects.get(user=other_member).body == "The earlier draft"


def test_new_thread_draft_with_too_long_title_is_refused(login, space, member):
    response = login(member).post(
        f"/spaces/{space.slug}/threads/new/draft/", {"title": "t" * 500, "body": "ok"}
    )
    assert response.status_code == 400
    assert "t" * 500 in response.content.decode()
    assert not Draft.objects.exists()


def test_emptying_the_form_removes_the_draft(login, thread, other_member):
    client = login(other_member)
    _json(client, thread_url(thread, "draft/"), body="Gone soon")
    assert _json(client, thread_url(thread, "draft/"), body="  ").json()["saved"] is False
    assert not Draft.objects.exists()


def test_drafts_are_never_shown_to_anyone_else(login, thread, member, other_member, moderator):
    _json(login(other_member), thread_url(thread, "draft/"), body="My private words")
    for reader in (member, moderator):
        assert "My private words" not in login(reader).get(thread_url(thread)).content.decode()


def test_outsider_cannot_save_a_draft_in_a_private_thread_or_space(
    login, thread, space, outsider, banned_member
):
    for user in (outsider, banned_member):
        client = login(user)
        assert _json(client, thread_url(thread, "draft/"), body="x").status_code in (403, 404)
        response = _json(client, f"/spaces/{space.slug}/threads/new/draft/", body="x")
        assert response.status_code in (403, 404)
    assert not Draft.objects.exists()


def test_drafts_are_exported_and_erased_with_the_account(login, thread, other_member):
    _json(login(other_member), thread_url(thread, "draft/"), body="Exported words")
    assert build_export(other_member)["drafts"][0]["body"] == "Exported words"
    erase_account(other_member)
    assert not Draft.objects.exists()
