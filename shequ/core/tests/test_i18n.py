"""English is the second UI language: the language cookie switches the page shell to the English catalogue,
and without it the pages stay in Chinese."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from shequ.accounts.models import Role


@pytest.fixture(scope="module", autouse=True)
def english_catalogue():
    """The .mo files are git-ignored and built by `./dev` setup; build them here when a run skipped that."""
    mo_files = [Path(d) / "en" / "LC_MESSAGES" / "django.mo" for d in settings.LOCALE_PATHS]
    if not any(mo.exists() for mo in mo_files):
        call_command("compiletranslations")
        # Drop catalogues cached before the .mo existed.
        translation.trans_real._translations.clear()
        translation.trans_real._active = translation.trans_real.Local()


def main_nav(response):
    html = response.content.decode()
    return re.search(r'<nav id="mainnav".*?</nav>', html, re.S).group(0)


def test_language_cookie_switches_the_shell_to_english(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    nav = main_nav(response)
    assert "Workbench" in nav
    assert "Resident registry" in nav
    assert "工作台" not in nav
    assert "居民台账" not in nav
    # The request's language ends with it: what the thread does next is in the default language again.
    assert translation.get_language() == settings.LANGUAGE_CODE


def test_chinese_is_the_default(world, login):
    response = login(world.user(Role.COMMUNITY_HEAD)).get("/")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.content.decode()
    nav = main_nav(response)
    assert "工作台" in nav
    assert "Workbench" not in nav


def test_english_browser_still_gets_chinese_by_default(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD, username="head_accept_language"))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-CN">' in response.content.decode()
