"""Broken mail, repaired as a careful mail client would (docs/email.md, "Broken mail").

Two kinds of damage are common in the Czech and Romanian mail a desk receives:

- **Character sets**: a label Python does not know, a label that is wrong (Windows-1250 text
  sent as ISO-8859-1, ISO-8859-2 text sent as UTF-8), or 8-bit bytes with no label at all.
  ``legacy_decode`` reads such bytes as UTF-8 when they are valid UTF-8, else as the one of
  Windows-1250, ISO-8859-2 and Windows-1252 whose letters look most like Romanian, Czech or
  English (a score, not a dictionary: no data ships with it).
- **Structure**: a multipart whose boundary is missing or wrong. ``boundary_repair`` finds the
  boundary the parts really use and gives the message a header that names it.

Each repair is named by a code (``Repair``) so the agents' page can say, in the reader's
language, what had to be repaired. All functions are pure and never raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Repair(StrEnum):
    CHARSET = "charset"
    STRUCTURE = "structure"
    TRUNCATED = "truncated"
    ENCODING = "encoding"


REPAIR_LABELS = {
    Repair.CHARSET: _("a character set was missing or wrong; the text was decoded by guess"),
    Repair.STRUCTURE: _("the MIME structure was broken and was rebuilt"),
    Repair.TRUNCATED: _("the message was cut short; what arrived was kept"),
    Repair.ENCODING: _("an encoded part was damaged; it was decoded as far as possible"),
}

# Labels under which senders often send something else: trusted only when no other reading
# of the bytes looks better.
WEAK_LABELS = {"ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}
LEGACY_CODECS = ("cp1250", "iso8859-2", "cp1252")

# Letters of the languages a desk writes in (Romanian, Czech) and of their neighbours.
_HOME_LETTERS = set("ăâîșțşţĂÂÎȘȚŞŢáčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ")
_OTHER_LETTERS = set("äöüßàèìòùçñãõøåæëïôûÄÖÜÀÈÌÒÙÇÑØÅÆ€„“”‘’–—…«»")


def _score(text: str) -> int:
    score = 0
    for ch in text:
        if ch < "\x80":
            continue
        if ch in _HOME_LETTERS:
            score += 2
        elif ch in _OTHER_LETTERS:
            score += 1
        elif "\x80" <= ch <= "\x9f" or ch == "\ufffd":
            score -= 5  # control characters: these bytes are not in this charset
        elif not ch.isalpha():
            score -= 1  # ¹ ¾ ª º and the like: rare in prose, common in a wrong reading
    return score


def _best_legacy(data: bytes) -> str:
    """The reading of non-UTF-8 bytes whose letters look most like the desk's languages (ties
    go to Windows-1250, the Czech and Romanian Windows default)."""
    best_text, best_score = "", None
    for codec in LEGACY_CODECS:
        text = data.decode(codec, "replace")
        score = _score(text)
        if best_score is None or score > best_score:
            best_text, best_score = text, score
    return best_text


def legacy_decode(data: bytes, codec: str | None) -> tuple[str, bool]:
    """Text from bytes labelled ``codec`` (a Python codec name, None when unlabelled or the
    label is unknown), and whether the label had to be overruled. Pure; never raises."""
    if codec is not None:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError, ValueError):
            text = None
        if text is not None and (codec not in WEAK_LABELS or data.isascii()):
            return text, False
    else:
        text = None
    if data.isascii():
        return data.decode("ascii"), False
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    if utf8 is not None:
        # Valid UTF-8 is almost never an accident; unlabelled UTF-8 is common and not damage.
        return utf8, codec is not None and codec != "utf-8"
    lenient = data.decode("utf-8", "replace")
    bad = lenient.count("\ufffd")
    if codec in (None, "utf-8") and sum(ch >= "\x80" for ch in lenient) - bad >= 2 * bad:
        return lenient, True  # UTF-8 with a stray byte or two: keep the rest's letters
    guessed = _best_legacy(data)
    if text is not None:
        high = sum(byte >= 0x80 for byte in data)
        # A weak label is overruled only by a clearly better reading (Norwegian "ø" read as
        # Czech "ř" scores about the same; Czech "č" read as "è" scores clearly worse).
        if _score(guessed) - _score(text) < max(2, high // 4):
            return text, False
    return guessed, True


_BOUNDARY_LINE = re.compile(rb"^--([^\s][^\r\n]{0,69}?)(--)?[ \t]*\r?$", re.MULTILINE)


def boundary_find(body: bytes) -> bytes | None:
    """The boundary a multipart body really uses: a ``--`` line followed by part headers, or
    seen at least twice. None when there is none."""
    counts: dict[bytes, int] = {}
    for match in _BOUNDARY_LINE.finditer(body):
        candidate = match.group(1)
        if match.group(2):
            counts[candidate] = counts.get(candidate, 0) + 1
            continue
        following = body[match.end() : match.end() + 200].lstrip(b"\r\n")
        if re.match(rb"content-[a-z-]+:", following, re.IGNORECASE):
            return candidate
        counts[candidate] = counts.get(candidate, 0) + 1
    repeated = [candidate for candidate, count in counts.items() if count >= 2]
    return repeated[0] if repeated else None


_CONTENT_TYPE = re.compile(rb"^content-type:.*(?:\r?\n[ \t].*)*\r?\n", re.IGNORECASE | re.MULTILINE)


def boundary_repair(raw: bytes) -> bytes | None:
    """The message with its top-level Content-Type naming the boundary its body really uses,
    or None when no boundary can be found (the body is then read as text)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end != -1:
            head, body = raw[: end + len(separator) // 2], raw[end + len(separator) // 2 :]
            break
    else:
        return None
    boundary = boundary_find(body)
    if boundary is None or b'"' in boundary:
        return None
    match = re.search(rb"^content-type:[ \t]*(multipart/[a-z0-9.+-]+)", head, re.I | re.M)
    subtype = match.group(1) if match else b"multipart/mixed"
    head = _CONTENT_TYPE.sub(b"", head + b"\n")
    newline = b"\r\n" if b"\r\n" in head else b"\n"
    header = b"Content-Type: " + subtype + b'; boundary="' + boundary + b'"' + newline
    return head.rstrip(b"\r\n") + newline + header + body


_TRUNCATION = {"CloseBoundaryNotFoundDefect"}
_STRUCTURE = {
    "StartBoundaryNotFoundDefect",
    "NoBoundaryInMultipartDefect",
    "MultipartInvariantViolationDefect",
    "MissingHeaderBodySeparatorDefect",
    "FirstHeaderLineIsContinuationDefect",
    "MisplacedEnvelopeHeaderDefect",
}
_ENCODING = {
    "InvalidBase64PaddingDefect",
    "InvalidBase64CharactersDefect",
    "InvalidBase64LengthDefect",
}


def defects_repairs(defects: Iterable[object]) -> set[Repair]:
    """The repairs that the parser's defects (``email.errors``) stand for."""
    found: set[Repair] = set()
    for defect in defects:
        name = type(defect).__name__
        if name in _TRUNCATION:
            found.add(Repair.TRUNCATED)
        elif name in _STRUCTURE:
            found.add(Repair.STRUCTURE)
        elif name in _ENCODING:
            found.add(Repair.ENCODING)
    return found


def repairs_describe(codes: Iterable[str]) -> list[str]:
    """The repairs as sentences in the active language (unknown codes are skipped)."""
    known = {repair.value: repair for repair in Repair}
    return [str(REPAIR_LABELS[known[code]]) for code in codes if code in known]
