"""The knowledge base: articles per product and topic, their text per language, their versions,
readers' "was this helpful?" answers, suggestions opened on the new-request form, and the
embeddings of requests and articles (docs/knowledge.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportal.core.models import DueWork, TimeStampedModel

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 50_000
COMMENT_MAX_LENGTH = 2_000


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (support team only)")
    CUSTOMERS = "customers", _("Customers whose company has the product")
    EVERYONE = "everyone", _("Everyone")


class Article(TimeStampedModel):
    product = models.ForeignKey(
        "desks.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
    )
    topic = models.ForeignKey(
        "company.Topic",
        verbose_name=_("topic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
    )
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Normalised words of every language's title and body (search.text.search_words), so a
    # query without diacritics finds text with them.
    search_text = models.TextField(blank=True, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("made from request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=[v.value for v in Visibility]),
                name="knowledge_article_visibility_valid",
            ),
        ]
        indexes = [models.Index(fields=["is_published", "visibility"], name="article_visible")]

    def __str__(self) -> str:
        return str(self.pk)


class ArticleText(models.Model):
    """The title and body of one language; a language without a row falls back (marked)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("text (Markdown)"), max_length=BODY_MAX_LENGTH)

    class Meta:
        verbose_name = _("article text")
        verbose_name_plural = _("article texts")
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="article_text_language")
        ]

    def __str__(self) -> str:
        return self.title


def picture_path(instance: ArticlePicture, filename: str) -> str:
    # A random name per picture: not guessable, never colliding; the suffix is our encoding's.
    import uuid

    suffix = ".jpg" if instance.content_type == "image/jpeg" else ".png"
    return f"articles/{instance.article_id}/{uuid.uuid4().hex}{suffix}"


class ArticlePicture(models.Model):
    """A picture shown in an article's text: decoded and re-encoded by Pillow when uploaded
    (knowledge/pictures.py), served only through the portal's permission-checked address."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="pictures")
    file = models.FileField(_("file"), upload_to=picture_path, max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=20)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("article picture")
        verbose_name_plural = _("article pictures")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file_name


class ArticleVersion(models.Model):
    """One saved change: who, when, what (the whole text of the language changed, and the
    settings after it). Never edited."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH, blank=True)
    body = models.TextField(_("text (Markdown)"), blank=True)
    visibility = models.CharField(_("visibility"), max_length=20, choices=Visibility.choices)
    is_published = models.BooleanField(_("published"))
    changes = models.CharField(_("what changed"), max_length=300)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleFeedback(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("given"), auto_now_add=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")

    def __str__(self) -> str:
        return f"{self.article_id}: {self.is_helpful}"


class SuggestionKind(models.TextChoices):
    ARTICLE = "article", _("Article")
    REQUEST = "request", _("Request")


class SuggestionOpen(models.Model):
    """A customer opened a suggestion while writing a new request. ``form_token`` ties it to
    that form: when the form is submitted, its opens are marked submitted; an open never
    followed by a submission is a request deflected (docs/knowledge.md)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    form_token = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=20, choices=SuggestionKind.choices)
    object_id = models.PositiveIntegerField()
    opened_at = models.DateTimeField(auto_now_add=True)
    submitted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("suggestion opened")
        verbose_name_plural = _("suggestions opened")

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class EmbeddingState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")


class Embedding(DueWork):
    """A request's or an article's vector, computed by the worker (a queued row until then,
    claimed with ``core.jobs.claim_due``). ``model`` names the model and its version: a new
    one re-embeds everything in the background. ``source_updated_at`` is the source's
    ``updated_at`` when it was queued."""

    kind = models.CharField(max_length=20, choices=SuggestionKind.choices)
    object_id = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=EmbeddingState.choices)
    model = models.CharField(max_length=100, blank=True)
    source_updated_at = models.DateTimeField()
    # float16 little-endian, L2-normalised (384 numbers for multilingual-e5-small).
    vector = models.BinaryField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("embedding")
        verbose_name_plural = _("embeddings")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="embedding_source"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="embedding_due",
            ),
            # The vectors written since a process last looked (embeddings._matrix).
            models.Index(fields=["kind", "updated_at"], name="embedding_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
