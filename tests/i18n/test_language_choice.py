"""Which language a page speaks: the footer's choice (a cookie), else the browser's
Accept-Language, else the signed-in member's location, else English. URLs never change."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from members.session import LOCATION_KEY
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def _lang(response) -> str:
    match = re.search(r'<html lang="([\w-]+)">', response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(1)


def _with_cookie(browser: Client, language: str) -> Client:
    browser.cookies[COOKIE] = language
    return browser


def _location_speaks(browser: Client, culture: str) -> None:
    """The signed-in member's location, as sign-in stored it, now says `culture`."""
    session = browser.session
    location = dict(session[LOCATION_KEY])
    location["language_culture"] = culture
    session[LOCATION_KEY] = location
    session.save()


@pytest.fixture
def french_member(client: Client, sandbox, member) -> Client:
    """Ada, signed in; her location's LanguageCulture is fr-FR."""
    sign_in(client, member)
    _location_speaks(client, "fr-FR")
    return client


# --- visitors (sign-in, a guest's checkout): cookie > Accept-Language > English -----------------


def test_a_visitor_who_asks_for_nothing_reads_english(client, sandbox) -> None:
    response = client.get("/login/")
    assert _lang(response) == "en"
    assert response["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()


def test_a_visitor_reads_their_browsers_language(client, sandbox) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.8")
    assert _lang(response) == "de"
    assert response["Content-Language"] == "de"
    assert "Anmelden" in response.content.decode()
    assert "Accept-Language" in response["Vary"]


def test_the_first_language_of_ours_in_the_browsers_list_wins(client, sandbox) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ja,pt-BR;q=0.9,fr;q=0.8")
    assert _lang(response) == "pt"


def test_a_visitor_whose_browser_asks_only_for_other_languages_reads_english(
    client, sandbox
) -> None:
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE="ja,zh;q=0.9")) == "en"


def test_the_cookie_beats_the_browser(client, sandbox) -> None:
    _with_cookie(client, "it")
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert _lang(response) == "it"
    assert "Accedi" in response.content.decode()


def test_a_cookie_for_a_language_we_do_not_speak_is_ignored(client, sandbox) -> None:
    _with_cookie(client, "xx")
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE="es")) == "es"


def test_a_guest_at_checkout_reads_their_browsers_language(client, sandbox) -> None:
    stripe = "cs_test_COo38eU2e1SP8MMWLo9IRRqFwfRgJiuNa23pakKqwf0OnEMvAeorXeFZUz"
    response = client.get(
        f"/checkout/complete/39001/?stripe_session_id={stripe}", HTTP_ACCEPT_LANGUAGE="fr-FR"
    )
    assert response.status_code == 200
    assert _lang(response) == "fr"
    assert "Merci pour votre achat" in response.content.decode()


# --- members: cookie > Accept-Language > the location's LanguageCulture ------------------------


def test_a_member_who_asks_for_nothing_reads_their_locations_language(french_member) -> None:
    response = french_member.get("/")
    assert _lang(response) == "fr"
    assert response["Content-Language"] == "fr"
    assert "Bonjour Ada Lovelace" in response.content.decode()


