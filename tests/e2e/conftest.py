"""Real Chromium (Debian's package) driven by Playwright against a live test server."""

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.core import clock
from tests.conftest import verify_mfa
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CLINIC_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
# are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _site_url(settings, live_server):
    """Links the app builds for emails and payment redirects point at the server under test."""
    settings.SITE_URL = live_server.url


@pytest.fixture(scope="session", autouse=True)
def _views_loaded():
    """Load the URLconf (and with it every view module) before the browser's first request: on a busy machine that
    import alone can outlast a page's load timeout, failing whichever browser test happens to run first."""
    from django.urls import get_resolver

    get_resolver().url_patterns


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: CLINIC_SCREENSHOT_DIR to keep and look at them, else the test's own temporary folder."""
    folder = Path(os.environ.get("CLINIC_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport) -> a page in a fresh browser context: one more person in the same journey."""
    contexts = []

    def _new_page(viewport=DESKTOP):
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield _new_page
    for context in contexts:
        context.close()


def tab_to(page, locator, *, limit: int = 80) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would; fail if it is never reached."""
    target = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", target):
            return
    raise AssertionError(f"Not reachable with the Tab key: {locator}")


def sign_in_by_keyboard(page, user, *, password: str = PASSWORD) -> None:
    """A patient signing in with the keyboard alone: Tab to the fields, type, Enter."""
    page.goto("/accounts/login/")
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/")


def press(page, locator) -> None:
    """Reach a link or button with Tab and activate it with Enter."""
    tab_to(page, locator)
    page.keyboard.press("Enter")


def sign_out(page) -> None:
    """Sign out through the header; on a phone the button sits behind the Menu button."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_role("heading", name="Sign in").wait_for()


def sign_in(page, user, *, password: str = PASSWORD) -> None:
    """Sign in through the login form, passing the TOTP challenge for everyone who needs it."""
    if user.requires_mfa:
        device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "phone"})
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    if user.requires_mfa:
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("6-digit code from your authenticator app").fill(f"{totp(device.bin_key):06d}")
        follow(page, page.get_by_role("button", name="Continue"))
    else:
        follow(page, page.get_by_role("button", name="Sign in"))


def session_start(page, user, *, open_home: bool = True) -> None:
    """Sign the browser in as `user` (two-step code passed for those who need it) with a session made on the server
    as the sign-in form would make it, and open their home page as the form does (`open_home=False` when the journey
    goes straight to another page): for journeys where signing in is not what is checked. Signing in, two-step and
    signing out are checked through the form (`sign_in`, `sign_in_by_keyboard`, `sign_out`)."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.requires_mfa:
        verify_mfa(client, user)
    name = settings.SESSION_COOKIE_NAME
    # SITE_URL is the live server's address here (`_site_url`).
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": settings.SITE_URL}])
    if open_home:
        page.goto("/")


def follow(page, control) -> None:
    """Click a link or submit button and wait until the page it leads to has loaded.

    A click returns before the navigation starts; without the wait, the next check could run
    against the page being left (or against no document at all, half-way through the swap).
    """
    with page.expect_navigation():
        control.click()


def double_click_to(page, control, url: str) -> None:
    """Double-click a submit button and wait until the page ends on `url` (a regular expression) and has loaded.

    A double click sends the form twice, and the second sending aborts the first one's navigation in the browser
    (the server still answers both): waiting on "the next navigation" would catch the aborted one, so the wait is on
    where the page ends up.
    """
    control.dblclick()
    expect(page).to_have_url(re.compile(url))
    page.wait_for_load_state()


def assert_accessible(page) -> None:
    """axe-core on the current page: no serious or critical violations."""
    # Loaded from our own origin: the Content Security Policy forbids inline scripts.
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not bad, f"{page.url}:\n" + "\n".join(bad)


def next_monday() -> dt.date:
    """The Monday of next week in the clinic's calendar (a week ahead on a Monday)."""
    today = clock.local_now().date()
    return today + dt.timedelta(days=(7 - today.weekday()) or 7)


def calendar_slot_point(page, day: dt.date, time: str) -> tuple[float, float]:
    """The middle of the 15-minute slot at `time` ("14:00:00") on `day` in the calendar's week grid."""
    lane = page.locator(f'td.fc-timegrid-slot-lane[data-time="{time}"]')
    lane.scroll_into_view_if_needed()
    column = page.locator(f'td.fc-timegrid-col[data-date="{day}"]').bounding_box()
    box = lane.bounding_box()
    return column["x"] + column["width"] / 2, box["y"] + box["height"] / 2
