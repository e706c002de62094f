"""Text from people and mail made safe to show and to put in one header line
(docs/security.md, "Names and file names")."""

from __future__ import annotations

import unicodedata

# Explicit bidirectional formatting: U+202A–U+202E (embeddings, overrides), U+2066–U+2069
# (isolates) and the marks U+200E, U+200F, U+061C. "invoice\u202efdp.exe" shows as
# "invoiceexe.pdf"; no name needs them.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Line and paragraph separators, controls (CR, LF, tab, NUL…) and lone surrogates.
_BREAKING = ("Cc", "Cs", "Zl", "Zp")


def one_line(text: str) -> str:
    """``text`` on one line: bidirectional controls removed, control characters and line breaks
    turned into spaces, runs of spaces into one, no space at either end. Zero-width joiners stay
    (some scripts and emoji need them)."""
    kept = []
    for character in text:
        if character in BIDI_CONTROLS:
            continue
        kept.append(" " if unicodedata.category(character) in _BREAKING else character)
    return " ".join("".join(kept).split())


def file_name_clean(name: str, *, fallback: str = "attachment") -> str:
    """A file name as every channel stores it (portal, workspace, mail): the last part of any
    path, on one line, without bidirectional controls; ``fallback`` when nothing is left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = one_line(last).strip(". ")
    return cleaned or fallback
