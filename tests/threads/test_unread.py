import pytest

from threads.services import create_reply

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def test_thread_list_marks_new_threads_and_new_posts(login, space, thread, other_member, member):
    client = login(other_member)
    assert "New</strong>" in client.get(space.get_absolute_url()).content.decode()
    client.get(thread_url(thread))
    page = client.get(space.get_absolute_url()).content.decode()
    assert "New</strong>" not in page and "New posts" not in page
    create_reply(actor=member, thread=thread, body="Something new")
    page = client.get(space.get_absolute_url()).content.decode()
    assert "New posts" in page
    assert "Go to first unread post" in page


def test_first_unread_link_jumps_to_the_right_page_and_post(login, thread, member, other_member):
    client = login(other_member)
    posts = [create_reply(actor=member, thread=thread, body=f"post {n}") for n in range(35)]
    # Read the first page (opening + 29 replies).
    client.get(thread_url(thread))
    response = client.get(thread_url(thread, "unread/"))
    assert response.status_code == 302
    assert response.url.endswith(f"?page=2#post-{posts[29].pk}")


def test_unread_link_for_outsider_is_404(login, thread, outsider):
    assert login(outsider).get(thread_url(thread, "unread/")).status_code == 404
