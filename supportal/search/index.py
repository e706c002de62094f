"""Keeping the search documents up to date. The ticket services call ``ticket_index_update``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connections, router, transaction
from django.utils import timezone

from supportal.search.models import SearchDocument
from supportal.search.text import search_words
from supportal.tickets.events import TextChanged
from supportal.tickets.models import Comment, Ticket

# On PostgreSQL a tsvector must stay under 1 MB or the indexed write fails. 100,000
# characters of words stay well below it even in the worst case (short unique CJK words);
# a ticket longer than that is searchable by its first 100,000 characters.
MAX_DOCUMENT_LENGTH = 100_000


class _Words:
    """Accumulates words up to MAX_DOCUMENT_LENGTH characters."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.length = 0

    def add(self, text: str | None) -> None:
        if not text or self.length >= MAX_DOCUMENT_LENGTH:
            return
        for word in search_words(text[:MAX_DOCUMENT_LENGTH]):
            self.length += len(word) + 1
            if self.length > MAX_DOCUMENT_LENGTH:
                return
            self.words.append(word)

    def text(self) -> str:
        return " ".join(self.words)


def _documents_build(ticket_ids: Sequence[int], *, using: str) -> list[SearchDocument]:
    tickets = (
        Ticket.objects.using(using)
        .filter(pk__in=ticket_ids)
        .order_by("pk")
        .values_list("pk", "reference", "summary", "requester__email", "details", "resolution")
    )
    comments: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for ticket_id, body, is_public in (
        Comment.objects.using(using)
        .filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "body", "is_public")
    ):
        comments[ticket_id].append((body, is_public))
    now = timezone.now()
    return [
        _document_of(ticket_id, fields, comments[ticket_id], now=now)
        for ticket_id, *fields in tickets
    ]


def _document_of(
    ticket_id: int,
    fields: Sequence[str | None],
    comments: Iterable[tuple[str, bool]],
    *,
    now,
) -> SearchDocument:
    """A ticket's document: its fields (reference, summary, requester's e-mail, details,
    resolution), then its comments in order, public and internal apart."""
    public, internal = _Words(), _Words()
    for field in fields:
        public.add(field)
    for body, is_public in comments:
        (public if is_public else internal).add(body)
    return SearchDocument(
        ticket_id=ticket_id,
        public_text=public.text(),
        internal_text=internal.text(),
        updated_at=now,
    )


def _documents_save(documents: Iterable[SearchDocument], *, using: str) -> None:
    # One upsert; on SQLite the UPDATE path fires the triggers that keep FTS5 in step.
    SearchDocument.objects.using(using).bulk_create(
        list(documents),
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=["public_text", "internal_text", "updated_at"],
    )


def ticket_index_update(ticket_id: int) -> None:
    """Recompute one ticket's search document from the database (three queries).

    Call it inside the transaction that changed the ticket, so the index commits or rolls
    back with the change. Side effects: upserts the SearchDocument row (SQLite triggers
    update the FTS5 table); deletes it if the ticket no longer exists.
    """
    using = router.db_for_write(SearchDocument)
    documents = _documents_build([ticket_id], using=using)
    if documents:
        _documents_save(documents, using=using)
    else:
        SearchDocument.objects.using(using).filter(ticket_id=ticket_id).delete()


def ticket_index_new(ticket: Ticket) -> None:
    """Write the search document of a ticket just created, from the row in hand (one
    statement): it has no comments yet, so it is the document ``ticket_index_update`` would
    read back. Call it in the creating transaction, after the row is saved."""
    using = router.db_for_write(SearchDocument)
    fields = (
        ticket.reference,
        ticket.summary,
        ticket.requester.email,
        ticket.details,
        ticket.resolution,
    )
    _documents_save([_document_of(ticket.pk, fields, (), now=timezone.now())], using=using)


# A comment's words are appended in place while the document is under half its cap: one
# stopped below that would have had to refuse a single word of 50,000+ characters, which no
# service accepts in a comment or the details; the full rebuild is used otherwise.
_APPEND_BELOW = MAX_DOCUMENT_LENGTH // 2


def ticket_index_comment_add(comment: Comment) -> None:
    """Add a new comment's words to its ticket's document (one UPDATE), as
    ``ticket_index_update`` would read them back: a new comment is the ticket's latest, so its
    words come last in the public or the internal text. Falls back to ``ticket_index_update``
    (three queries) for a ticket with no document yet or a document near its cap. Call it in
    the transaction that wrote the comment."""
    using = router.db_for_write(SearchDocument)
    words = _Words()
    words.add(comment.body)
    text = words.text()
    column = "public_text" if comment.is_public else "internal_text"
    connection = connections[using]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            # The column is one of two names above, never input.
            f"UPDATE search_searchdocument SET {column} = CASE"  # noqa: S608
            f" WHEN %s = '' THEN {column} WHEN {column} = '' THEN %s"
            f" ELSE {column} || ' ' || %s END, updated_at = %s"
            f" WHERE ticket_id = %s AND LENGTH({column}) < %s",
            [text, text, text, now, comment.ticket_id, _APPEND_BELOW],
        )
        if cursor.rowcount == 1:
            return
    ticket_index_update(comment.ticket_id)


def ticket_index_update_for_requester(user_id: int) -> int:
    """Re-index every ticket this user requested (after their e-mail address changed).

    Side effects: upserts their SearchDocument rows. Returns how many.
    """
    using = router.db_for_write(SearchDocument)
    ids = list(
        Ticket.objects.using(using).filter(requester_id=user_id).values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 500):
        _documents_save(_documents_build(ids[start : start + 500], using=using), using=using)
    return len(ids)


def search_index_rebuild(*, batch_size: int = 500) -> int:
    """Rebuild every ticket's search document, ``batch_size`` tickets per transaction.

    Side effects: rewrites all SearchDocument rows; on SQLite then rebuilds the FTS5 index from
    them (repairs an index that drifted, e.g. after a table rebuild dropped the triggers).
    Returns the number of tickets indexed.
    """
    using = router.db_for_write(SearchDocument)
    count = 0
    last_pk = 0
    while True:
        ids = list(
            Ticket.objects.using(using)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        with transaction.atomic(using=using):
            _documents_save(_documents_build(ids, using=using), using=using)
        count += len(ids)
        last_pk = ids[-1]
    connection = connections[using]
    if connection.vendor == "sqlite":
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO search_searchdocument_fts(search_searchdocument_fts)"
                " VALUES ('rebuild')"
            )
    return count


def ticket_text_index(change: TextChanged) -> None:
    """The listener of ``tickets.events.text_listeners``: keep the ticket's document in step
    (from the row in hand for a new ticket, a new comment's words appended, read back
    otherwise), in the same transaction."""
    if change.is_new:
        ticket_index_new(change.ticket)
    elif change.comment is not None:
        ticket_index_comment_add(change.comment)
    else:
        ticket_index_update(change.ticket.pk)
