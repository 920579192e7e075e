"""The translation catalogues as tests read them, and what a reader sees of a page.

`untranslated_english(html, language)` is the heart of the "no English left" check: it lists the
English messages of the catalogue that a page still shows verbatim in another language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
# Every language of ours but English, the source language.
TRANSLATED = ("fr", "de", "it", "pt", "es")

# Words a language writes exactly as English does. A translation equal to its English message is
# allowed only here: anywhere else it is an untranslated string copied over.
SAME_IN_EVERY_LANGUAGE = {"PDF"}
SAME_AS_ENGLISH = {
    "fr": {"Total", "Page", "Description"},
    "de": {"Status"},
    "it": {"Password"},
    "pt": {"Total", "Subtotal"},
    "es": {"Total", "Subtotal", "Error:", "Error 400", "Error 403", "Error 404", "Error 500"},
}


@dataclass(frozen=True, slots=True)
class Message:
    """One entry of a catalogue: its English forms and their translations."""

    context: str | None
    english: tuple[str, ...]  # the msgid, and the msgid_plural if any
    translated: tuple[str, ...]
    fuzzy: bool

    @property
    def key(self) -> tuple[str | None, tuple[str, ...]]:
        return self.context, self.english


def catalogue_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


@cache
def read_catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language)


def messages(catalogue: Catalog) -> list[Message]:
    found = []
    for entry in catalogue:
        if not entry.id:
            continue  # the header
        english = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        found.append(Message(entry.context, tuple(english), tuple(strings), entry.fuzzy or False))
    return found


def allowed_as_english(language: str) -> set[str]:
    return SAME_IN_EVERY_LANGUAGE | SAME_AS_ENGLISH.get(language, set())


# --- What a reader sees ------------------------------------------------------------------------

# Attributes whose words a reader sees or hears: tooltips, accessible names, placeholders,
# alternative text, the labels of phone cards (CSS shows data-label) and what the live region
# announces after an htmx swap (data-announce).
SEEN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-label", "data-announce"}
# Elements whose text is no reading matter.
UNSEEN = {"script", "style", "template"}
# Elements that do not break a run of text: everything else starts a new one.
INLINE = {
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "cite",
    "code",
    "em",
    "i",
    "kbd",
    "label",
    "mark",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
}
BREAK = "\n"


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.attributes: list[str] = []
        self._unseen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in UNSEEN:
            self._unseen += 1
        if tag not in INLINE:
            self.parts.append(BREAK)
        values = dict(attrs)
        for name, value in attrs:
            if value and name in SEEN_ATTRIBUTES:
                self.attributes.append(value)
        # A button's value is its text when it is an <input>.
        if tag == "input" and values.get("type") in {"submit", "button", "reset"}:
            self.attributes.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in UNSEEN:
            self._unseen = max(0, self._unseen - 1)
        if tag not in INLINE:
            self.parts.append(BREAK)

    def handle_data(self, data: str) -> None:
        if not self._unseen:
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    """The runs of text a reader meets on a page (visually hidden text included: screen
    readers read it), one per block, then the seen attributes, whitespace collapsed."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    runs = "".join(reader.parts).split(BREAK) + reader.attributes
    return [" ".join(run.split()) for run in runs if run.strip()]


# --- English left on a page --------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
_TAG = re.compile(r"<[^>]+>")


def _pattern(english: str) -> re.Pattern[str]:
    """A message as it reads on a page: its placeholders filled with anything, its markup
    gone, whole words only."""
    text = " ".join(_TAG.sub("", english).split())
    pieces = _PLACEHOLDER.split(text)
    # split() keeps each placeholder's name between the literal pieces: drop the names.
    literal = pieces[::2]
    body = r".+?".join(r"\s+".join(map(re.escape, piece.split(" "))) for piece in literal)
    return re.compile(rf"(?<!\w){body}(?!\w)")


@cache
def english_patterns(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The English messages that must not be seen in `language`, each with its pattern. A
    message whose words, placeholders aside, the language writes the same ("Total %(amount)s"
    in French) is left out."""
    allowed = allowed_as_english(language)
    found = []
    for message in messages(read_catalogue(language)):
        for english in message.english:
            literal = " ".join(_PLACEHOLDER.sub(" ", _TAG.sub("", english)).split())
            if not literal or english in allowed or literal in allowed:
                continue
            found.append((english, _pattern(english)))
    return tuple(found)


def untranslated_english(
    html: str, language: str, data: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(English message, the text it was seen in) for every English message on the page.
    `data` are texts that come from Nexudus as the space wrote them (an invoice line's
    description): they are not ours to translate, so they are taken out first."""
    runs = visible_text(html)
    for text in sorted(data, key=len, reverse=True):
        runs = [run.replace(text, " ") for run in runs]
    seen = []
    for english, pattern in english_patterns(language):
        for run in runs:
            if pattern.search(run):
                seen.append((english, run))
                break
    return seen


def describe(problems: Iterable[tuple[str, str, str]]) -> str:
    return "\n".join(f"{where}: {english!r} in {run!r}" for where, english, run in problems)
