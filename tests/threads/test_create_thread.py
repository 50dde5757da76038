import pytest

from community.models import GuidelinesVersion
from threads.models import Post, Thread, ThreadFollow

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "title": "Reverse mentoring",
        "kind": "question",
        "body": "How did you start?",
        "visibility": "space",
        "content_note": "",
    }
    data.update(overrides)
    return data


def test_member_starts_a_thread_and_follows_it(login, space, member):
    response = login(member).post(f"/spaces/{space.slug}/threads/new/", _form())
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response.url == thread.get_absolute_url()
    assert thread.kind == "question"
    assert thread.visibility == "space"
    assert thread.post_count == 1
    opening = Post.objects.get(thread=thread)
    assert opening.is_opening and opening.author == member
    assert ThreadFollow.objects.filter(user=member, thread=thread).exists()


@pytest.mark.parametrize("kind", ["discussion", "question", "case-study", "resource"])
def test_member_can_start_each_kind_of_thread(login, space, member, kind):
    login(member).post(f"/spaces/{space.slug}/threads/new/", _form(kind=kind))
    assert Thread.objects.get().kind == kind


def test_visibility_defaults_to_space_members_only(login, space, member):
    page = login(member).get(f"/spaces/{space.slug}/threads/new/")
    assert b'value="space" checked' in page.content


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"title": "   \t "}, "title", "Enter a title"),
        ({"title": "x" * 201}, "title", "200 characters or fewer"),
        ({"body": ""}, "body", "Write something"),
        ({"body": "  \n\n  "}, "body", "Write something"),
        ({"body": "y" * 20_001}, "body", "20,000 characters or fewer"),
    ],
)
def test_bad_thread_input_shows_error_keeps_text_and_saves_nothing(
    login, space, member, overrides, field, message
):
    data = _form(**overrides)
    response = login(member).post(f"/spaces/{space.slug}/threads/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    form = response.context["form"]
    assert field in form.errors
    # What the member typed comes back in the form.
    kept = "title" if field == "body" else "body"
    assert data[kept] in response.content.decode()
    assert Thread.objects.count() == 0
    assert Post.objects.count() == 0


def test_outsider_gets_404_for_new_thread_page(login, space, outsider):
    assert login(outsider).get(f"/spaces/{space.slug}/threads/new/").status_code == 404
    assert login(outsider).post(f"/spaces/{space.slug}/threads/new/", _form()).status_code == 404
    assert Thread.objects.count() == 0


def test_muted_member_is_told_until_when_and_nothing_is_saved(login, space, muted_member):
    response = login(muted_member).post(f"/spaces/{space.slug}/threads/new/", _form(), follow=True)
    assert "You are muted" in response.content.decode()
    assert Thread.objects.count() == 0


def test_suspended_member_cannot_start_a_thread(login, space, suspended_member):
    response = login(suspended_member).post(
        f"/spaces/{space.slug}/threads/new/", _form(), follow=True
    )
    assert "suspended until" in response.content.decode()
    assert Thread.objects.count() == 0


def test_member_with_pending_guidelines_is_sent_to_accept_and_draft_comes_back(
    login, space, member
):
    GuidelinesVersion.objects.create(
        space=space, version=2, body="New rules", body_html="<p>New rules</p>"
    )
    client = login(member)
    response = client.post(f"/spaces/{space.slug}/threads/new/", _form(title="My draft title"))
    assert response.status_code == 302
    assert f"/spaces/{space.slug}/guidelines/" in response.url
    assert Thread.objects.count() == 0
    accept = client.post(response.url, {"accept": "on"})
    assert accept.status_code == 302
    assert accept.url == f"/spaces/{space.slug}/threads/new/"
    back = client.get(accept.url)
    assert "My draft title" in back.content.decode()
    assert "How did you start?" in back.content.decode()


def test_blocked_word_refuses_with_rule_named_and_keeps_text(monkeypatch, login, space, member):
    from django.core.exceptions import ValidationError

    def block(**kwargs):
        raise ValidationError("This uses a blocked word (rule: slurs).")

    monkeypatch.setattr("moderation.screening.screen_text", block)
    response = login(member).post(f"/spaces/{space.slug}/threads/new/", _form(body="bad words"))
    assert response.status_code == 200
    assert "rule: slurs" in response.content.decode()
    assert "bad words" in response.content.decode()
    assert Thread.objects.count() == 0


def test_slow_mode_refusal_keeps_the_draft(monkeypatch, login, space, member):
    from django.core.exceptions import PermissionDenied

    def slow(**kwargs):
        raise PermissionDenied("You can post again in 30 seconds.")

    monkeypatch.setattr("threads.policy.check_slow_mode", slow)
    response = login(member).post(f"/spaces/{space.slug}/threads/new/", _form(body="keep me"))
    assert response.status_code == 200
    assert "30 seconds" in response.content.decode()
    assert "keep me" in response.content.decode()
    assert Thread.objects.count() == 0
