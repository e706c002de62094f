"""The sources ``manage.py import`` knows, each built from the command's options."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from supportal.core.errors import InvalidInput
from supportal.imports.records import ImportSource


def _generated(options: Mapping[str, Any]) -> ImportSource:
    from supportal.imports.sources.generated import GeneratedSource

    return GeneratedSource(requests=options.get("requests") or 100)


def _freshdesk(options: Mapping[str, Any]) -> ImportSource:
    from supportal.imports.sources.freshdesk import FreshdeskSource

    _require(options, "url", "api_key")
    return FreshdeskSource(base_url=options["url"], api_key=options["api_key"])


def _jira(options: Mapping[str, Any]) -> ImportSource:
    from supportal.imports.sources.jira import JiraSource

    _require(options, "url", "user", "token", "project")
    return JiraSource(
        base_url=options["url"],
        user=options["user"],
        token=options["token"],
        project=options["project"],
    )


def _jira_csv(options: Mapping[str, Any]) -> ImportSource:
    from supportal.imports.sources.jira_csv import JiraCsvSource, emails_read

    _require(options, "file")
    return JiraCsvSource(
        path=options["file"],
        project=options.get("project") or "",
        time_zone=options.get("time_zone") or "UTC",
        agent_comments_public=bool(options.get("agent_comments_public")),
        agents=frozenset(options.get("agent") or ()),
        emails=emails_read(options["people"]) if options.get("people") else {},
        base_url=options.get("url") or "",
        user=options.get("user") or "",
        token=options.get("token") or "",
    )


def _osticket(options: Mapping[str, Any]) -> ImportSource:
    from supportal.imports.sources.osticket import OsTicketSource

    _require(options, "url")
    return OsTicketSource(
        url=options["url"],
        prefix=options.get("table_prefix") or "ost_",
        files_dir=options.get("files_dir") or "",
    )


def _django_helpdesk(options: Mapping[str, Any]) -> ImportSource:
    from supportal.imports.sources.django_helpdesk import DjangoHelpdeskSource

    _require(options, "url")
    return DjangoHelpdeskSource(
        url=options["url"],
        queues=tuple(options.get("queue") or ()),
        files_dir=options.get("files_dir") or "",
    )


def _zammad(options: Mapping[str, Any]) -> ImportSource:
    from supportal.imports.sources.zammad import ZammadSource

    _require(options, "url", "token")
    return ZammadSource(base_url=options["url"], token=options["token"])


def _require(options: Mapping[str, Any], *names: str) -> None:
    missing = [f"--{name.replace('_', '-')}" for name in names if not options.get(name)]
    if missing:
        raise InvalidInput(_("This source needs %(options)s.") % {"options": ", ".join(missing)})


SOURCES: dict[str, Callable[[Mapping[str, Any]], ImportSource]] = {
    "freshdesk": _freshdesk,
    "jira": _jira,
    "jira-csv": _jira_csv,
    "osticket": _osticket,
    "django-helpdesk": _django_helpdesk,
    "zammad": _zammad,
    "generated": _generated,
}


def source_build(name: str, options: Mapping[str, Any]) -> ImportSource:
    return SOURCES[name](options)
