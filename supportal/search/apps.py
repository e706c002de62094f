from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "supportal.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from supportal.search.index import ticket_text_index
        from supportal.tickets import events

        # The search documents follow the tickets' text, in the changing transaction.
        events.text_listeners.register("search", ticket_text_index)
