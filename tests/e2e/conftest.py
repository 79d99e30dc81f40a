"""Browser tests: Debian's Chromium driven by pytest-playwright against the real server (the test
server: `pyapp serve`'s app with its test hooks on; test_security.py also starts `pyapp serve`)."""

import time
from pathlib import Path

import pytest

from bench.chromium import BOOT_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS
from pyapp.server.local import serving


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def server_url(assets_dir):
    """The test server on a free port for the whole session."""
    with serving() as url:
        yield url


def poll(page, expression: str, timeout=BOOT_TIMEOUT_MS):
    """The expression's value once truthy. Unlike wait_for_function (which evaluates its expression
    with JS eval) this works under `pyapp serve`'s Content-Security-Policy."""
    deadline = time.monotonic() + timeout / 1000
    while not (value := page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout / 1000:.0f} s for {expression}")
        page.wait_for_timeout(200)
    return value


def wait_for_state(page, timeout=BOOT_TIMEOUT_MS) -> str:
    """Block until the page's runtime is ready or has failed; returns the final state."""
    return poll(page, "['ready', 'error'].includes(window.pyappState) && window.pyappState", timeout)


@pytest.fixture
def ready_page(page, server_url):
    page.goto(server_url + "/")
    state = wait_for_state(page)
    assert state == "ready", page.locator("#error").text_content()
    return page
