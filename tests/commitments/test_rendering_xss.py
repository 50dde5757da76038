"""Every XSS vector through the commitment, update and case-study forms: the stored HTML passes
the allow-list and the pages that print it carry nothing executable."""

import pytest

from tests.security.test_xss_sweep import assert_safe_fragment, assert_safe_page
from tests.security.xss_vectors import VECTORS
from threads.commitments.models import CaseStudy, Commitment, CommitmentUpdate
from threads.models import Thread

from .conftest import form_data

pytestmark = pytest.mark.django_db


def test_vectors_in_commitments_and_updates_leave_nothing_executable(login, member, space):
    client = login(member)
    text = "\n\n".join(VECTORS)[:1900]
    why = "\n\n".join(reversed(VECTORS))[:1900]
    response = client.post(
        "/commitments/new/",
        form_data(text=text, why=why, visibility="space", space=str(space.pk)),
    )
    assert response.status_code == 302, response.content[:2000]
    commitment = Commitment.objects.get()
    for vector in VECTORS:
        assert_safe_fragment(commitment.text_html, vector)
        assert_safe_fragment(commitment.why_html, vector)
    for chunk in range(0, len(VECTORS), 20):
        happened = "\n\n".join(VECTORS[chunk : chunk + 20])[:3900]
        client.post(
            f"/commitments/{commitment.pk}/updates/",
            {"happened": happened, "learned": happened, "hard": happened},
        )
    for update in CommitmentUpdate.objects.all():
        assert_safe_fragment(update.happened_html + update.learned_html + update.hard_html, "")
    for path in (
        commitment.get_absolute_url(),
        "/commitments/",
        f"/spaces/{space.slug}/commitments/",
        "/",
    ):
        assert_safe_page(client.get(path).content.decode())


def test_vectors_in_case_study_sections_leave_nothing_executable(login, member, space):
    client = login(member)
    chunk = "\n\n".join(VECTORS)[:2900]
    response = client.post(
        "/library/new/",
        {
            "space": space.slug,
            "title": "XSS case",
            "body": chunk[:1900],
            "context": chunk,
            "actions": chunk,
            "changed": chunk,
            "measure": VECTORS[0][:190],
            "before": VECTORS[1][:190],
            "after": VECTORS[2][:190],
            "did_not_work": chunk,
            "contact": chunk[:900],
            "visibility": "space",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    case_study = CaseStudy.objects.get()
    thread = Thread.objects.get()
    assert_safe_fragment(thread.posts.get().body_html, "case study")
    for name in ("context", "actions", "changed", "did_not_work", "contact"):
        assert_safe_fragment(getattr(case_study, f"{name}_html"), name)
    assert_safe_page(client.get(thread.get_absolute_url()).content.decode())
    assert_safe_page(client.get("/library/").content.decode())
