"""The XSS vectors on real pages in headless Chromium: no script runs, nothing leaves the origin."""

from __future__ import annotations

import json

import pytest

from tests.security.xss_vectors import VECTORS

pytestmark = pytest.mark.browser

POST_VECTORS = """
import json
from community.models import Space, User
from threads.services import create_reply, create_thread
vectors = json.loads({vectors!r})
member = User.objects.get(email='member@example.org')
space = Space.objects.get(slug='safe-spaces')
thread = create_thread(actor=member, space=space, title='XSS sweep', body=vectors[0])
for vector in vectors[1:]:
    create_reply(actor=member, thread=thread, body=vector)
print(json.dumps({{'url': thread.get_absolute_url()}}))
"""


@pytest.fixture(scope="module")
def vector_thread(live_app) -> str:
    out = live_app.shell(POST_VECTORS.format(vectors=json.dumps(VECTORS)))
    return json.loads(out.strip().splitlines()[-1])["url"]


def test_no_vector_runs_script_or_reaches_another_origin(member_page, live_app, vector_thread):
    dialogs, foreign = [], []
    member_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    member_page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_app.url) else foreign.append(request.url)
        ),
    )
    pages = -(-len(VECTORS) // 30)
    for page in range(1, pages + 1):
        member_page.goto(f"{vector_thread}?page={page}")
        member_page.wait_for_load_state("networkidle")
        # Fire the events a vector might hang a handler on, on every element of the page.
        member_page.evaluate(
            "document.querySelectorAll('main *').forEach(e => ['mouseover', 'focus', 'toggle']"
            ".forEach(t => e.dispatchEvent(new Event(t))))"
        )
        assert member_page.evaluate("window.__xss") is None
    assert not dialogs, dialogs
    assert not [url for url in foreign if not url.startswith(("data:", "about:"))], foreign
