from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "supportal.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from datetime import timedelta

        from supportal.core.jobs import register_periodic
        from supportal.knowledge.embeddings import embeddings_refresh

        # Requests and articles are embedded by the worker, never in a web request (only the
        # query itself is); without the model package this does nothing (docs/knowledge.md).
        register_periodic("knowledge.embed", embeddings_refresh, every=timedelta(minutes=1))
