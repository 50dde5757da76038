"""Bench only: count the SQL queries each request runs and report them in ``X-Query-Count``."""

from __future__ import annotations

from django.db import connections


class QueryCountMiddleware:
    """Sync on purpose: under ASGI the whole sync chain (middleware, view, template rendering)
    then runs in one thread on one connection, so the wrapper sees every query."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _Counter()
        with connections["default"].execute_wrapper(counter):
            response = self.get_response(request)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response["X-Query-Count"] = str(counter.count)
        return response


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)
