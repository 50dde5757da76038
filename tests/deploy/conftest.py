"""Deployment harness: nginx from deploy/ in front of two daphne processes on PostgreSQL and Redis.

Everything here is skipped unless ``FORUM_DEPLOY_TESTS=1`` and nginx and openssl are installed
(``make test-deploy``), so plain ``make test`` needs neither them nor the services.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import stack as deploy


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = deploy.skip_reason()
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.deploy)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def stack():
    running = deploy.start_stack()
    try:
        yield running
    finally:
        deploy.stop_stack(running)


@pytest.fixture(scope="session")
def member(stack) -> deploy.Browser:
    browser = stack.browser()
    response = browser.sign_in("member@example.org")
    assert response.status == 302, (response.status, response.text[:2000])
    return browser


@pytest.fixture(scope="session")
def facilitator(stack) -> deploy.Browser:
    browser = stack.browser()
    response = browser.sign_in("facilitator@example.org")
    assert response.status == 302, (response.status, response.text[:2000])
    return browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, show the end of the daphne and nginx logs next to the traceback."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        running = getattr(item, "funcargs", {}).get("stack")
        if running is not None:
            report.sections.append(("deployment logs (last lines)", running.logs()))
