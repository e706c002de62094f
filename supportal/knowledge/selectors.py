"""Reads with permission built in; what a reader may not see is ``NotFound`` (docs/knowledge.md).

The support team (agents, administrators) sees every article, drafts and internal ones too. A
customer sees published articles for everyone, and published articles for customers when the
article has no product or their company has its product. Someone not logged in sees published
articles for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from supportal.accounts.models import User
from supportal.company.selectors import is_support, product_ids_for_user
from supportal.core.errors import NotFound
from supportal.knowledge.models import Article, ArticleFeedback, ArticleText, Visibility
from supportal.search.text import search_words


def article_queryset_for_user(user: User) -> QuerySet[Article]:
    articles = Article.objects.all()
    if is_support(user):
        return articles
    published = articles.filter(is_published=True)
    if not user.is_authenticated or not user.is_active:
        return published.filter(visibility=Visibility.EVERYONE)
    products = product_ids_for_user(user) or set()
    return published.filter(
        Q(visibility=Visibility.EVERYONE)
        | Q(visibility=Visibility.CUSTOMERS, product__isnull=True)
        | Q(visibility=Visibility.CUSTOMERS, product_id__in=products)
    )


def _with_texts(articles: QuerySet[Article]) -> QuerySet[Article]:
    return articles.select_related("product", "topic").prefetch_related(
        Prefetch("texts", queryset=ArticleText.objects.order_by("language"))
    )


def article_get_for_user(user: User, article_id: int | str) -> Article:
    try:
        pk = int(article_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    article = _with_texts(article_queryset_for_user(user)).filter(pk=pk).first()
    if article is None:
        raise NotFound()
    return article


@dataclass(frozen=True)
class Shown:
    """An article's text in the reader's language, or the fallback one (``is_fallback``)."""

    article: Article
    language: str
    title: str
    body: str
    is_fallback: bool


_FALLBACK_ORDER = [code for code, _name in settings.LANGUAGES]


def article_text_for(article: Article, language: str) -> Shown:
    """The text of ``article`` in ``language``, else the first of English, Romanian, Czech
    that exists (uses the prefetched texts)."""
    texts = {text.language: text for text in article.texts.all()}
    for code in [language, *_FALLBACK_ORDER]:
        text = texts.get(code)
        if text is not None:
            return Shown(article, code, text.title, text.body, is_fallback=code != language)
    return Shown(article, language, "", "", is_fallback=True)


def article_list_for_user(
    user: User,
    *,
    query: str = "",
    product_id: int | None = None,
    topic_id: int | None = None,
    drafts_only: bool = False,
) -> QuerySet[Article]:
    """Newest first; ``query`` keeps the articles whose words start with every query word
    (accents and case ignored)."""
    articles = article_queryset_for_user(user)
    if product_id:
        articles = articles.filter(product_id=product_id)
    if topic_id:
        articles = articles.filter(topic_id=topic_id)
    if drafts_only:
        articles = articles.filter(is_published=False)
    for word in search_words(query)[:8]:
        articles = articles.filter(search_text__contains=" " + word)
    return _with_texts(articles).order_by("-updated_at", "-pk")


def article_ranked_ids(
    user: User, stems: list[str], *, limit: int = 20, published_only: bool = False
) -> list[list[int]]:
    """One ranked list of article ids per stem (articles whose words start with it, the most
    viewed first), among the articles ``user`` may see: the full-text lists of the fusion. One
    query for all the stems."""
    if not stems:
        return []
    matches = Q()
    for stem in stems:
        matches |= Q(search_text__contains=" " + stem)
    articles = article_queryset_for_user(user)
    if published_only:
        articles = articles.filter(is_published=True)
    rows = list(
        articles.filter(matches)
        .order_by("-view_count", "-pk")
        .values_list("pk", "search_text")[: limit * len(stems)]
    )
    return [[pk for pk, text in rows if " " + stem in text][:limit] for stem in stems]


def article_report(*, limit: int = 10) -> tuple[list[Any], list[Any]]:
    """The least helpful (most "no" answers, then the share of them) and the most viewed
    published articles, for team leads."""
    counted = _with_texts(Article.objects.filter(is_published=True)).annotate(
        helpful=Count("feedback", filter=Q(feedback__is_helpful=True)),
        unhelpful=Count("feedback", filter=Q(feedback__is_helpful=False)),
    )
    least = list(counted.filter(unhelpful__gt=0).order_by("-unhelpful", "helpful", "pk")[:limit])
    most = list(counted.order_by("-view_count", "pk")[:limit])
    return least, most


def feedback_comments(article: Article, *, limit: int = 20) -> QuerySet[ArticleFeedback]:
    return article.feedback.exclude(comment="").order_by("-created_at")[:limit]


def may_lead(user: User) -> bool:
    """Team leads (of any desk) and administrators see the helpfulness report."""
    from supportal.desks.models import DeskMembership, DeskRole

    if user.is_superuser:
        return True
    return bool(
        user.is_agent and DeskMembership.objects.filter(user=user, role=DeskRole.TEAM_LEAD).exists()
    )


def deflection_counts() -> dict[str, int]:
    """New-request forms where a suggestion was opened, and how many of them were then not
    submitted (deflected), over the opens recorded."""
    from supportal.knowledge.models import SuggestionOpen

    forms = SuggestionOpen.objects.values("form_token").annotate(
        sent=Count("pk", filter=Q(submitted=True))
    )
    total = forms.count()
    deflected = forms.filter(sent=0).count()
    return {"forms": total, "deflected": deflected}
