"""Reading a stored message: headers, text, attachments — never raising on what arrives.

Real mail breaks every rule: unknown or mislabelled charsets, raw 8-bit headers, broken MIME,
multiparts inside signatures. Everything here falls back instead of raising: an undecodable
header becomes its bytes decoded with replacement characters, an unknown charset is tried as
UTF-8 and then Windows-1252, HTML becomes plain text with our own small converter (the text is
shown escaped, so nothing of the HTML survives as markup).
"""

from __future__ import annotations

import codecs
import email
import html
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from email import policy
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from supportal.mail.repair import Repair, boundary_repair, defects_repairs, legacy_decode

# Labels seen in real mail that Python's codec registry does not know (or knows under a
# narrower name than the sender meant).
CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-mac-cyrillic": "mac_cyrillic",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "windows-874": "cp874",
    "ansi_x3.4-1968": "ascii",
}
TEXT_MAX_CHARS = 200_000
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")
# The repairs of the message ``mail_parse`` is reading (None outside it).
_repairs: ContextVar[set[Repair] | None] = ContextVar("mail_repairs", default=None)


def _codec(charset: str | None) -> str | None:
    label = (charset or "").strip().strip("\"'").lower()
    label = CHARSET_ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _repaired(repair: Repair) -> None:
    """Note a repair of the message being parsed (``mail_parse`` collects them)."""
    found = _repairs.get()
    if found is not None:
        found.add(repair)


def bytes_decode(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in ``charset``; when the label is unknown, missing or clearly wrong,
    UTF-8 or the best of the legacy charsets (``repair.legacy_decode``). Never raises."""
    text, overruled = legacy_decode(data, _codec(charset))
    if overruled:
        _repaired(Repair.CHARSET)
    return text


def raw_header_decode(data: bytes, hint: str | None = None) -> str:
    """Raw 8-bit header bytes, which declare no charset: UTF-8 when they are valid UTF-8, else
    the charset the message declares for its text (``hint``: an ISO-8859-2 mail's headers are
    ISO-8859-2 too — read as Windows-1252 "Účetní" became "Úèetní"), else the best reading of
    Windows-1250, ISO-8859-2 and Windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _codec(hint) is None:
        _repaired(Repair.CHARSET)
    return bytes_decode(data, hint)


def header_decode(value: object, hint: str | None = None) -> str:
    """A header as one line of text: RFC 2047 words decoded, raw 8-bit bytes as UTF-8, the
    message's own charset (``hint``) or Windows-1252, folding removed. Pure; never raises."""
    if value is None:
        return ""
    if isinstance(value, Header):
        # compat32 wraps raw 8-bit header bytes as a Header in the "unknown-8bit" charset.
        try:
            chunks = decode_header(value)
        except Exception:
            chunks = [(str(value), None)]
        text = "".join(
            (
                raw_header_decode(chunk, hint)
                if isinstance(chunk, bytes) and charset in (None, "unknown-8bit")
                else bytes_decode(chunk, charset)
                if isinstance(chunk, bytes)
                else chunk
            )
            for chunk, charset in chunks
        )
        return " ".join(text.replace("\x00", "").split())
    text = raw_header_decode(value, hint) if isinstance(value, bytes) else str(value)
    # compat32 hands raw 8-bit header bytes over as surrogate escapes.
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = raw_header_decode(text.encode("utf-8", "surrogateescape"), hint)
    try:
        parts = decode_header(text)
    except Exception:
        parts = [(text, None)]
    decoded = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            decoded.append(bytes_decode(chunk, charset))
        else:
            decoded.append(chunk)
    # decode_header drops the spaces between plain and encoded words only when both sides
    # are encoded; joining plain chunks as they are keeps the rest.
    result = "".join(decoded) if len(decoded) > 1 else (decoded[0] if decoded else "")
    return " ".join(result.replace("\x00", "").split())


class _TextFromHTML(HTMLParser):
    BLOCK = {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}
    SKIP = {"script", "style", "head", "title", "xml"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in self.BLOCK:
            self.out.append("\n\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in {"td", "th"}:
            self.out.append(" ")
        elif tag == "blockquote":
            self.quote_depth += 1
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.out.append("\n\n")
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = re.sub(r"[ \t\r\n\xa0]+", " ", data)
        if self.quote_depth:
            text = text.replace("\n", "\n" + "> " * self.quote_depth)
            if not self.out or self.out[-1].endswith("\n"):
                text = "> " * self.quote_depth + text.lstrip()
        self.out.append(text)


def html_to_text(markup: str) -> str:
    """Readable plain text from HTML mail (blockquotes as ``>`` quotes); no markup survives.
    Pure; never raises."""
    parser = _TextFromHTML()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.out)
    except Exception:
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.lstrip(" ") for line in lines)).strip()


