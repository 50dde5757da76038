"""Every page of a paginated list has its own title: "… – page 2 of 3 – …" (WCAG 2.4.2)."""

from __future__ import annotations

import re

import pytest

from threads import selectors
from threads.services import create_reply, create_thread

pytestmark = pytest.mark.django_db


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def test_thread_pages_say_which_page_they_are(monkeypatch, login, member, thread):
    monkeypatch.setattr(selectors, "POSTS_PER_PAGE", 2)
    for number in range(4):
        create_reply(actor=member, thread=thread, body=f"Reply {number}")
    client = login(member)
    first = _title(client.get(thread.get_absolute_url()))
    second = _title(client.get(thread.get_absolute_url() + "?page=2"))
    assert first == f"{thread.title} – page 1 of 3 – Race Equality Peer Forum"
    assert second == f"{thread.title} – page 2 of 3 – Race Equality Peer Forum"


def test_space_thread_list_pages_say_which_page_they_are(monkeypatch, login, member, space):
    monkeypatch.setattr(selectors, "THREADS_PER_PAGE", 2)
    for number in range(3):
        create_thread(actor=member, space=space, title=f"Thread {number}", body="Body")
    title = _title(login(member).get(f"/spaces/{space.slug}/?page=2"))
    assert title == f"{space.name} – page 2 of 2 – Race Equality Peer Forum"


def test_a_single_page_has_no_page_number(login, member, thread):
    assert _title(login(member).get(thread.get_absolute_url())) == (
        f"{thread.title} – Race Equality Peer Forum"
    )
