"""The shared corpus of real-world messages (../shared/testdata/emails, MANIFEST.md): every
full message ends stored and processed, ignored or quarantined with a reason; none raises.

The files are read where they are (some folders are copyleft and must not be copied here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from supportal.mail.inbound import inbound_process_one, inbound_store
from supportal.mail.models import InboundChannel, InboundMessage, InboundState
from supportal.mail.quotes import reply_text

CORPUS = Path(settings.BASE_DIR).parent / "shared" / "testdata" / "emails"
FULL_MESSAGES = (
    sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in {".eml", ".box"})
    if CORPUS.is_dir()
    else []
)
REPLY_BODIES = sorted(CORPUS.rglob("*.txt")) if CORPUS.is_dir() else []

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the e-mail corpus is not at {CORPUS} (CI checks out ../shared next to the repo)",
)


@needs_corpus
def test_the_corpus_is_complete():
    assert len(FULL_MESSAGES) == 129
    assert len(REPLY_BODIES) == 17


@needs_corpus
def test_every_corpus_message_is_stored_and_ends_with_a_reason(cast):
    failures = []
    for path in FULL_MESSAGES:
        raw = path.read_bytes()
        stored = inbound_store(raw, channel=InboundChannel.STDIN)
        message = inbound_process_one(stored.message.pk)
        assert bytes(message.raw) == raw
        outcome = message.outcome or {}
        if message.state == InboundState.FAILED:
            failures.append(f"{path.relative_to(CORPUS)}: {message.last_error[-300:]}")
        elif message.state in {InboundState.IGNORED, InboundState.QUARANTINED}:
            assert outcome.get("reason"), path
        elif message.state == InboundState.PROCESSED:
            assert outcome.get("reference"), path
        else:
            failures.append(f"{path.relative_to(CORPUS)}: left {message.state}")
    assert not failures, "\n".join(failures)
    assert InboundMessage.objects.count() == len({p.read_bytes() for p in FULL_MESSAGES})


@needs_corpus
def test_bounces_and_auto_replies_of_the_corpus_never_become_requests(cast):
    for folder in ("sisimai",):
        for path in sorted((CORPUS / folder).glob("*")):
            stored = inbound_store(path.read_bytes(), channel=InboundChannel.STDIN)
            message = inbound_process_one(stored.message.pk)
            is_control = path.name.startswith("is-not-bounce")
            assert (message.outcome.get("result") == "created") == is_control, path.name


@needs_corpus
@pytest.mark.parametrize("path", REPLY_BODIES, ids=lambda p: p.name)
def test_the_quote_stripper_keeps_the_new_text_of_every_reply_body(path):
    text = path.read_bytes().decode("utf-8", "replace")
    new = reply_text(text)
    assert new.strip()
    assert len(new) <= len(text.replace("\r\n", "\n").strip())
