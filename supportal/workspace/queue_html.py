"""The agent queue page's own markup (the queues' menu, the toolbar with the filters, the saved
views and the bulk actions, the list and its pages), written in Python instead of by the
template engine (docs/performance.md, "Tenth round: the agent queue").

It writes what ``workspace/queue.html`` wrote, byte for byte: the template is kept as the
reference of ``workspace/tests/test_tenth_round_queue.py``. Escaped by construction: every
value through ``html.escape`` or ``core/markup.py`` ``value_html`` (the engine's own steps for
``{{ value }}``); written unescaped only its own markup, the rows and widgets already written
as HTML, and its messages' translations, as ``{% translate %}`` writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from supportal.core.markup import value_html


def queue_content_html(context: Mapping[str, Any]) -> SafeString:
    """The page's ``workspace_content`` block from the queue view's context."""
    csrf = _csrf_input(context.get("csrf_token"))
    return SafeString(
        f"{_queues_menu(context)}\n\n"
        f'<div class="toolbar">\n'
        f"  <h1>{value_html(context['queue_label'])} "
        f'<span class="muted">({_shown_count(context["page"].paginator)})</span></h1>\n'
        f"{_filters(context)}\n\n"
        f"{_saved_views(context, csrf)}\n\n"
        f"{_bulk(context, csrf)}\n"
        "</div>\n"
        f"{_search_note(context)}\n"
        f"{_table(context)}\n"
        f"{_pagination(context)}\n"
    )


def _csrf_input(token: object) -> str:
    """``{% csrf_token %}`` with the page's own token (the same as the logout form's)."""
    if not token or token == "NOTPROVIDED":  # noqa: S105 - the context processor's "no token"
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def _queues_menu(context: Mapping[str, Any]) -> str:
    view = context["view"]
    links = []
    for key, label, count in context["queues"]:
        current = ' aria-current="page"' if view == key else ""
        counted = ""
        if count is not None:
            due = " count-due" if key == "at_risk" and count else ""
            counted = (
                f' <span class="count{due}" data-count="{escape(key)}">{value_html(count)}</span>'
            )
        links.append(
            f'\n    <a href="?view={escape(key)}"{current}>{value_html(label)}{counted}</a>\n  '
        )
    return f'\n<nav class="queues" aria-label="{_("Queues")}">\n  {"".join(links)}\n</nav>'


def _shown_count(paginator: Any) -> str:
    if paginator.is_capped:
        return f"{escape(intcomma(paginator.shown_count))}+"
    return value_html(paginator.count)


def _filters(context: Mapping[str, Any]) -> str:
    form = context["form"]
    sort = form["sort"]
    count = context["filter_count"]
    counted = f' <span class="count">{value_html(count)}</span>' if count else ""
    view = escape(context["view"])
    search = _("Search tickets")
    return (
        '  <form method="get" role="search" id="filters" class="toolbar-filters">\n'
        f'    <input type="hidden" name="view" value="{view}">\n'
        f'    <label for="id_q" class="visually-hidden">{search}</label>\n'
        f'    <input type="search" id="id_q" name="q" value="{value_html(context["query"])}"'
        f' data-key="/" placeholder="{search}" maxlength="200">\n'
        f'    <label for="id_sort" class="visually-hidden">{value_html(sort.label)}</label>\n'
        f"    {sort}\n"
        f'    <button type="submit">{_("Search")}</button>\n'
        f'    <details class="menu"{" open" if form.errors else ""}>\n'
        f'      <summary class="button secondary">{_("Filters")}{counted}</summary>\n'
        '      <div class="menu-panel filter-grid">\n'
        f"        {form.filter_fields_html()}\n"
        '        <div class="actions wide">\n'
        f'          <button type="submit">{_("Apply")}</button>\n'
        f'          <a class="button secondary" href="?view={view}">{_("Reset")}</a>\n'
        "        </div>\n"
        "      </div>\n"
        "    </details>\n"
        "  </form>"
    )


def _saved_views(context: Mapping[str, Any], csrf: str) -> str:
    items = context["saved_views"]
    counted = f' <span class="count">{value_html(len(items))}</span>' if items else ""
    listed = ""
    if items:
        listed = (
            '\n      <ul class="plain">\n        '
            + "".join(_saved_view(item, csrf) for item in items)
            + "\n      </ul>\n      "
        )
    return (
        '  <details class="menu saved-views">\n'
        f'    <summary class="button secondary">{_("Saved views")}{counted}</summary>\n'
        '    <div class="menu-panel">\n'
        f"      {listed}\n"
        f'      <form method="post" action="{escape(reverse("workspace:view_save"))}"'
        ' class="stack">\n'
        f"        {csrf}\n"
        f'        <input type="hidden" name="params" value="{value_html(context["params"])}">\n'
        f'        <label for="id_view_name">{_("Save this view as")}</label>\n'
        '        <input type="text" id="id_view_name" name="name" maxlength="80" required>\n'
        f'        <label for="id_view_scope">{_("for")}</label>\n'
        '        <select id="id_view_scope" name="scope">\n'
        f'          <option value="">{_("Me only")}</option>\n'
        f"          {context['menus']['scopes']}\n"
        "        </select>\n"
        '        <div class="actions"><button type="submit" class="secondary">'
        f"{_('Save view')}</button></div>\n"
        "      </form>\n"
        "    </div>\n"
        "  </details>"
    )


def _saved_view(item: Mapping[str, Any], csrf: str) -> str:
    view = item["view"]
    name = value_html(view.name)
    desk = f' <span class="muted">({value_html(view.desk.key)})</span>' if view.desk else ""
    delete = ""
    if item["can_delete"]:
        action = escape(reverse("workspace:view_delete", args=[view.pk]))
        label = _("Delete view %(name)s") % {"name": name}
        delete = (
            f'<form method="post" action="{action}" class="inline">{csrf}'
            f'<button type="submit" class="link" aria-label="{label}">×</button></form>'
        )
    return (
        f'\n          <li><a href="{value_html(item["url"])}">{name}</a>{desk}\n'
        f"            {delete}\n          </li>\n        "
    )


def _bulk(context: Mapping[str, Any], csrf: str) -> str:
    menus = context["menus"]
    return (
        f'  <form method="post" action="{escape(reverse("workspace:bulk"))}" id="bulk">\n'
        f"    {csrf}\n"
        '    <input type="hidden" name="next"'
        f' value="{value_html(context["request"].get_full_path())}">\n'
        '    <details class="menu">\n'
        f'      <summary class="button secondary">{_("With the selected")}'
        ' <span class="count" id="selected-count">0</span></summary>\n'
        '      <fieldset class="bulk menu-panel">\n'
        f'        <legend class="visually-hidden">{_("With the selected requests")}</legend>\n'
        '        <div class="actions">\n'
        f'          <label for="id_bulk_assignee">{_("Assign to")}</label>\n'
        '          <select id="id_bulk_assignee" name="assignee">\n'
        f'            <option value="me">{_("Me")}</option>\n'
        f'            <option value="none">{_("Nobody")}</option>\n'
        f"            {menus['assignees']}\n"
        "          </select>\n"
        '          <button type="submit" name="operation" value="assign">'
        f"{_('Assign')}</button>\n"
        "        </div>\n"
        '        <div class="actions">\n'
        f'          <label for="id_bulk_action">{_("Status")}</label>\n'
        '          <select id="id_bulk_action" name="action">\n'
        f"            {menus['bulk_actions']}\n"
        "          </select>\n"
        '          <label for="id_bulk_resolution" class="muted">'
        f"{_('Resolution (for Resolve)')}</label>\n"
        '          <input type="text" id="id_bulk_resolution" name="resolution">\n'
        '          <button type="submit" name="operation" value="transition">'
        f"{_('Change status')}</button>\n"
        "        </div>\n"
        '        <div class="actions">\n'
        f'          <label for="id_bulk_priority">{_("Priority")}</label>\n'
        '          <select id="id_bulk_priority" name="priority">\n'
        f"            {menus['priorities']}\n"
        "          </select>\n"
        '          <button type="submit" name="operation" value="priority">'
        f"{_('Set priority')}</button>\n"
        "        </div>\n"
        "      </fieldset>\n"
        "    </details>\n"
        "  </form>"
    )


def _search_note(context: Mapping[str, Any]) -> str:
    paginator = context["page"].paginator
    if not (context["query"] and paginator.is_full):
        return ""
    counter = escape(intcomma(paginator.rows_at_most))
    if context["sort"]:
        note = _(
            "Only the %(counter)s most recently updated matching requests are listed: add "
            "words or filters to narrow the search."
        )
    else:
        note = _(
            "Only the %(counter)s most recently updated matching requests are listed, best "
            "match first: add words or filters to narrow the search."
        )
    return f'\n<p class="muted" role="status">{note % {"counter": counter}}</p>\n'


def _table(context: Mapping[str, Any]) -> str:
    if context["tickets"]:
        rows = context["rows_html"]
    else:
        rows = (
            f'\n    <tr><td colspan="9" class="muted">{_("Nothing in this queue.")}</td></tr>\n  '
        )
    return (
        '\n<table class="list queue">\n'
        '  <colgroup><col class="c-select"><col class="c-ref"><col class="c-summary">'
        '<col class="c-requester"><col class="c-status"><col class="c-priority">'
        '<col class="c-assignee"><col class="c-sla"><col class="c-updated"></colgroup>\n'
        "  <thead><tr>\n"
        '    <th scope="col"><input type="checkbox" id="select_all"'
        f' aria-label="{_("Select all")}" hidden></th>\n'
        f'    <th scope="col">{_("Reference")}</th><th scope="col">{_("Summary")}</th>\n'
        f'    <th scope="col">{_("Requester")}</th>\n'
        f'    <th scope="col">{_("Status")}</th><th scope="col">{_("Priority")}</th>\n'
        f'    <th scope="col">{_("Assignee")}</th><th scope="col">{_("SLA")}</th>'
        f'<th scope="col">{_("Updated")}</th>\n'
        "  </tr></thead>\n"
        "  <tbody>\n"
        f"  {rows}\n"
        "  </tbody>\n"
        "</table>"
    )


def _pagination(context: Mapping[str, Any]) -> str:
    page = context["page"]
    if not page.has_other_pages():
        return ""
    params = value_html(context["params"])
    previous = following = ""
    if page.has_previous():
        number = page.previous_page_number()
        cursor = getattr(page, "previous_cursor", "")
        before = f"&amp;before={value_html(cursor)}" if cursor and number > 1 else ""
        previous = (
            f'<a href="?{params}&amp;page={value_html(number)}{before}" rel="prev">'
            f"{_('Previous')}</a>"
        )
    if page.has_next():
        cursor = getattr(page, "next_cursor", "")
        after = f"&amp;after={value_html(cursor)}" if cursor else ""
        following = (
            f'<a href="?{params}&amp;page={value_html(page.next_page_number())}{after}"'
            f' rel="next">{_("Next")}</a>'
        )
    if page.paginator.is_capped:
        where = _("Page %(number)s") % {"number": value_html(page.number)}
    else:
        where = _("Page %(number)s of %(total)s") % {
            "number": value_html(page.number),
            "total": value_html(page.paginator.num_pages),
        }
    return (
        f'\n<nav class="pagination actions" aria-label="{_("Pages")}">\n'
        f"  {previous}\n"
        f'  <span class="muted">{where}</span>\n'
        f"  {following}\n"
        "</nav>\n"
    )
