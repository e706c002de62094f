from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "supportal.tickets"
    label = "tickets"
    verbose_name = _("Requests")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from supportal.accounts.models import Contract, Organization, OrganizationProduct
        from supportal.core.jobs import register_queue
        from supportal.core.memo import forget_all
        from supportal.core.orphans import register_file_folder
        from supportal.desks.models import DeskMembership, Priority
        from supportal.tickets.services import priority_rank_copy, tickets_close_due

        # A queue, not a periodic job: the partial index makes an idle check nearly free, and
        # each due ticket is closed under its own row lock, so every worker may run it.
        register_queue("tickets.auto_close", lambda now: tickets_close_due(now=now))
        # attachment_path: attachments/<ticket>/<random>/<name>; files of rolled-back uploads
        # are removed by core.orphans after the grace period.
        register_file_folder("attachments", model="tickets.Attachment", field="file")
        # What the selectors remember per request (core.memo) is read again after a change.
        for model in (DeskMembership, Organization, OrganizationProduct, Contract):
            post_save.connect(forget_all, sender=model, dispatch_uid=f"memo-{model.__name__}")
            post_delete.connect(forget_all, sender=model, dispatch_uid=f"memo-d-{model.__name__}")
        m2m_changed.connect(
            forget_all, sender=Contract.priorities.through, dispatch_uid="memo-contract-priorities"
        )
        # Derived data: each request carries its priority's rank for the queue's sort.
        post_save.connect(priority_rank_copy, sender=Priority, dispatch_uid="priority-rank")
