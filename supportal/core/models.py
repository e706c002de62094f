from __future__ import annotations

from typing import Self

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class DueWork(models.Model):
    """A row of work to do later: what ``core.jobs.claim_due`` reads and writes.

    Each concrete model adds its own ``state`` (with a pending value the worker filters on) and
    whatever the work needs; a partial index on ``next_attempt_at`` over pending rows keeps the
    claim's cost proportional to what is due.
    """

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claim_token = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True


class SingletonModel(models.Model):
    """Site-wide policy kept in one row (pk 1) that administrators edit in the admin.

    Concrete models add a check constraint ``pk=1`` so a second row can never exist.
    """

    class Meta:
        abstract = True

    @classmethod
    def load(cls) -> Self:
        """The row, created with its defaults on first use."""
        row, _created = cls._default_manager.get_or_create(pk=1)
        return row


class Lease(models.Model):
    """A named lock with an expiry, so one instance at a time runs each periodic job.

    A holder that dies simply stops renewing; the lease expires and another worker takes it.
    """

    name = models.CharField(_("name"), max_length=100, primary_key=True)
    holder = models.CharField(_("holder"), max_length=100)
    expires_at = models.DateTimeField(_("expires at"))
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"


class ProcessExit(models.Model):
    """A child of ``manage.py serve`` (the worker, the web server, ...) that exited on its own
    and was started again: what /metrics and the operator see of a crash (docs/deploy.md,
    "Health and metrics"). Rows older than a week are removed as new ones come."""

    process = models.CharField(_("process"), max_length=20)
    host = models.CharField(_("host"), max_length=100)
    status = models.IntegerField(_("exit status"))
    ran_seconds = models.FloatField(_("ran for (seconds)"))
    exited_at = models.DateTimeField(_("exited at"), db_index=True)

    class Meta:
        verbose_name = _("process exit")
        verbose_name_plural = _("process exits")

    def __str__(self) -> str:
        return f"{self.process}@{self.host}: {self.status}"
