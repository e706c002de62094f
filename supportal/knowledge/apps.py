from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "supportal.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from datetime import timedelta

        from supportal.core.jobs import register_periodic, register_queue
        from supportal.knowledge.embeddings import embeddings_embed_due, embeddings_queue

        # Requests and articles are embedded by the worker, never in a web request (only the
        # query itself is): once a minute the changed ones are queued, and every tick embeds a
        # small batch, so mail and other queues wait seconds, not minutes, behind a backfill.
        # Without the model package both do nothing (docs/knowledge.md).
        register_periodic("knowledge.embed_queue", embeddings_queue, every=timedelta(minutes=1))
        register_queue("knowledge.embed", embeddings_embed_due)
