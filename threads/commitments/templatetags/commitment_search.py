"""The site search's commitments section, in templates/threads/search.html:
``{% commitment_search query as found %}`` finds them (before the posts' "No results", which is
said only when nothing at all matched), ``{% include "commitments/_search_results.html" with
found=found %}`` lists them. A template tag, so threads' search view does not import this app
(pyproject's import contracts); the query is :func:`threads.commitments.selectors.search_results`,
on the one visibility rule."""

from __future__ import annotations

from django import template

from community.models import Space

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def commitment_search(context, query: str) -> dict:
    request = context["request"]
    user = request.user
    slug = request.GET.get("space") or ""
    space = Space.objects.readable_by(user).filter(slug=slug).first() if slug else None
    return {
        "query": query,
        "limit": selectors.SEARCH_RESULTS,
        "commitments": selectors.search_results(user, query, space=space) if query else [],
    }