@dataclass
class MailPart:
    name: str
    content_type: str
    data: bytes
    is_inline: bool = False


@dataclass
class ParsedMail:
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    subject: str = ""
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = ""
    report_type: str = ""
    text: str = ""
    attachments: list[MailPart] = field(default_factory=list)
    # Parts of a multipart/report (delivery status, read receipts), as text.
    report_parts: dict[str, str] = field(default_factory=dict)
    # What had to be repaired to read it (``repair.Repair`` codes), for the agents' remark.
    repairs: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def _addresses(message: Message, *names: str, hint: str | None = None) -> list[str]:
    values = []
    for name in names:
        for value in message.get_all(name) or []:
            values.append(header_decode(value, hint))
    found = []
    try:
        pairs = getaddresses(values)
    except Exception:
        pairs = []
    for _name, address in pairs:
        address = address.strip().strip("<>").lower()
        if "@" in address and address not in found and len(address) <= 254:
            found.append(address)
    return found


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    return bytes_decode(_payload_bytes(part), part.get_content_charset())


def _headers_of(message: Message, hint: str | None) -> dict[str, str]:
    """Each header's first value, decoded, by lower-case name."""
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        if key not in headers:
            headers[key] = header_decode(value, hint)[:2000]
    return headers


def _declared_charset(message: Message) -> str | None:
    """The first charset other than ASCII or UTF-8 that the message declares for a part: what
    its raw 8-bit header bytes are most likely in."""
    try:
        for part in message.walk():
            charset = _codec(part.get_content_charset())
            if charset and charset not in ("ascii", "utf-8"):
                return charset
    except Exception:
        return None
    return None


def _file_name(part: Message, index: int, hint: str | None = None) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    name = header_decode(name, hint) if name else ""
    name = re.sub(r"[\x00-\x1f/\\]+", "_", name).strip(" .")
    if not name:
        subtype = (part.get_content_subtype() or "bin").lower()
        extension = {"plain": "txt", "rfc822": "eml", "jpeg": "jpg"}.get(subtype, subtype)
        name = f"part-{index}.{re.sub(r'[^a-z0-9]', '', extension)[:10] or 'bin'}"
    return name


def header_block_text(block: object) -> str:
    """A header-only block (a delivery-status part) as ``Name: value`` lines. Never raises."""
    if isinstance(block, Message):
        return "\n".join(f"{name}: {header_decode(value)}" for name, value in block.items())
    if isinstance(block, bytes):
        return bytes_decode(block)
    return str(block or "")


def _headers_read(message: Message, parsed: ParsedMail, hint: str | None) -> None:
    """The headers processing reads: senders, recipients, subject, ids, the report type."""
    parsed.headers = _headers_of(message, hint)
    from_name, from_address = parseaddr(parsed.header("from"))
    parsed.from_name = from_name.strip()
    parsed.from_address = from_address.strip().strip("<>").lower()
    if "@" not in parsed.from_address:
        parsed.from_address = ""
    parsed.to = _addresses(message, "to", hint=hint)
    parsed.cc = _addresses(message, "cc", hint=hint)
    parsed.delivered_to = _addresses(
        message, "delivered-to", "x-original-to", "envelope-to", hint=hint
    )
    parsed.subject = parsed.header("subject")[:998]
    ids = _message_ids(parsed.header("message-id"))
    parsed.message_id = ids[0] if ids else ""
    parsed.in_reply_to = _message_ids(parsed.header("in-reply-to"))
    parsed.references = _message_ids(parsed.header("references"))
    parsed.content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "") if message.is_multipart() else ""
    if isinstance(report_type, tuple):  # an RFC 2231 value: (charset, language, text)
        report_type = report_type[-1]
    parsed.report_type = str(report_type).lower()


