"""The new text of a reply: quoted history and signature removed.

``mail-parser-reply`` (maintained, MIT, pure Python) knows the quote headers of the usual
clients in English, Czech and a dozen other languages; it has no Romanian, so our own patterns
cut first at the quote headers of Romanian clients (and, belt and braces, of Czech and English
ones). Whatever is cut is never lost: the full original stays with the stored message and on
the request for agents.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("supportal.mail.inbound")

# A quote header may wrap over two lines in plain-text clients: "On Mon, 3 Jun 2024 John
# <john@example.com>\nwrote:". Each pattern is matched on the text from a line start.
_SPAN = r"[^\n]{1,300}?(?:\n[^\n]{1,200}?)?"
_QUOTE_HEADERS = [
    # Romanian: Gmail, Outlook, Thunderbird, Apple Mail.
    rf"^[ \t>]*În data de {_SPAN}(?:a\s+)?scris:[ \t]*$",
    rf"^[ \t>]*In data de {_SPAN}(?:a\s+)?scris:[ \t]*$",
    rf"^[ \t>]*(?:Pe|La) {_SPAN} a scris:[ \t]*$",
    # Czech.
    rf"^[ \t>]*Dne {_SPAN}napsal(?:\(a\)|a)?:[ \t]*$",
    # English.
    rf"^[ \t>]*On {_SPAN}wrote:[ \t]*$",
    # Outlook's separators and header blocks, in the three languages.
    r"^[ \t>]*-{2,}\s*(?:Original Message|Mesaj original|Původní zpráva|Forwarded message"
    r"|Mesaj redirecționat|Přeposlaná zpráva)\s*-{2,}[ \t]*$",
    r"^[ \t>]*_{10,}[ \t]*$\n[ \t>]*(?:From|De la|Od):",
    r"^[ \t>]*(?:From|De la|Od|De):[ \t].*\n[ \t>]*(?:Sent|Date|Trimis|Data|Odesláno|Datum"
    r"|Envoyé)?:?.*\n[ \t>]*(?:To|Către|Catre|Komu|Subject|Subiect|Předmět):",
]
_QUOTE_HEADER = re.compile("|".join(f"(?:{p})" for p in _QUOTE_HEADERS), re.MULTILINE)
# Signatures: the RFC 3676 "-- " line, and the mobile clients' "Sent from my …".
_SIGNATURE = re.compile(
    r"^(?:-- ?|Sent from my .*|Trimis de pe .*|Trimis de pe dispozitivul meu.*"
    r"|Odesláno z (?:mého|iPhonu|iPadu).*|Get Outlook for .*)$",
    re.MULTILINE,
)


def _own_patterns(text: str) -> str:
    found = _QUOTE_HEADER.search(text)
    if found:
        text = text[: found.start()]
    lines = text.split("\n")
    # Trailing ">" quoted lines with no header before them (bottom quoting).
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    text = "\n".join(lines)
    signature = _SIGNATURE.search(text)
    if signature and signature.start() > 0:
        text = text[: signature.start()]
    return text.strip()


def _library(text: str) -> str | None:
    try:
        from mailparser_reply import EmailReplyParser

        reply = EmailReplyParser(languages=["en", "cs", "de", "fr"]).parse_reply(text)
    except Exception:  # a regular expression blowing up on odd input must not stop intake
        logger.warning("the reply parser failed; keeping our own result", exc_info=True)
        return None
    return reply.strip() if isinstance(reply, str) else None


def reply_text(text: str) -> str:
    """The text the sender wrote in this message, without the quoted history and signature.

    Never empty when ``text`` had words: a mail that is all quote (a forward, a top-quoted
    reply we cannot split) is kept whole. Pure."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    ours = _own_patterns(text)
    if not ours:
        return text
    theirs = _library(ours)
    return theirs if theirs else ours
