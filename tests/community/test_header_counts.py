"""The header's counts stay in the account area, which NHS.UK's header never folds under
"More" on a phone: unread notifications for everyone, items to review for moderators."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _account_area(html: str) -> str:
    return re.search(r'<nav class="nhsuk-header__account".*?</nav>', html, re.S).group(0)


def test_a_moderators_count_to_review_is_in_the_account_area(login, moderator, pending_member):
    html = login(moderator).get("/").content.decode()
    area = _account_area(html)
    assert 'href="/moderation/"' in area and "To review" in area
    assert re.search(r'To review <span class="forum-count">1</span>', area)


def test_a_member_without_moderation_sees_no_count_to_review(login, member, pending_member):
    area = _account_area(login(member).get("/").content.decode())
    assert "To review" not in area and "/moderation/" not in area
