"""How the apps below the mail layer queue a mail: accounts' invitations, password resets and
sign-up checks. They describe the mail (``MailToQueue``) and ``mail_queue`` hands it to the
listener the mail app registers in its ``AppConfig.ready()`` (the outbox's ``email_queue``),
inside the caller's transaction: nothing leaves before commit, and a rollback discards it.
So accounts does not import the mail app (docs/architecture.md, the layers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from supportal.core.listeners import ListenerList
from supportal.core.quiet import is_quiet


@dataclass(frozen=True)
class MailToQueue:
    to: str
    template: str  # the set mail/<template>/ (subject.txt, body.txt, body.html)
    language: str
    context: Mapping[str, object]


outboxes: ListenerList[MailToQueue] = ListenerList("mails to queue", order=("mail",))


def mail_queue(*, to: str, template: str, language: str, context: Mapping[str, object]) -> None:
    """Queue one mail in the outbox, in the caller's transaction; nothing inside an import
    (``core.quiet.quietly``)."""
    if is_quiet():
        return
    outboxes.notify(MailToQueue(to=to, template=template, language=language, context=context))
