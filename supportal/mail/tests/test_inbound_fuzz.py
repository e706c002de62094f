"""A bounded fuzz test of the inbound mail parser and intake: hostile MIME — broken and missing
boundaries, raw 8-bit headers in mixed legacy charsets, bogus encoded words, huge headers,
garbage transfer encodings, nested message/rfc822 — is parsed without an exception, and every
mail is stored and processed to a state without crashing the intake (docs/security.md).

The budget is fixed (examples, no deadline) so CI time stays bounded.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportal.mail.content import mail_parse
from supportal.mail.inbound import inbound_process_one, inbound_store
from supportal.mail.models import InboundChannel, InboundMessage, InboundState

CHARSETS = ["utf-8", "iso-8859-2", "iso-8859-1", "cp1250", "cp1252", "koi8-r", "shift_jis"]
LABELS = [*CHARSETS, "NONE", "x-unknown", "", "utf-7", "us-ascii"]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["Účetní závěrka", "Štěpán", "Parolă blocată", "Привет", "\u202efdp.exe"]
)


@st.composite
def raw_header_value(draw) -> bytes:
    text = draw(TEXT)
    kind = draw(st.sampled_from(["raw", "encoded", "bogus", "huge"]))
    charset = draw(st.sampled_from(CHARSETS))
    data = text.encode(charset, "replace")
    if kind == "raw":
        return data
    if kind == "encoded":
        import base64

        label = draw(st.sampled_from(LABELS))
        return b"=?" + label.encode() + b"?B?" + base64.b64encode(data) + b"?="
    if kind == "bogus":
        return b"=?" + draw(st.sampled_from(LABELS)).encode() + b"?Q?" + data + b"=ZZ?="
    return data * draw(st.integers(50, 400)) + b"x" * draw(st.integers(0, 5000))


@st.composite
def leaf(draw) -> bytes:
    content_type = draw(
        st.sampled_from(["text/plain", "text/html", "application/pdf", "image/png", "text/x-bad"])
    )
    charset = draw(st.sampled_from(LABELS))
    encoding = draw(st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uu", ""]))
    body = draw(TEXT).encode(draw(st.sampled_from(CHARSETS)), "replace")
    if encoding == "base64" and draw(st.booleans()):
        import base64

        body = base64.b64encode(body)
    headers = b"Content-Type: " + content_type.encode() + b"; charset=" + charset.encode()
    if draw(st.booleans()):
        headers += (
            b'\r\nContent-Disposition: attachment; filename="' + draw(raw_header_value()) + b'"'
        )
    if encoding:
        headers += b"\r\nContent-Transfer-Encoding: " + encoding.encode()
    return headers + b"\r\n\r\n" + body


@st.composite
def part(draw, depth: int = 0) -> bytes:
    kind = draw(st.sampled_from(["leaf", "multipart", "rfc822"] if depth < 3 else ["leaf"]))
    if kind == "leaf":
        return draw(leaf())
    if kind == "rfc822":
        return b"Content-Type: message/rfc822\r\n\r\n" + draw(message(depth + 1))
    boundary = draw(st.sampled_from([b"b1", b"==x==", b"", b"\xff\xfe", b"a" * 80]))
    declared = boundary if draw(st.booleans()) else draw(st.sampled_from([b"other", b"b1"]))
    children = draw(st.lists(part(depth + 1), max_size=3))
    body = b"".join(b"--" + boundary + b"\r\n" + child + b"\r\n" for child in children)
    if draw(st.booleans()):
        body += b"--" + boundary + b"--\r\n"  # else: the final boundary is missing
    subtype = draw(st.sampled_from([b"mixed", b"alternative", b"related", b"report"]))
    return b"Content-Type: multipart/" + subtype + b'; boundary="' + declared + b'"\r\n\r\n' + body


@st.composite
def message(draw, depth: int = 0) -> bytes:
    headers = [
        b"From: "
        + draw(raw_header_value())
        + b" <"
        + draw(
            st.sampled_from(
                [b"ana@firma.ro", b"bogdan.moraru@support.test", b"bad", b"", b"x@\xff.ro"]
            )
        )
        + b">",
        b"To: support@localhost",
        b"Subject: " + draw(raw_header_value()),
    ]
    if draw(st.booleans()):
        headers.append(b"Message-ID: <" + draw(st.binary(max_size=30)).replace(b"\n", b"") + b">")
    if draw(st.booleans()):
        headers.append(b"MIME-Version: 1.0")
    return b"\r\n".join(headers) + b"\r\n" + draw(part(depth))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=message())
def test_the_parser_never_raises(raw):
    parsed = mail_parse(raw)
    assert "\x00" not in parsed.subject
    assert "\n" not in parsed.subject
    for attachment in parsed.attachments:
        assert "/" not in attachment.name and "\x00" not in attachment.name


@pytest.fixture
def help_desk(cast):
    return cast.help_desk


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=message())
def test_every_hostile_mail_is_stored_and_processed_without_crashing_the_intake(help_desk, raw):
    stored = inbound_store(raw, channel=InboundChannel.SMTP, recipients=["support@localhost"])
    assert InboundMessage.objects.filter(pk=stored.message.pk, raw=raw).exists()
    processed = inbound_process_one(stored.message.pk)
    assert processed.state in {
        InboundState.PROCESSED,
        InboundState.IGNORED,
        InboundState.QUARANTINED,
    }, processed.last_error


@pytest.mark.django_db
def test_a_file_whose_name_has_no_storable_character_is_kept_under_a_plain_name(help_desk):
    """Found by the fuzz test above: a file named only with characters storage cannot use
    (here, bytes that decode to replacement characters and a comma) is stored as "file"."""
    raw = (
        b"From:  <ana@firma.ro>\r\nTo: support@localhost\r\nSubject: \r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b'Content-Disposition: attachment; filename="\xc2\xb7\xc3\x8e,\xc2\x84"\r\n'
        b"Content-Transfer-Encoding: 7bit\r\n\r\n\xc2\xb7\xc3\x8e,\xc2\x84"
    )
    stored = inbound_store(raw, channel=InboundChannel.STDIN)
    processed = inbound_process_one(stored.message.pk)
    assert processed.state != InboundState.FAILED, processed.last_error
