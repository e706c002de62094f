"""Articles are Markdown, rendered by markdown-it-py (CommonMark, raw HTML off) and then
sanitised by nh3: what reaches a page is a short list of tags, links with safe schemes only
(docs/knowledge.md). A picture shows only from the knowledge base's own permission-checked
address (``ArticlePicture``): a picture from elsewhere would tell another server who reads the
article, and when."""

from __future__ import annotations

import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
# portal:article_picture, the one address a picture is served from.
_PICTURE_SRC = re.compile(r"^/articles/\d+/pictures/\d+/$")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _PICTURE_SRC.match(value) else None
    return value


def markdown_render(text: str) -> SafeString:
    """``text`` (Markdown from an agent) as HTML safe to put in a page."""
    html = _MARKDOWN.render(text or "")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute_filter,
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
