"""Browser tests: Debian's headless Chromium driven by Playwright's sync API against pytest-django's
`live_server` (which also serves static files and gives each test a transactional database).

Fixtures: `browser` (one Chromium per test module), `new_page(viewport)` (a fresh browser context, so
fresh cookies, per call), `browser_page` (a desktop page; parametrize it indirectly with PHONE or a
(width, height) pair for another viewport), `demo` (the `seed_demo` street and accounts, whose password
is DEMO_PASSWORD). Helpers: `login_as`, `screenshot`, `wide_elements`.

Another app reuses all of this by importing it into its own `tests/conftest.py`:

    from shequ.core.tests.conftest import browser, browser_page, new_page  # noqa: F401

Every test that opens a page must carry `@pytest.mark.browser`, so `pytest -m "not browser"` (the SQLite
and PostgreSQL runs of `./dev test`) never needs Chromium. Chromium is never downloaded: Playwright is
pointed at the Debian package (`apt-get install chromium`); do not run `playwright install`.
"""

import io
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import base_user
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from shequ.accounts.demo import DEMO_PASSWORD

__all__ = ["browser", "browser_page", "demo", "demo_password_hash", "login_as", "new_page", "screenshot",
           "wide_elements", "DESKTOP", "PHONE"]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Short enough that a missing element fails the test quickly, long enough for a slow CI machine.
TIMEOUT_MS = 15_000


def chromium_path():
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def screenshot_dir():
    """SHEQU_SCREENSHOTS, or test-output/screenshots; a relative path is taken from the repository root."""
    folder = Path(os.environ.get("SHEQU_SCREENSHOTS") or "test-output/screenshots")
    if not folder.is_absolute():
        folder = Path(settings.BASE_DIR) / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page, name, *, full_page=True):
    """Saves `<name>.png` under the screenshot folder and returns its path."""
    path = screenshot_dir() / (name if name.endswith(".png") else f"{name}.png")
    page.screenshot(path=str(path), full_page=full_page)
    return path


def login_as(page, live_server, username, password):
    """Signs in through the real login form and waits until the browser has left the login page."""
    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    try:
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    except Exception as error:
        alerts = " ".join(page.locator("[role=alert]").all_inner_texts())
        raise AssertionError(f"login as {username} failed: {alerts or 'still on the login page'}") from error
    return page


# Elements (outside `.table-wrap`, whose tables scroll on their own) reaching past the right edge.
_WIDE_ELEMENTS_JS = """(limit) => {
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-wrap')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > limit + 0.5) found.push(`${describe(el)} right=${Math.round(box.right)}`);
  }
  return found;
}"""


def wide_elements(page, width):
    """What makes the page wider than `width`: [] when nothing does."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width <= width:
        return []
    return [f"scrollWidth={scroll_width}", *page.evaluate(_WIDE_ELEMENTS_JS, width)]


def _viewport(value):
    if isinstance(value, str):
        return VIEWPORTS[value]
    if isinstance(value, tuple | list):
        return {"width": value[0], "height": value[1]}
    return dict(value)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module.

    Playwright's sync API keeps an asyncio loop on this thread while it runs, so Django's ORM would refuse
    synchronous queries from the test (seeding, assertions, the database flush); DJANGO_ALLOW_ASYNC_UNSAFE
    is set only while Chromium is up, and restored afterwards for the rest of the suite.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        pytest.fail("Chromium not found: install the Debian package (apt-get install chromium)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(request, browser):
    """`new_page("phone")` / `new_page((1024, 768))`: a page in its own context (own cookies).

    Uncaught script errors, server errors and missing static files on any of these pages fail the test.
    """
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("tests that open a browser page must be marked @pytest.mark.browser")
    contexts, problems = [], []

    def _new_page(viewport="desktop", **options):
        size = _viewport(viewport)
        if size["width"] < 600:
            options = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2, **options}
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

        def check_response(response):
            static = "/static/" in response.url
            if response.status >= 500 or (static and response.status >= 400):
                problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

        page.on("response", check_response)
        return page

    yield _new_page
    for context in contexts:
        context.close()
    assert not problems, "browser problems:\n" + "\n".join(problems)


@pytest.fixture
def browser_page(request, new_page):
    """A desktop page (1366×768); `@pytest.mark.parametrize("browser_page", [PHONE], indirect=True)` for others."""
    return new_page(getattr(request, "param", "desktop"))


@pytest.fixture(scope="session")
def demo_password_hash():
    return make_password(DEMO_PASSWORD)


@pytest.fixture
def demo(transactional_db, demo_password_hash, monkeypatch):
    """The demo street from `seed_demo`. Argon2 is slow on purpose, so the demo password's hash is computed
    once per session and given to every demo account; signing in still checks it through Argon2."""
    real_make_password = base_user.make_password

    def cached_make_password(password, *args, **kwargs):
        if password == DEMO_PASSWORD and not args and not kwargs:
            return demo_password_hash
        return real_make_password(password, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(base_user, "make_password", cached_make_password)
        call_command("seed_demo", stdout=io.StringIO())
