"""`{% load kept_i18n %}`: Django's `i18n` library, but a `{% translate "literal" %}` is looked up
once per language. Our templates load it instead of `i18n` (overriding the `i18n` label itself
would trip Django's check for two libraries under one name, templates.W003).

Django's translate tag builds a lazy string and casts it on every render: through the active
translation (a context-local lookup) into the catalogue. A page renders a few dozen of them, and
they were a fifth of what was left of My Invoices' render time (issue 15). A literal message,
with at most a literal context and no filters, always gives the same text in one language, so
each such node keeps its text per language. Anything else (a variable, a filter) is Django's
node unchanged. `makemessages` reads templates with its own lexer, whatever they load, so the
catalogues are unaffected.
"""

from __future__ import annotations

from django import template
from django.templatetags import i18n as django_i18n
from django.templatetags.i18n import TranslateNode
from django.utils.autoreload import file_changed
from django.utils.translation import get_language

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

# Bumped when a file changes under the development server (it reloads catalogues without
# restarting): texts kept under an older epoch are looked up again.
_epoch = 0


def _new_epoch(**_signal: object) -> None:
    global _epoch
    _epoch += 1


file_changed.connect(_new_epoch, dispatch_uid="web.kept_i18n")


class KeptTranslateNode(TranslateNode):
    """A translate node whose text depends on nothing but the language: kept per language.

    The text is rendered by a private node without `as`, so this node (shared by every thread
    through the cached template) is never changed while it renders."""

    def __init__(self, node: TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.text_only = TranslateNode(
            node.filter_expression, node.noop, None, node.message_context
        )
        self.kept: dict[tuple[str | None, bool, int], str] = {}

    def render(self, context: template.Context) -> str:
        key = (get_language(), context.autoescape, _epoch)
        text = self.kept.get(key)
        if text is None:
            text = self.kept[key] = self.text_only.render(context)
        if self.asvar:
            context[self.asvar] = text
            return ""
        return text


def _is_literal(expression: template.base.FilterExpression | None) -> bool:
    """No filters, and a quoted constant: Django keeps one as a string, or (the message itself,
    once TranslateNode has seen it) as a Variable holding a literal."""
    if expression is None:
        return True
    if expression.filters:
        return False
    variable = expression.var
    if isinstance(variable, str):
        return True
    return (
        isinstance(variable, template.Variable)
        and variable.literal is not None
        and variable.lookups is None
    )


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: template.base.Parser, token: template.base.Token) -> TranslateNode:
    node = django_i18n.do_translate(parser, token)
    if _is_literal(node.filter_expression) and _is_literal(node.message_context):
        return KeptTranslateNode(node)
    return node