def test_the_browser_beats_the_location(french_member) -> None:
    response = french_member.get("/", HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9")
    assert _lang(response) == "de"
    assert "Hallo Ada Lovelace" in response.content.decode()


def test_an_english_browser_beats_a_french_location(french_member) -> None:
    assert _lang(french_member.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")) == "en"


def test_the_cookie_beats_the_browser_and_the_location(french_member) -> None:
    _with_cookie(french_member, "pt")
    response = french_member.get("/invoices/", HTTP_ACCEPT_LANGUAGE="de")
    assert _lang(response) == "pt"
    assert "As minhas faturas" in response.content.decode()


def test_a_browser_asking_only_for_other_languages_leaves_the_location_to_decide(
    french_member,
) -> None:
    assert _lang(french_member.get("/", HTTP_ACCEPT_LANGUAGE="ja, *;q=0.5")) == "fr"


def test_a_location_in_a_language_we_do_not_speak_leaves_english(client, sandbox, member) -> None:
    sign_in(client, member)
    _location_speaks(client, "ja-JP")
    assert _lang(client.get("/")) == "en"


def test_htmx_fragments_speak_the_pages_language(french_member) -> None:
    response = french_member.get("/invoices/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="paid")
    page = response.content.decode()
    assert 'id="paid"' in page and "<html" not in page
    assert "Payées" in page
    assert response["Content-Language"] == "fr"


def test_signing_out_leaves_the_location_behind(french_member) -> None:
    french_member.post("/logout/")
    assert _lang(french_member.get("/login/")) == "en"


# --- the switcher: Django's set_language -------------------------------------------------------


def test_the_switcher_keeps_the_choice_for_a_year_and_goes_back(client, sandbox) -> None:
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/login/?next=%2F"})
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2F"
    cookie = response.cookies[COOKIE]
    assert cookie.value == "de"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert cookie["secure"]  # tests run with debug off, as production does
    assert _lang(client.get("/login/")) == "de"


def test_the_switcher_is_open_to_visitors_but_not_to_other_sites(client, sandbox) -> None:
    response = client.post(
        "/i18n/setlang/", {"language": "fr", "next": "https://evil.example/phish"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"  # never another site, never the sign-in page


def test_the_switcher_answers_only_posts(client) -> None:
    assert client.get("/i18n/setlang/?language=fr&next=/").status_code == 405
    assert COOKIE not in client.cookies


def test_the_switcher_refuses_a_post_without_its_csrf_token(sandbox) -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/i18n/setlang/", {"language": "fr", "next": "/login/"})
    assert response.status_code == 403
    assert COOKIE not in response.cookies


def _csrf_token(browser: Client, path: str = "/login/") -> str:
    page = browser.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_switcher_works_from_the_checkout_page_that_sends_no_referrer(sandbox) -> None:
    """The guest's page sends `Referrer-Policy: no-referrer`, so browsers post from it with
    `Origin: null`; the switcher takes that when the browser says the post is same-origin."""
    stripe = "cs_test_COo38eU2e1SP8MMWLo9IRRqFwfRgJiuNa23pakKqwf0OnEMvAeorXeFZUz"
    page = f"/checkout/complete/39001/?stripe_session_id={stripe}"
    browser = Client(enforce_csrf_checks=True)
    token = _csrf_token(browser, page)
    refused = browser.post(
        "/i18n/setlang/",
        {"language": "es", "next": page, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )
    assert refused.status_code == 403
    taken = browser.post(
        "/i18n/setlang/",
        {"language": "es", "next": page, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert taken.status_code == 302
    assert taken["Location"] == page
    assert "Gracias por tu compra" in browser.get(page).content.decode()


def test_a_signed_in_member_switches_too(french_member) -> None:
    response = french_member.post("/i18n/setlang/", {"language": "es", "next": "/invoices/"})
    assert response["Location"] == "/invoices/"
    assert "Mis facturas" in french_member.get("/invoices/").content.decode()


def test_no_language_ever_goes_in_a_url(client, sandbox) -> None:
    assert client.get("/de/login/").status_code == 404
    assert client.get("/login/", HTTP_ACCEPT_LANGUAGE="de").status_code == 200


# --- the switcher in the footer ----------------------------------------------------------------


def test_every_page_offers_each_language_in_its_own_name(client, sandbox) -> None:
    page = client.get("/login/?next=%2Finvoices%2F", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    switcher = page[page.index('<form class="language-switcher"') :]
    switcher = switcher[: switcher.index("</form>")]
    assert 'action="/i18n/setlang/"' in switcher and 'method="post"' in switcher
    assert 'name="csrfmiddlewaretoken"' in switcher
    assert 'name="next" value="/login/?next=%2Finvoices%2F"' in switcher
    assert '<span class="language-current" lang="de" aria-current="true">Deutsch</span>' in switcher
    for code, name in [
        ("en", "English"),
        ("fr", "Français"),
        ("it", "Italiano"),
        ("pt", "Português"),
        ("es", "Español"),
    ]:
        button = f'<button type="submit" name="language" value="{code}" lang="{code}">{name}'
        assert button in switcher
    assert "Sprache" in switcher


def test_the_server_error_page_has_no_switcher(client) -> None:
    from portal.views import server_error

    html = server_error(None).content.decode()
    assert "language-switcher" not in html


def test_staff_choose_the_previews_language_on_the_index(client) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("pat", password="pw-for-tests", is_staff=True)
    client.force_login(staff)
    response = client.post("/i18n/setlang/", {"language": "it", "next": "/preview/"})
    assert response["Location"] == "/preview/"
    index = client.get("/preview/").content.decode()
    assert "Anteprima per lo staff" in index
    assert '<button type="submit" name="language" value="de" lang="de">Deutsch' in index
    state = client.get("/preview/dashboard/overdue/").content.decode()
    assert "Bacheca — Fatture scadute da pagare" in state
    # A preview can send nothing, the switcher included: it says where to choose instead.
    assert '<button type="submit" name="language" value="de" lang="de" disabled>' in state
    assert "indice delle anteprime" in state
