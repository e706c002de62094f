"""The knowledge base for agents: list, write, publish; a resolved request's resolution as a
draft article; the suggestions panel of the ticket page; the team leads' report
(docs/knowledge.md)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.core.errors import DomainError, InvalidInput, NotFound
from supportal.knowledge import selectors, services
from supportal.knowledge.forms import ArticleForm, ArticleSearchForm, PictureForm
from supportal.knowledge.models import Article, Visibility
from supportal.knowledge.pictures import MAX_BYTES as MAX_PICTURE_BYTES
from supportal.knowledge.render import markdown_render
from supportal.knowledge.suggest import suggest
from supportal.workspace.views.common import agent_required, ticket_or_404

PAGE_SIZE = 30
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _language(request: AuthenticatedHttpRequest) -> str:
    asked = request.GET.get("language", "")
    return asked if asked in LANGUAGES else (get_language() or "en").split("-")[0]


def _article(request: AuthenticatedHttpRequest, article_id: int) -> Article:
    try:
        return selectors.article_get_for_user(request.user, article_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@agent_required
def articles(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = ArticleSearchForm(request.GET)
    found = selectors.article_list_for_user(
        request.user,
        query=filters.value("q") or "",
        product_id=filters.value("product"),
        topic_id=filters.value("topic"),
        drafts_only=request.GET.get("drafts") == "1",
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    language = _language(request)
    return render(
        request,
        "knowledge/workspace_list.html",
        {
            "filters": filters,
            "page": page,
            "shown": [selectors.article_text_for(article, language) for article in page],
            "query_without_page": query_without_page.urlencode(),
            "may_lead": selectors.may_lead(request.user),
        },
    )


@agent_required
def article_edit(request: AuthenticatedHttpRequest, article_id: int | None = None) -> HttpResponse:
    """New (no ``article_id``) or a change of one language's text and the settings."""
    found = _article(request, article_id) if article_id else None
    language = request.POST.get("language") or _language(request)
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                found = services.article_save(
                    actor=request.user,
                    article=found,
                    language=data["language"],
                    title=data["title"],
                    body=data["body"],
                    product=data["product"],
                    topic=data["topic"],
                    visibility=data["visibility"],
                )
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The article was saved."))
                url = reverse("workspace:article", args=[found.pk])
                return redirect(f"{url}?language={data['language']}")
        status = 400
    else:
        initial: dict[str, object] = {"language": language}
        if found is not None:
            shown = selectors.article_text_for(found, language)
            initial |= {
                "product": found.product_id,
                "topic": found.topic_id,
                "visibility": found.visibility,
            }
            if not shown.is_fallback:
                initial |= {"title": shown.title, "body": shown.body}
        form, status = ArticleForm(initial=initial), 200
    return _edit_page(request, found, form, language, status=status)


def _edit_page(
    request: AuthenticatedHttpRequest,
    found: Article | None,
    form: ArticleForm,
    language: str,
    *,
    picture_form: PictureForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "article": found,
        "languages": LANGUAGES,
        "picture_form": picture_form or PictureForm(initial={"language": language}),
        "pictures": (
            [(picture, services.picture_markdown(picture)) for picture in found.pictures.all()]
            if found is not None
            else []
        ),
    }
    return render(request, "knowledge/workspace_edit.html", context, status=status)


@agent_required
@require_POST
def article_picture_add(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    """Upload a picture; it goes at the end of the text of the language being edited."""
    found = _article(request, article_id)
    picture_form = PictureForm(request.POST, request.FILES)
    language = request.POST.get("language", "")
    language = language if language in LANGUAGES else _language(request)
    if picture_form.is_valid():
        upload = picture_form.cleaned_data["picture"]
        try:
            services.article_picture_add(
                actor=request.user,
                article=found,
                data=upload.read(MAX_PICTURE_BYTES + 1),  # more is refused
                file_name=upload.name or "",
                language=language,
            )
        except InvalidInput as exc:
            picture_form.add_error("picture", exc.message)
        else:
            messages.success(request, _("The picture was added at the end of the text."))
            url = reverse("workspace:article_edit", args=[found.pk])
            return redirect(f"{url}?language={language}")
    shown = selectors.article_text_for(found, language)
    initial: dict[str, object] = {
        "language": language,
        "product": found.product_id,
        "topic": found.topic_id,
        "visibility": found.visibility,
    }
    if not shown.is_fallback:
        initial |= {"title": shown.title, "body": shown.body}
    return _edit_page(
        request, found, ArticleForm(initial=initial), language,
        picture_form=picture_form, status=400,
    )  # fmt: skip


@agent_required
def article(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    found = _article(request, article_id)
    shown = selectors.article_text_for(found, _language(request))
    return render(
        request,
        "knowledge/workspace_article.html",
        {
            "shown": shown,
            "html": markdown_render(shown.body),
            "languages": LANGUAGES,
            "versions": found.versions.select_related("editor")[:50],
            "comments": selectors.feedback_comments(found),
            "portal_url": request.build_absolute_uri(reverse("portal:article", args=[found.pk])),
        },
    )


@agent_required
@require_POST
def article_publish(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    found = _article(request, article_id)
    publish = request.POST.get("publish") == "1"
    try:
        services.article_publish(actor=request.user, article=found, publish=publish)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The article was published.") if publish else _("The article is a draft.")
        )
    return redirect("workspace:article", article_id=found.pk)


@agent_required
@require_POST
def article_from_ticket(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    ticket = ticket_or_404(request, reference)
    try:
        found = services.article_draft_from_ticket(
            actor=request.user, ticket=ticket, language=_language(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:ticket", reference=ticket.reference)
    messages.success(
        request,
        _(
            "A draft article was made from the resolution: remove the customer's details "
            "before publishing."
        ),
    )
    return redirect("workspace:article_edit", article_id=found.pk)


@agent_required
def ticket_suggestions(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """The ticket page's panel (an HTML fragment): solved requests of the agent's desks like
    this one, and matching articles, each insertable into the reply."""
    ticket = ticket_or_404(request, reference)
    query = request.GET.get("q", "")[:2000].strip()
    text = query or f"{ticket.summary}\n{ticket.details}"
    found = suggest(
        request.user, text, language=_language(request), exclude_ticket=ticket.pk, articles=5
    )
    return render(
        request,
        "knowledge/_agent_suggestions.html",
        {
            "found": found,
            "ticket": ticket,
            "query": query,
            "articles": [(shown, _article_link(request, shown)) for shown in found.articles],
        },
    )


def _article_link(request: AuthenticatedHttpRequest, shown: selectors.Shown) -> str:
    """A Markdown link to the article's customer page ("" for an internal article)."""
    if shown.article.visibility == Visibility.INTERNAL:
        return ""
    url = request.build_absolute_uri(reverse("portal:article", args=[shown.article.pk]))
    return f"[{shown.title}]({url})"


@agent_required
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not selectors.may_lead(request.user):
        raise Http404()
    least, most = selectors.article_report()
    language = _language(request)
    return render(
        request,
        "knowledge/workspace_report.html",
        {
            "least": [(a, selectors.article_text_for(a, language)) for a in least],
            "most": [(a, selectors.article_text_for(a, language)) for a in most],
            "deflection": selectors.deflection_counts(),
        },
    )
