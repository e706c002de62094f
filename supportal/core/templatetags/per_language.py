"""``{% per_language %}…{% end_per_language %}``: markup rendered once per language.

A page's menus and help (the navigation, the keyboard shortcuts, labels) are the same text on
every request in one language: each ``{% translate %}`` looks its message up again, each
``{% url %}`` reverses its route again, and the engine walks every node between them
(docs/performance.md, "Eighth round"). Inside this tag they are rendered on the first request
in a language and the output is reused.

Safety: the block may hold only what cannot differ between two requests in one language —
text, ``{% translate %}`` of a quoted message, ``{% url %}`` with quoted arguments,
``{% static %}`` of a quoted path and comments — and the template fails to load otherwise.
No value from the context (a name, a count, a token) can be kept, so nothing a user typed is
ever inside; what is kept was escaped as the engine escapes it. The key holds everything the
output follows: the language, the script prefix and URLconf (``{% url %}``), autoescaping.
``{% language_buttons %}``, the language switcher's buttons, is kept per language alike.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.base import (
    FilterExpression,
    Node,
    NodeList,
    Parser,
    TextNode,
    Token,
    Variable,
)
from django.template.defaulttags import CommentNode, URLNode
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info

register = template.Library()


def _is_quoted(expression: FilterExpression | None) -> bool:
    """A literal without filters: the same value in every context. (``{% translate %}`` turns
    its quoted message into a ``Variable`` holding a literal and no lookups.)"""
    if expression is None or expression.filters:
        return False
    var = expression.var
    return isinstance(var, str) or (isinstance(var, Variable) and var.lookups is None)


def _is_constant(node: Node) -> bool:
    if isinstance(node, TextNode | CommentNode):
        return True
    if isinstance(node, TranslateNode):
        return (
            node.asvar is None
            and _is_quoted(node.filter_expression)
            and (node.message_context is None or _is_quoted(node.message_context))
        )
    if isinstance(node, URLNode):
        arguments = [*node.args, *node.kwargs.values()]
        return node.asvar is None and _is_quoted(node.view_name) and all(map(_is_quoted, arguments))
    if isinstance(node, StaticNode):
        return node.varname is None and _is_quoted(node.path)
    return False


class PerLanguageNode(Node):
    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist
        self._kept: dict[tuple[Any, ...], SafeString] = {}

    def render(self, context: template.Context) -> SafeString:
        key = (get_language(), get_script_prefix(), get_urlconf(), context.autoescape)
        kept = self._kept.get(key)
        if kept is None:
            kept = mark_safe(self.nodelist.render(context))  # noqa: S308 - rendered by the engine
            self._kept[key] = kept
        return kept


@register.tag("per_language")
def per_language(parser: Parser, token: Token) -> PerLanguageNode:
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    for node in nodelist:
        if not _is_constant(node):
            raise template.TemplateSyntaxError(
                "per_language holds only text, {% translate %}, {% url %} and {% static %} of "
                f"quoted values, not {node.token.contents if node.token else node!r}"
            )
    return PerLanguageNode(nodelist)


_buttons: dict[str, SafeString] = {}


@register.simple_tag
def language_buttons() -> SafeString:
    """The language switcher's buttons (``core/_language_switcher.html``), the current
    language marked: on every page, the same for every request in one language."""
    current = get_language()
    kept = _buttons.get(current)
    if kept is None:
        kept = _buttons.setdefault(current, _buttons_render(current))
    return kept


def _buttons_render(current: str) -> SafeString:
    buttons = []
    for code, _name in settings.LANGUAGES:
        name = get_language_info(code)["name_local"]
        marked = ' current"' + ' aria-current="true"' if code == current else '"'
        buttons.append(
            f'\n    <button type="submit" name="language" value="{escape(code)}"'
            f' lang="{escape(code)}" class="link{marked} title="{escape(name)}">'
            f"{escape(code.upper())}</button>\n  "
        )
    return mark_safe("".join(buttons))  # noqa: S308 - every value above is escaped
