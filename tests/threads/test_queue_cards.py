"""The review queue's cards for posts and threads (templates/threads/moderation/)."""

from __future__ import annotations

import pytest

from moderation.services import flag_post, flag_thread

pytestmark = pytest.mark.django_db


def test_queue_cards_show_no_template_comments(login, thread, other_member, moderator):
    flag_post(actor=other_member, post=thread.posts.get(), reason="spam")
    flag_thread(actor=other_member, thread=thread, reason="spam")
    page = login(moderator).get("/moderation/").content.decode()
    assert "{#" not in page and "#}" not in page
