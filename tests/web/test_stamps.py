"""The shell's fragments: rendered once per look, stamped with each request's own values."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from tests.conftest import Person, sign_in
from web import stamps

SWITCHER = "includes/language_switcher.html"
LOOK = {"languages": (("en", "English"), ("fr", "Français")), "in_preview": False}


@pytest.fixture(autouse=True)
def fresh_fragments():
    stamps.forget_rendered()
    yield
    stamps.forget_rendered()


def _switcher(next_path: str, csrf: str = "t0ken", **look: object) -> str:
    values = {"csrf_token": csrf, "next_path": next_path}
    return stamps.stamped(SWITCHER, {**LOOK, "has_csrf": True, **look}, values)


def test_each_request_gets_its_own_values_escaped():
    html = _switcher('/invoices/?q="><script>alert(1)</script>', csrf="abc123")

    assert 'value="/invoices/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "<script>" not in html
    assert 'name="csrfmiddlewaretoken" value="abc123"' in html
    assert stamps.stand_in("next_path") not in html


def test_a_look_is_rendered_once_and_reused_for_other_values():
    first = _switcher("/", csrf="one")
    second = _switcher("/invoices/", csrf="two")

    info = stamps._rendered.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert 'value="one"' in first and 'value="two"' in second
    assert 'value="/invoices/"' in second and 'value="/invoices/"' not in first


def test_each_look_and_each_language_renders_apart():
    plain = _switcher("/")
    in_preview = _switcher("/", in_preview=True)
    with translation.override("fr"):
        french = _switcher("/")

    assert "disabled" not in plain and "disabled" in in_preview
    assert 'class="language-label">Language<' in plain
    assert 'class="language-label">Langue<' in french
    assert stamps._rendered.cache_info().misses == 3


def test_a_value_that_looks_like_a_stand_in_is_not_filled():
    """Values are swapped in one pass: one value cannot smuggle in another's place."""
    html = _switcher(stamps.stand_in("csrf_token"), csrf="secret-token")

    assert html.count("secret-token") == 1
    assert f'name="next" value="{stamps.stand_in("csrf_token")}"' in html


def test_a_fragment_sees_only_its_look():
    """A bare context: what the look does not name renders empty, never another request's."""
    html = stamps.stamped(SWITCHER, {"has_csrf": False}, {"next_path": "/"})

    assert "csrfmiddlewaretoken" not in html
    assert "<li>" not in html  # no `languages` in the look: no list, whatever settings say


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _header_name(html: str) -> str:
    found = re.search(r"Signed in as <strong>(.*?)</strong>", html)
    assert found, html[:3000]
    return found.group(1)


@pytest.mark.django_db
def test_two_members_in_turn_each_see_their_own_header(sandbox):
    ada = Person("ada@example.com", full_name="Ada Lovelace")
    barbara = Person("busy@example.com", full_name="Barbara Liskov")
    pages = {}
    for person in (ada, barbara, ada):
        browser = Client()
        sign_in(browser, person)
        page = browser.get("/invoices/")
        pages.setdefault(person.email, []).append(page.content.decode())
        # The header's sign-out form and the switcher each carry this request's token.
        assert page.content.decode().count('name="csrfmiddlewaretoken"') == 2

    assert {_header_name(page) for page in pages[ada.email]} == {"Ada Lovelace"}
    assert _header_name(pages[barbara.email][0]) == "Barbara Liskov"
    assert 'aria-current="page">My invoices<' in pages[ada.email][0]


@pytest.mark.django_db
def test_the_stamped_token_lets_a_form_post(sandbox):
    """The CSRF token stamped into the header is this browser's own: signing out with it works."""
    browser = Client(enforce_csrf_checks=True)
    ada = Person("ada@example.com", full_name="Ada Lovelace")
    login = _token(browser.get("/login/").content.decode())
    response = browser.post(
        "/login/", {"email": ada.email, "password": ada.password, "csrfmiddlewaretoken": login}
    )
    assert response.status_code == 303

    signed_out = browser.post(
        "/logout/", {"csrfmiddlewaretoken": _token(browser.get("/").content.decode())}
    )

    assert signed_out.status_code in (302, 303)
    assert browser.get("/invoices/").status_code in (302, 303)
