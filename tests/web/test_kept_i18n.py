"""`{% load kept_i18n %}` keeps a literal translate's text per language, and only a literal's."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, engines
from django.utils import translation

from web.templatetags.kept_i18n import KeptTranslateNode


def _template(source: str):
    return engines["django"].from_string("{% load kept_i18n %}" + source)


def _nodes(template) -> list:
    return list(template.template.nodelist.get_nodes_by_type(KeptTranslateNode))


def test_a_literal_is_kept_per_language_and_each_language_gets_its_own():
    page = _template('{% translate "Dashboard" %}')
    with translation.override("fr"):
        assert page.render({}) == "Tableau de bord"
    with translation.override("en"):
        assert page.render({}) == "Dashboard"
    with translation.override("fr"):
        assert page.render({}) == "Tableau de bord"
    assert len(_nodes(page)) == 1


def test_a_message_context_and_as_work_in_each_language():
    page = _template('{% translate "Paid" context "group of invoices" as title %}[{{ title }}]')
    assert len(_nodes(page)) == 1  # a literal context is a literal too
    with translation.override("de"):
        assert page.render({}) == "[Bezahlt]"
    with translation.override("en"):
        assert page.render({}) == "[Paid]"


def test_threads_rendering_one_node_each_get_the_right_text():
    """The node is shared by every thread (cached templates): rendering must never change it."""
    page = _template('{% translate "Dashboard" as title %}[{{ title }}]')
    (node,) = _nodes(page)
    expected = {"en": "[Dashboard]", "fr": "[Tableau de bord]"}
    with translation.override("de"):
        expected["de"] = page.render({})
    wrong: list[str] = []

    def render_often(language: str) -> None:
        with translation.override(language):
            for _ in range(60):
                node.kept.clear()  # every render a miss: the path that once changed the node
                text = page.render({})
                if text != expected[language]:
                    wrong.append(f"{language}: {text}")

    threads = [threading.Thread(target=render_often, args=(lang,)) for lang in list(expected) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_variables_and_filters_are_djangos_node_unchanged():
    page = _template('{% translate word %} {% translate "Dashboard"|upper %}')
    assert _nodes(page) == []
    with translation.override("en"):
        assert page.render({"word": "Paid"}) == "Paid DASHBOARD"
        assert page.render({"word": "Due"}) == "Due DASHBOARD"


def test_it_renders_what_djangos_own_tag_renders():
    sources = [
        '{% translate "Dashboard" %}',
        '{% translate "a < b" %}',
        '{% translate "100%% sure" %}',
        '{% translate "Paid" context "group of invoices" %}',
        '{% translate "Dashboard" noop %}',
    ]
    stock = Engine(libraries={"i18n": "django.templatetags.i18n"})  # Django's own
    for source in sources:
        for language in ("en", "fr", "de"):
            for autoescape in (True, False):
                with translation.override(language):
                    ours = _template(source).template.render(Context({}, autoescape=autoescape))
                    theirs = stock.from_string("{% load i18n %}" + source).render(
                        Context({}, autoescape=autoescape)
                    )
                assert ours == theirs, (source, language, autoescape)


def test_our_templates_load_the_kept_library():
    """A template that loads Django's `i18n` still works, but looks every text up every time."""
    templates = Path(settings.BASE_DIR) / "templates"
    loading_i18n = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if re.search(r"\{% load [^%]*\bi18n\b", path.read_text())
    ]
    assert loading_i18n == []
