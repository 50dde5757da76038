import pytest


@pytest.mark.django_db
def test_home_lists_latest_threads_of_the_members_spaces(login, member, thread):
    body = login(member).get("/").content.decode()
    assert thread.title in body
    assert "Latest in your spaces" in body


@pytest.mark.django_db
def test_home_shows_an_outsider_nothing_from_private_spaces(login, outsider, thread):
    body = login(outsider).get("/").content.decode()
    assert thread.title not in body


@pytest.mark.django_db
def test_home_runs_a_constant_number_of_queries(
    login, member, space, django_assert_max_num_queries
):
    from threads.services import create_thread

    client = login(member)
    client.get("/")
    for number in range(12):
        create_thread(actor=member, space=space, title=f"Thread {number}", body="Body")
    with django_assert_max_num_queries(15):
        assert client.get("/").status_code == 200
