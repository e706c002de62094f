"""The only writers of the knowledge base (docs/knowledge.md). Keyword-only, in a transaction,
a version row for every change of an article."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.company.models import Topic
from supportal.company.selectors import is_support
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.desks.models import Product
from supportal.knowledge.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Article,
    ArticleFeedback,
    ArticlePicture,
    ArticleText,
    ArticleVersion,
    SuggestionKind,
    SuggestionOpen,
    Visibility,
)
from supportal.knowledge.pictures import picture_encode
from supportal.search.text import search_words
from supportal.tickets.models import Ticket

_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _require_support(actor: User) -> None:
    if not is_support(actor):
        raise PermissionRefused(_("Only the support team may edit the knowledge base."))


def _search_text(article: Article) -> str:
    words: list[str] = []
    for text in ArticleText.objects.filter(article=article).order_by("language"):
        words += search_words(text.title)
        words += search_words(text.body)
    # Leading and trailing space: a stem matches as " stem" anywhere (selectors).
    return " " + " ".join(words) + " "


def _version(article: Article, actor: User, changes: str, text: ArticleText | None) -> None:
    number = (article.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    ArticleVersion.objects.create(
        article=article,
        number=number,
        editor=actor,
        language=text.language if text else "",
        title=text.title if text else "",
        body=text.body if text else "",
        visibility=article.visibility,
        is_published=article.is_published,
        changes=changes[:300],
    )


def _validate(language: str, title: str, body: str, visibility: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if language not in _LANGUAGES:
        raise InvalidInput(_("Choose a language."), field="language")
    if not title:
        raise InvalidInput(_("An article needs a title."), field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidInput(
            _("The title is too long (at most %(max)d characters).") % {"max": TITLE_MAX_LENGTH},
            field="title",
        )
    if len(body) > BODY_MAX_LENGTH:
        raise InvalidInput(
            _("The text is too long (at most %(max)d characters).") % {"max": BODY_MAX_LENGTH},
            field="body",
        )
    if visibility not in Visibility.values:
        raise InvalidInput(_("Choose who may see the article."), field="visibility")
    return title, body


@transaction.atomic
def article_save(
    *,
    actor: User,
    article: Article | None = None,
    language: str,
    title: str,
    body: str,
    product: Product | None,
    topic: Topic | None,
    visibility: str,
    source_ticket: Ticket | None = None,
) -> Article:
    """Create an article (a draft) or change one: its text in ``language`` and its settings.
    Side effects: the text row, a version row naming what changed, the search words."""
    _require_support(actor)
    title, body = _validate(language, title, body, visibility)
    changes: list[str] = []
    if article is None:
        article = Article.objects.create(
            product=product,
            topic=topic,
            visibility=visibility,
            created_by=actor,
            source_ticket=source_ticket,
        )
        changes.append(_("created"))
    else:
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.product_id != (product.pk if product else None):
            changes.append(_("product"))
        if article.topic_id != (topic.pk if topic else None):
            changes.append(_("topic"))
        if article.visibility != visibility:
            changes.append(_("visibility"))
        article.product, article.topic, article.visibility = product, topic, visibility
    text = ArticleText.objects.filter(article=article, language=language).first()
    if text is None:
        text = ArticleText.objects.create(
            article=article, language=language, title=title, body=body
        )
        changes.append(_("text in %(language)s added") % {"language": language})
    elif (text.title, text.body) != (title, body):
        text.title, text.body = title, body
        text.save(update_fields=["title", "body"])
        changes.append(_("text in %(language)s") % {"language": language})
    if not changes:
        return article
    article.search_text = _search_text(article)
    article.save()
    _version(article, actor, ", ".join(changes), text)
    return article


@transaction.atomic
def article_publish(*, actor: User, article: Article, publish: bool) -> Article:
    """Publish a draft, or take an article back to draft. A version row records it."""
    _require_support(actor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.is_published == publish:
        return article
    if publish and not article.texts.exists():
        raise InvalidInput(_("An article needs a text before it is published."))
    article.is_published = publish
    article.published_at = timezone.now() if publish else None
    article.save(update_fields=["is_published", "published_at", "updated_at"])
    _version(article, actor, _("published") if publish else _("taken back to draft"), None)
    return article


def _alt_text(file_name: str) -> str:
    """The file's name without its suffix, as a Markdown image's text (no brackets)."""
    stem = file_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    return " ".join(stem.translate(str.maketrans("[]()_", "     ")).split())[:100]


def article_picture_add(
    *, actor: User, article: Article, data: bytes, file_name: str, language: str
) -> ArticlePicture:
    """Store a picture for ``article`` (re-encoded by Pillow: pictures.picture_encode) and put
    it at the end of the article's text in ``language`` when there is one (a version row, like
    any change). Raises InvalidInput for what is not a picture, or a text grown too long."""
    _require_support(actor)
    encoded = picture_encode(data)
    picture = ArticlePicture(
        article=article,
        file_name=(file_name or "picture")[-255:],
        content_type=encoded.content_type,
        width=encoded.width,
        height=encoded.height,
        size=len(encoded.data),
        uploaded_by=actor,
    )
    picture.file.save("picture", ContentFile(encoded.data), save=False)
    try:
        with transaction.atomic():
            picture.save()
            text = ArticleText.objects.filter(article=article, language=language).first()
            if text is not None:
                article.refresh_from_db()
                article_save(
                    actor=actor,
                    article=article,
                    language=language,
                    title=text.title,
                    body=f"{text.body.rstrip()}\n\n{picture_markdown(picture)}\n",
                    product=article.product,
                    topic=article.topic,
                    visibility=article.visibility,
                )
    except Exception:
        # Nothing of it was committed: the file goes too.
        picture.file.storage.delete(picture.file.name or "")
        raise
    return picture


def picture_markdown(picture: ArticlePicture) -> str:
    url = reverse("portal:article_picture", args=[picture.article_id, picture.pk])
    return f"![{_alt_text(picture.file_name)}]({url})"


def article_viewed(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def article_feedback_give(
    *, user: User, article: Article, is_helpful: bool, comment: str = ""
) -> ArticleFeedback:
    """``article`` must come from ``selectors.article_get_for_user(user, ...)``."""
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidInput(
            _("The comment is too long (at most %(max)d characters).")
            % {"max": COMMENT_MAX_LENGTH},
            field="comment",
        )
    return ArticleFeedback.objects.create(
        article=article,
        user=user if user.is_authenticated else None,
        is_helpful=is_helpful,
        comment=comment,
    )


def article_draft_from_ticket(*, actor: User, ticket: Ticket, language: str) -> Article:
    """A resolved request's resolution as an internal draft (its summary the title, its details
    and resolution the text). ``ticket`` must come from the agent's ticket selector; the agent
    removes the customer's details before publishing."""
    if not ticket.resolution.strip():
        raise InvalidInput(_("The request has no resolution to make an article of."))
    body = "\n\n".join(
        [
            "## " + _("Problem"),
            ticket.details.strip(),
            "## " + _("Solution"),
            ticket.resolution.strip(),
        ]
    )
    return article_save(
        actor=actor,
        language=language if language in _LANGUAGES else settings.LANGUAGE_CODE,
        title=ticket.summary[:TITLE_MAX_LENGTH],
        body=body[:BODY_MAX_LENGTH],
        product=ticket.product,
        topic=None,
        visibility=Visibility.INTERNAL,
        source_ticket=ticket,
    )


def suggestion_opened(*, user: User, form_token: str, kind: str, object_id: int) -> None:
    """Count a suggestion opened from the new-request form ``form_token``."""
    if not user.is_authenticated or not form_token or kind not in SuggestionKind.values:
        return
    SuggestionOpen.objects.create(
        user=user, form_token=form_token[:64], kind=kind, object_id=object_id
    )


def suggestions_submitted(*, user: User, form_token: str) -> int:
    """The form ``form_token`` was submitted: its opened suggestions did not deflect it."""
    if not form_token:
        return 0
    return SuggestionOpen.objects.filter(user=user, form_token=form_token[:64]).update(
        submitted=True
    )
