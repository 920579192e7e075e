"""The catalogues are complete, current and well formed, so every page can speak every language.

A string added to the code or a template without `make makemessages` fails here (the catalogues
no longer hold every string); after `make makemessages`, it fails until it is translated
(msgfmt counts it untranslated). Both checks run in `make test`.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.conf import settings

from tests.harness.catalogues import (
    TRANSLATED,
    allowed_as_english,
    catalogue_path,
    messages,
    read_catalogue,
)
from tests.harness.source import copy_source

PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "de": "nplurals=2; plural=(n != 1);",
    "it": "nplurals=2; plural=(n != 1);",
    "pt": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
}
# What `make makemessages` leaves out (I18N_IGNORE): no message of ours lives there.
NOT_SOURCE = {"sandbox", "tests", "scripts", "locale"}


def test_the_portal_speaks_six_languages() -> None:
    assert [code for code, _ in settings.LANGUAGES] == ["en", *TRANSLATED]
    for language in TRANSLATED:
        assert catalogue_path(language).exists(), language


@pytest.mark.parametrize("language", TRANSLATED)
def test_msgfmt_finds_nothing_untranslated_or_fuzzy(language) -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue_path(language))],
        capture_output=True,
        text=True,
    )
    report = result.stderr.strip()
    assert result.returncode == 0, report
    assert re.fullmatch(r"\d+ translated messages?\.", report), (
        f"{language}: {report}. Translate every entry of {catalogue_path(language)}, "
        "and clear its fuzzy flag once checked."
    )


def test_every_catalogue_holds_the_same_messages() -> None:
    keys = {
        language: {m.key for m in messages(read_catalogue(language))} for language in TRANSLATED
    }
    first = keys[TRANSLATED[0]]
    for language in TRANSLATED[1:]:
        assert keys[language] == first, f"{language}: run `make makemessages`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_are_the_languages_own(language) -> None:
    assert read_catalogue(language).plural_forms == PLURAL_FORMS[language]
    text = catalogue_path(language).read_text(encoding="utf-8")
    assert f'"Language: {language}\\n"' in text
    assert '#, fuzzy\nmsgid ""' not in text  # a fuzzy header is left out of the .mo


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_translation_is_the_english_copied_over(language) -> None:
    allowed = allowed_as_english(language)
    copied = [
        english
        for message in messages(read_catalogue(language))
        for english, translated in zip(message.english, message.translated, strict=False)
        if english == translated and english not in allowed
    ]
    assert copied == [], f"{language}: translate these (or list a true cognate as allowed)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_markup_and_placeholders(language) -> None:
    # msgfmt --check compares python-format placeholders; markup it does not know about.
    tag = re.compile(r"</?\w+>")
    placeholder = re.compile(r"%\(\w+\)[sd]")
    broken = []
    for message in messages(read_catalogue(language)):
        for translated in message.translated:
            for pattern in (tag, placeholder):
                if sorted(pattern.findall(message.english[-1])) != sorted(
                    pattern.findall(translated)
                ):
                    broken.append((message.english[0], translated))
    assert broken == []


@pytest.mark.timeout(300)
def test_the_catalogues_hold_every_string_the_source_marks(tmp_path) -> None:
    """`make makemessages` on a copy of the source would change no message: nothing new, nothing
    gone. Run it (and translate) when this fails."""
    copy_source(tmp_path, leave_out=NOT_SOURCE)
    (tmp_path / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale=en",
            "--no-location",
            "--no-obsolete",
            "--no-wrap",
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with (tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po").open("rb") as po:
        from babel.messages.pofile import read_po

        source = {m.key for m in messages(read_po(po))}
    catalogued = {m.key for m in messages(read_catalogue(TRANSLATED[0]))}
    new, gone = sorted(source - catalogued, key=str), sorted(catalogued - source, key=str)
    assert (new, gone) == ([], []), (
        f"new strings: {new}\nstrings no longer in the source: {gone}\n"
        "Run `make makemessages`, then translate the new entries in every locale/*/.../django.po."
    )
