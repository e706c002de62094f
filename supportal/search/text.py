"""Turning text into search words, the same way for documents and queries. Pure Python.

Both engines receive words already split, lower-cased and stripped of combining accents,
joined by single spaces. Doing this here rather than leaving it all to the engines keeps them
in step: PostgreSQL's parser keeps "cristina.tanasescu@example.com", "HELP-161" and "a/b" as
single tokens where FTS5 splits them; PostgreSQL lower-cases non-ASCII letters only under a
non-C locale; mail clients send decomposed text (s + U+0326) that neither engine folds alike.
The engines still fold what has no decomposition (unaccent maps ł, ø, đ).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")

# A query is user text: bound it so a pasted page cannot make a huge statement.
MAX_QUERY_WORDS = 32
MAX_QUERY_WORD_LENGTH = 100


def search_words(text: str) -> list[str]:
    """The words of ``text``: case-folded, accents removed (ș, ş -> s; ț, ţ -> t)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(unicodedata.normalize("NFC", stripped).casefold())


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: every phrase must match; the last word may be a prefix (type-ahead).

    A phrase is what the user typed without spaces, so "HELP-161" or an e-mail address match
    as adjacent words, not as words anywhere in the ticket.
    """

    phrases: tuple[tuple[str, ...], ...]
    is_prefix: bool

    def __bool__(self) -> bool:
        return bool(self.phrases)


def search_query_parse(query: str) -> SearchQuery:
    """Parse user text; words beyond MAX_QUERY_WORDS are ignored. Never raises."""
    phrases: list[tuple[str, ...]] = []
    budget = MAX_QUERY_WORDS
    for chunk in query.split():
        words = tuple(word[:MAX_QUERY_WORD_LENGTH] for word in search_words(chunk)[:budget])
        if words:
            phrases.append(words)
            budget -= len(words)
        if budget <= 0:
            break
    # A trailing space means the last word is complete.
    is_prefix = bool(phrases) and not query[-1:].isspace()
    return SearchQuery(phrases=tuple(phrases), is_prefix=is_prefix)
