"""The profile: name, phone, language, time zone, notifications, password, and where one is
logged in, with "log out everywhere"."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from supportal.accounts import services
from supportal.accounts.middleware import UserTimeZoneMiddleware
from supportal.accounts.models import UserSession
from supportal.core.errors import InvalidInput, NotFound

PASSWORD = "parola123"


def _logged_in(user, browser: str = "Firefox") -> Client:
    web = Client(HTTP_USER_AGENT=browser)
    response = web.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return web


def _profile_data(**changes) -> dict:
    data = {
        "first_name": "Cristina",
        "last_name": "Tănăsescu",
        "phone": "",
        "language": "",
        "time_zone": "",
        "has_email_notifications": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_header_links_to_the_profile(client, cast):
    client.force_login(cast.cristina)

    assert reverse("accounts:profile") in client.get(reverse("accounts:sessions")).content.decode()


def test_the_profile_changes_name_phone_language_time_zone_and_notifications(client, cast):
    client.force_login(cast.cristina)

    response = client.post(
        reverse("accounts:profile"),
        _profile_data(
            first_name="Cristina Maria",
            phone="+40 721 000 000",
            language="ro",
            time_zone="Europe/Prague",
            has_email_notifications=None,
        ),
    )

    assert response.status_code == 302
    cast.cristina.refresh_from_db()
    assert cast.cristina.first_name == "Cristina Maria"
    assert cast.cristina.phone == "+40 721 000 000"
    assert (cast.cristina.language, cast.cristina.time_zone) == ("ro", "Europe/Prague")
    assert cast.cristina.has_email_notifications is False


def test_an_unknown_time_zone_is_refused(client, cast):
    client.force_login(cast.cristina)

    page = client.post(reverse("accounts:profile"), _profile_data(time_zone="Mars/Olympus"))

    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    with pytest.raises(InvalidInput):
        services.profile_update(user=cast.cristina, time_zone="Mars/Olympus")
    with pytest.raises(InvalidInput):
        services.profile_update(user=cast.cristina, email="x@y.test")


def test_pages_show_times_in_the_profiles_time_zone(cast):
    cast.cristina.time_zone = "America/New_York"
    request = RequestFactory().get("/")
    request.user = cast.cristina
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    UserTimeZoneMiddleware(view)(request)
    cast.cristina.time_zone = ""
    UserTimeZoneMiddleware(view)(request)

    assert seen == ["America/New_York", "Europe/Bucharest"]


def test_changing_the_password_keeps_this_session_and_ends_the_others(cast):
    here = _logged_in(cast.cristina, "Firefox")
    there = _logged_in(cast.cristina, "Chromium")

    response = here.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Vale-Verde-77",
            "new_password2": "Vale-Verde-77",
        },
    )

    assert response.status_code == 302
    assert here.get(reverse("accounts:profile")).status_code == 200
    assert there.get(reverse("accounts:profile")).status_code == 302
    [session] = UserSession.objects.filter(user=cast.cristina)
    assert session.session_key == here.session.session_key


def test_changing_the_password_names_each_broken_rule(client, cast):
    client.force_login(cast.cristina)

    page = client.post(
        reverse("accounts:password_change"),
        {"old_password": "gresit", "new_password1": "vbz", "new_password2": "vbz"},
    ).content.decode()

    assert "Your old password was entered incorrectly" in page
    assert "too short" in page
    assert "too few digits" in page


def test_the_sessions_page_lists_each_log_in_and_marks_this_one(cast):
    here = _logged_in(cast.cristina, "Firefox/140")
    _logged_in(cast.cristina, "Chromium/139")
    _logged_in(cast.colleague, "Safari")

    page = here.get(reverse("accounts:sessions")).content.decode()

    assert "Firefox/140" in page and "Chromium/139" in page
    assert "Safari" not in page
    assert page.count("This device") == 1
    assert "127.0.0.1" in page


def test_logged_out_sessions_leave_the_list(cast):
    here = _logged_in(cast.cristina, "Firefox/140")
    gone = _logged_in(cast.cristina, "Chromium/139")
    gone.post(reverse("logout"))

    assert "Chromium/139" not in here.get(reverse("accounts:sessions")).content.decode()


def test_log_out_everywhere_ends_every_session(cast):
    here = _logged_in(cast.cristina, "Firefox")
    there = _logged_in(cast.cristina, "Chromium")
    colleague = _logged_in(cast.colleague)

    response = here.post(reverse("accounts:sessions_end_all"), follow=True)

    assert "You are logged out everywhere" in response.content.decode()
    assert here.get("/").status_code == 302
    assert there.get("/").status_code == 302
    assert colleague.get("/").status_code == 200
    assert not UserSession.objects.filter(user=cast.cristina).exists()


def test_one_other_session_can_be_logged_out(cast):
    here = _logged_in(cast.cristina, "Firefox")
    there = _logged_in(cast.cristina, "Chromium")
    other = UserSession.objects.get(session_key=there.session.session_key)

    here.post(reverse("accounts:session_end", args=[other.pk]))

    assert there.get("/").status_code == 302
    assert here.get("/").status_code == 200


def test_no_one_can_end_someone_elses_session(cast):
    mine = _logged_in(cast.cristina)
    theirs = _logged_in(cast.colleague)
    their_session = UserSession.objects.get(session_key=theirs.session.session_key)

    response = mine.post(reverse("accounts:session_end", args=[their_session.pk]))

    assert response.status_code == 404
    assert theirs.get("/").status_code == 200
    with pytest.raises(NotFound):
        services.session_end(user=cast.cristina, session_id=their_session.pk)


def test_the_administration_site_log_in_is_listed_and_ended_too(cast):
    admin_web = Client()
    admin_web.post(reverse("admin:login"), {"username": cast.admin.email, "password": PASSWORD})
    assert UserSession.objects.filter(user=cast.admin).count() == 1

    services.sessions_end(user=cast.admin)

    assert admin_web.get(reverse("admin:index")).status_code == 302
