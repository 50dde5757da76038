"""Case studies have structured sections, each under its own heading, searched like the post;
"Adapt this" starts a linked commitment; /library/ lists case studies and resources the member
may see, filterable and sorted newest or most adopted first."""

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import make_member
from threads.commitments import services
from threads.commitments.models import CaseStudy, Commitment
from threads.models import Thread
from threads.selectors import search_posts
from threads.services import create_thread

from .conftest import form_data, make_commitment

pytestmark = pytest.mark.django_db

SECTIONS = {
    "context": "Shortlisting was fair but appointments were not.",
    "actions": "Trained panel members from another directorate.",
    "changed": "Appointments from shortlisting rose.",
    "measure": "Relative likelihood",
    "before": "1.9",
    "after": "1.3",
    "did_not_work": "Volunteers burnt out; a zanzibarrota worked.",
    "contact": "Head of resourcing.",
}


def case_study_form(space, **overrides) -> dict:
    data = {
        "space": space.slug,
        "title": "Diverse panels",
        "body": "How we changed interview panels.",
        **SECTIONS,
        "wres_indicator": "2",
        "visibility": "space",
        "content_note": "",
    }
    data.update(overrides)
    return data


def write(member, space, **overrides) -> CaseStudy:
    return services.create_case_study(
        actor=member,
        space=space,
        title=overrides.pop("title", "Diverse panels"),
        summary="How we changed interview panels.",
        sections={**SECTIONS, **overrides.pop("sections", {})},
        wres_indicator=overrides.pop("wres_indicator", 2),
        **overrides,
    )


def test_member_writes_a_case_study_with_sections_under_their_own_headings(login, member, space):
    response = login(member).post("/library/new/", case_study_form(space))
    thread = Thread.objects.get()
    assert response.status_code == 302 and response.url == thread.get_absolute_url()
    assert thread.kind == "case-study" and thread.author == member
    case_study = thread.case_study
    assert case_study.wres_indicator == 2
    assert case_study.before == "1.9" and case_study.after == "1.3"
    page = login(member).get(thread.get_absolute_url())
    for heading in (
        b"<h3>The problem and context</h3>",
        b"<h3>What we did</h3>",
        b"<h3>What changed</h3>",
        b"<h3>What did not work</h3>",
        b"<h3>Who to talk to</h3>",
    ):
        assert heading in page.content
    assert b"before</strong> 1.9" in page.content
    assert b"Adapt this" in page.content


def test_who_to_talk_to_is_optional(member, space):
    case_study = write(member, space, sections={"contact": ""})
    assert "Who to talk to" not in case_study.thread.posts.get().body


@pytest.mark.parametrize("missing", ["context", "actions", "changed", "did_not_work"])
def test_each_required_section_is_asked_for_and_the_text_stays(login, member, space, missing):
    response = login(member).post("/library/new/", case_study_form(space, **{missing: ""}))
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert b"How we changed interview panels." in response.content
    assert not Thread.objects.exists()


def test_case_study_waits_for_the_spaces_guidelines(login, member, space):
    from community.models import GuidelinesVersion

    GuidelinesVersion.objects.create(space=space, version=2, body="New", body_html="<p>New</p>")
    response = login(member).post("/library/new/", case_study_form(space))
    assert b"guidelines" in response.content
    assert b"How we changed interview panels." in response.content
    assert not Thread.objects.exists()


def test_case_study_in_a_space_one_is_not_in_is_refused(login, member, other_space):
    response = login(member).post("/library/new/", case_study_form(other_space))
    assert b"Choose one of the spaces you can start threads in." in response.content
    assert not Thread.objects.exists()


def test_a_blocked_word_in_a_section_refuses_the_whole_case_study(member, space):
    from moderation.models import WatchedWord

    WatchedWord.objects.create(space=space, word="forbiddenword", action="block")
    with pytest.raises(ValidationError, match="forbiddenword"):
        write(member, space, sections={"did_not_work": "We said forbiddenword."})
    assert not Thread.objects.exists() and not CaseStudy.objects.exists()


def test_case_study_sections_are_found_by_search(member, space):
    write(member, space)
    found = list(search_posts(member, "zanzibarrota"))
    assert [post.thread.kind for post in found] == ["case-study"]


def test_adapt_this_starts_a_commitment_linked_to_the_case_study(
    login, member, other_member, space
):
    thread = write(member, space).thread
    client = login(other_member)
    page = client.get(f"/commitments/new/?thread={thread.pk}")
    assert b"Adapt this case study" in page.content
    assert b'value="2" selected' in page.content  # the case study's WRES indicator
    client.post("/commitments/new/", form_data(thread=str(thread.pk)))
    commitment = Commitment.objects.get()
    assert commitment.source_thread == thread and commitment.owner == other_member


def test_library_lists_case_studies_and_resources_the_member_may_see(
    login, member, space, make_space
):
    write(member, space, title="Visible case study")
    create_thread(actor=member, space=space, title="Visible resource", body="r", kind="resource")
    create_thread(actor=member, space=space, title="A discussion", body="d")
    elsewhere = make_space("Elsewhere")
    author = make_member(elsewhere)
    create_thread(actor=author, space=elsewhere, title="Hidden case", body="h", kind="case-study")
    create_thread(
        actor=author,
        space=elsewhere,
        title="Shared case",
        body="s",
        kind="case-study",
        visibility="community",
    )
    page = login(member).get("/library/")
    titles = {thread.title for thread in page.context["page_obj"].object_list}
    assert titles == {"Visible case study", "Visible resource", "Shared case"}
    assert b"Hidden case" not in page.content


def test_library_filters_by_space_kind_and_wres(login, member, space, other_space):
    from community.models import Membership
    from tests.conftest import accept_all_guidelines

    Membership.objects.create(user=member, space=other_space)
    accept_all_guidelines(member, other_space)
    write(member, space, title="Panels", wres_indicator=2)
    write(member, other_space, title="Training", wres_indicator=4)
    create_thread(actor=member, space=space, title="Guide", body="r", kind="resource")
    client = login(member)

    def titles(query):
        return {t.title for t in client.get(f"/library/?{query}").context["page_obj"].object_list}

    assert titles(f"space={other_space.slug}") == {"Training"}
    assert titles("kind=resource") == {"Guide"}
    assert titles("wres=2") == {"Panels"}


def test_library_sorts_most_adopted_first(login, member, other_member, space):
    popular = write(member, space, title="Popular").thread
    write(member, space, title="Newest")
    make_commitment(other_member, source_thread=popular)
    make_commitment(member, source_thread=popular)
    newest = login(member).get("/library/").context["page_obj"].object_list
    assert [t.title for t in newest] == ["Newest", "Popular"]
    adopted = login(member).get("/library/?sort=adopted").context["page_obj"].object_list
    assert [t.title for t in adopted] == ["Popular", "Newest"]
    assert adopted[0].adopted_count == 2
