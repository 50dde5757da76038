"""While PostgreSQL or Redis is out of reach, pages answer 503 with the house page, not a 500."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import AsyncClient, Client
from django.urls import path
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

ERRORS = {
    "database": OperationalError("connection failed: server closed the connection"),
    "interface": InterfaceError("connection already closed"),
    "redis": RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"),
    "redis-timeout": RedisTimeoutError("Timeout reading from socket"),
    "bug": ZeroDivisionError("a real bug"),
}


@login_not_required
def boom(request, kind):
    if kind == "ok":
        return HttpResponse("fine")
    raise ERRORS[kind]


urlpatterns = [path("boom/<str:kind>/", boom)]
handler500 = "community.errors.server_error"


def _client(cls=Client):
    return cls(raise_request_exception=False)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", ["database", "interface", "redis", "redis-timeout"])
def test_outage_errors_answer_503_with_the_house_page(kind):
    response = _client().get(f"/boom/{kind}/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "Sorry, the service is unavailable" in body
    assert "Traceback" not in body and str(ERRORS[kind]) not in body
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.urls(__name__)
def test_other_errors_stay_500():
    response = _client().get("/boom/bug/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


@pytest.mark.urls(__name__)
async def test_outage_answers_503_under_asgi_too():
    # Under ASGI Django builds the error response in a worker thread; the handler must still
    # see the exception.
    response = await _client(AsyncClient).get("/boom/database/")
    assert response.status_code == 503
    assert (await _client(AsyncClient).get("/boom/bug/")).status_code == 500


@pytest.mark.django_db
def test_a_database_failure_in_middleware_answers_503(member, monkeypatch):
    """The session is read by middleware, before any view runs (the usual first query)."""
    client = _client()
    client.force_login(member)

    def down(self, *args, **kwargs):
        raise OperationalError("connection failed: Connection refused")

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", down)
    response = client.get("/spaces/")
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in response.content.decode()