def mail_parse(raw: bytes) -> ParsedMail:
    """Everything processing needs from the raw bytes, repaired where it is broken (its
    ``repairs`` say how; docs/email.md, "Broken mail"). Pure; never raises on bad input."""
    found: set[Repair] = set()
    token = _repairs.set(found)
    try:
        parsed = _mail_read(raw or b"")
    finally:
        _repairs.reset(token)
    parsed.repairs = [str(repair) for repair in sorted(found)]
    return parsed


def _message_read(raw: bytes) -> Message:
    """The parsed message; a multipart whose boundary is missing or wrong is parsed again with
    the boundary its body really uses."""
    message = email.message_from_bytes(raw, policy=policy.compat32)
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        repaired = boundary_repair(raw)
        if repaired is not None:
            again = email.message_from_bytes(repaired, policy=policy.compat32)
            if again.is_multipart():
                _repaired(Repair.STRUCTURE)
                return again
    return message


def _mail_read(raw: bytes) -> ParsedMail:
    message = _message_read(raw)
    parsed = ParsedMail()
    hint = _declared_charset(message)
    _headers_read(message, parsed, hint)
    plain, html_parts = _parts_read(message, parsed, hint)
    # message/rfc822 parts are walked into (their text joins ours): a forward's text is part
    # of what the sender sent.
    if plain:
        text = "\n\n".join(plain)
    elif html_parts:
        text = "\n\n".join(html_to_text(markup) for markup in html_parts)
    else:
        text = ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    parsed.text = text[:TEXT_MAX_CHARS]
    for part in message.walk():  # after decoding, which records the encodings' defects too
        for repair in defects_repairs(part.defects):
            _repaired(repair)
    return parsed


def _parts_read(message: Message, parsed: ParsedMail, hint: str | None) -> tuple[list, list]:
    """Each part where it belongs: report parts and attachments into ``parsed``; the plain and
    the HTML texts returned."""
    plain: list[str] = []
    html_parts: list[str] = []
    index = 0
    for part in message.walk():
        index += 1
        content_type = part.get_content_type()
        if content_type in {"message/delivery-status", "message/global-delivery-status"}:
            # compat32 parses each block of a delivery status as a header-only message.
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [payload]
            parsed.report_parts[content_type] = "\n\n".join(
                header_block_text(block) for block in blocks
            )[:20_000]
            continue
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "multipart":
            # A multipart whose parts could not be found: its body is what the sender wrote.
            _repaired(Repair.STRUCTURE)
            plain.append(_part_text(part))
            continue
        disposition = header_decode(part.get("content-disposition")).split(";")[0].strip().lower()
        if content_type in {
            "message/delivery-status",
            "message/disposition-notification",
            "message/feedback-report",
            "text/rfc822-headers",
            "message/global-delivery-status",
        }:
            parsed.report_parts[content_type] = _part_text(part)[:20_000]
            continue
        try:
            has_name = part.get_filename() is not None
        except Exception:
            has_name = False
        is_attachment = disposition == "attachment" or (has_name and disposition != "inline")
        if content_type == "text/plain" and not is_attachment:
            plain.append(_part_text(part))
        elif content_type == "text/html" and not is_attachment:
            html_parts.append(_part_text(part))
        else:
            parsed.attachments.append(
                MailPart(
                    name=_file_name(part, index, hint),
                    content_type=content_type,
                    data=_payload_bytes(part),
                    is_inline=disposition == "inline"
                    or bool(header_decode(part.get("content-id"))),
                )
            )
    return plain, html_parts
