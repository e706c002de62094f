"""The administration site's app list (supportal/core/admin_site.py) lists what Django's own
would: the same apps, models and links in the sidebar and on the index, for a superuser and for
staff who may use only some models."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.template import Engine, RequestContext
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix
from django.utils import translation

from supportal.accounts.models import User
from supportal.core.templatetags import admin_app_list

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def limited_staff(db) -> User:
    """Staff who may view requests and add canned replies, and nothing else."""
    user = User.objects.create_user("staff@support.test", password="parola123", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=("view_ticket", "add_cannedreply"))
    )
    return User.objects.get(pk=user.pk)  # its permissions read afresh


def _djangos_site() -> AdminSite:
    """Django's own AdminSite with our registrations and titles."""
    site = AdminSite()
    site._registry = admin.site._registry
    for title in ("site_header", "site_title", "index_title"):
        setattr(site, title, getattr(admin.site, title))
    return site


def _request(rf, user: User, path: str):
    request = rf.get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _pages(site: AdminSite, rf, user: User, path: str) -> tuple[str, str]:
    """The sidebar as a page at ``path`` shows it, and the index page."""
    request = _request(rf, user, path)
    sidebar = render_to_string("admin/nav_sidebar.html", site.each_context(request), request)
    index = site.index(_request(rf, user, "/admin/")).render().content.decode()
    return sidebar, CSRF.sub("", index)


@pytest.mark.parametrize("path", ["/admin/", "/admin/tickets/ticket/", "/admin/replies/"])
@pytest.mark.parametrize("who", ["superuser", "limited staff"])
def test_the_sidebar_and_the_index_are_those_of_djangos_own_site(
    rf, cast, limited_staff, who, path
):
    user = cast.admin if who == "superuser" else limited_staff
    ours = _pages(admin.site, rf, user, path)
    assert ours == _pages(_djangos_site(), rf, user, path)
    assert 'href="/admin/tickets/ticket/"' in ours[0]


def test_staff_see_only_the_models_they_may_use(cast, limited_staff):
    web = Client()
    web.force_login(limited_staff)
    page = web.get("/admin/").content.decode()
    assert 'href="/admin/tickets/ticket/"' in page
    assert 'href="/admin/replies/cannedreply/add/"' in page
    assert "/admin/replies/cannedreply/" in page
    assert "/admin/accounts/user/" not in page
    assert "/admin/tickets/ticket/add/" not in page


def test_the_app_list_follows_the_script_prefix(rf, cast):
    try:
        set_script_prefix("/support/")
        prefixed = admin.site.get_app_list(_request(rf, cast.admin, "/support/admin/"))
    finally:
        set_script_prefix("/")
    plain = admin.site.get_app_list(_request(rf, cast.admin, "/admin/"))
    assert prefixed[0]["app_url"] == "/support" + plain[0]["app_url"]
    assert prefixed[0]["models"][0]["admin_url"] == "/support" + plain[0]["models"][0]["admin_url"]


def test_the_index_asks_each_models_permissions_once(cast):
    web = Client()
    web.force_login(cast.admin)
    web.get("/admin/")  # the session's first read
    with CaptureQueriesContext(connection) as queries:
        assert web.get("/admin/").status_code == 200
    # Adding an audit settings row is allowed while there is none: one question per page.
    asked = [q["sql"] for q in queries.captured_queries if '"audit_auditsettings"' in q["sql"]]
    assert len(asked) == 1, asked


def test_the_names_follow_the_language_of_each_request(rf, cast):
    def names(site: AdminSite) -> list[tuple[str, list[str]]]:
        app_list = site.get_app_list(_request(rf, cast.admin, "/admin/"))
        return [(str(app["name"]), [str(m["name"]) for m in app["models"]]) for app in app_list]

    for language in ("ro", "en", "ro"):
        with translation.override(language):
            assert names(admin.site) == names(_djangos_site())
    with translation.override("ro"):
        romanian = names(admin.site)
    assert romanian != names(admin.site)


def _djangos_app_list(context: dict, request) -> str:
    """Django's own ``admin/app_list.html`` (the one ours overrides), rendered afresh."""
    engine = Engine.get_default()
    ours = engine.find_template("admin/app_list.html")[1]
    return engine.find_template("admin/app_list.html", skip=[ours])[0].render(
        RequestContext(request, context)
    )


def test_the_kept_app_list_is_what_djangos_template_renders(rf, cast, limited_staff):
    pages = [
        ("/admin/", True),  # the index, with its "Change" links
        ("/admin/", False),
        ("/admin/tickets/ticket/", False),  # the sidebar, its current model marked
        (f"/admin/tickets/ticket/{cast.ticket(cast.cristina).pk}/change/", False),
        ("/admin/replies/", False),  # its current app marked
    ]
    kept = []
    for turn in ("rendered", "kept"):
        for language in ("en", "ro", "cs"):
            with translation.override(language):
                for user in (cast.admin, limited_staff):
                    for path, changelinks in pages:
                        request = _request(rf, user, path)
                        context = {
                            "app_list": admin.site.get_app_list(request),
                            "show_changelinks": changelinks,
                        }
                        ours = render_to_string("admin/app_list.html", context, request)
                        assert ours == _djangos_app_list(context, request), (turn, path)
        kept.append(len(admin_app_list._KEPT))
    # The second turn rendered nothing new: every page's list came from what was kept.
    assert kept[0] == kept[1] > 0
