"""Friendly 403, 404, 500 and 503 pages in the house design."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What a request meets while PostgreSQL or Redis restarts or is out of reach: the service is
# unavailable for a moment, not broken. (psycopg_pool's PoolTimeout reaches views as Django's
# OperationalError.)
OUTAGE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 10


def permission_denied(request, exception=None):
    message = (
        str(exception) if exception and str(exception) else "You do not have permission to do that."
    )
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """Django calls this inside the ``except`` block of the exception it could not handle."""
    if isinstance(sys.exc_info()[1], OUTAGE_ERRORS):
        return service_unavailable(request)
    return HttpResponseServerError(loader.get_template("500.html").render())


def service_unavailable(request):
    # Rendered without the request: context processors would query the database that is down.
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
