"""The knowledge base for customers: browse and search the articles their company may see,
"was this helpful?", and the suggestions of the new-request form (docs/knowledge.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.company.selectors import product_ids_for_user
from supportal.core.errors import InvalidInput, NotFound
from supportal.desks.models import Product
from supportal.knowledge import selectors, services
from supportal.knowledge.forms import ArticleSearchForm, FeedbackForm
from supportal.knowledge.models import SuggestionKind
from supportal.knowledge.render import markdown_render
from supportal.knowledge.suggest import solved_requests_for_user, suggest

PAGE_SIZE = 20
SUGGEST_TEXT_LIMIT = 2_000


def _language() -> str:
    return (get_language() or "en").split("-")[0]


@login_required
def articles(request: AuthenticatedHttpRequest) -> HttpResponse:
    allowed = product_ids_for_user(request.user)
    products = Product.objects.order_by("name")
    if allowed is not None:
        products = products.filter(pk__in=allowed)
    filters = ArticleSearchForm(request.GET, products=products)
    found = selectors.article_list_for_user(
        request.user,
        query=filters.value("q") or "",
        product_id=filters.value("product"),
        topic_id=filters.value("topic"),
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    language = _language()
    return render(
        request,
        "knowledge/portal_list.html",
        {
            "filters": filters,
            "page": page,
            "shown": [selectors.article_text_for(article, language) for article in page],
            "query_without_page": query_without_page.urlencode(),
        },
    )


def _article_or_404(request: AuthenticatedHttpRequest, article_id: int):
    try:
        return selectors.article_get_for_user(request.user, article_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def article(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    found = _article_or_404(request, article_id)
    services.article_viewed(found)
    shown = selectors.article_text_for(found, _language())
    return render(
        request,
        "knowledge/portal_article.html",
        {"shown": shown, "html": markdown_render(shown.body), "form": FeedbackForm()},
    )


@login_required
def article_picture(
    request: AuthenticatedHttpRequest, article_id: int, picture_id: int
) -> FileResponse:
    """A picture of an article, for whoever may read the article (404 otherwise, like the
    article). The file is Pillow's re-encoding, never the upload (knowledge/pictures.py)."""
    found = _article_or_404(request, article_id)
    picture = found.pictures.filter(pk=picture_id).first()
    if picture is None:
        raise Http404()
    response = FileResponse(picture.file.open("rb"), content_type=picture.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def feedback(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    found = _article_or_404(request, article_id)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        shown = selectors.article_text_for(found, _language())
        context = {"shown": shown, "html": markdown_render(shown.body), "form": form}
        return render(request, "knowledge/portal_article.html", context, status=400)
    try:
        services.article_feedback_give(
            user=request.user,
            article=found,
            is_helpful=form.cleaned_data["helpful"] == "yes",
            comment=form.cleaned_data["comment"],
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you for telling us."))
    return redirect("portal:article", article_id=found.pk)


@login_required
def suggestions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An HTML fragment for the new-request form: what may answer the text typed so far."""
    text = request.GET.get("q", "")[:SUGGEST_TEXT_LIMIT]
    found = suggest(request.user, text, language=_language())
    return render(
        request,
        "knowledge/_suggestions.html",
        {"found": found, "token": request.GET.get("token", "")[:64]},
    )


@login_required
def suggestion_open(request: AuthenticatedHttpRequest, kind: str, object_id: int) -> HttpResponse:
    """Count a suggestion opened from the new-request form, then show it (404 for what the
    reader may not see, as everywhere)."""
    token = request.GET.get("token", "")
    if kind == SuggestionKind.ARTICLE:
        target = _article_or_404(request, object_id)
        url = reverse("portal:article", args=[target.pk])
    elif kind == SuggestionKind.REQUEST:
        ticket = solved_requests_for_user(request.user).filter(pk=object_id).first()
        if ticket is None:
            raise Http404()
        url = reverse("portal:request", args=[ticket.reference])
    else:
        raise Http404()
    services.suggestion_opened(user=request.user, form_token=token, kind=kind, object_id=object_id)
    return redirect(url)
