"""The scripts' counters take their language's plural forms: Django's JavaScript catalogue
(/jsi18n/) carries each language's plural rule and the scripts call ngettext
(docs/languages.md, "Numbers, sizes, dates")."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from supportal.portal.tests.test_browser import _log_in


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "rule"),
    [
        ("cs", "(n >= 2 && n <= 4 && n % 1 == 0) ? 1"),  # 1 znak, 2–4 znaky, 5 znaků
        ("ro", "(n%100>19)||((n%100==0)&&(n!=0))"),  # 1 caracter, 2–19 caractere, 20 de
    ],
)
def test_the_catalogue_carries_each_languages_plural_rule(client, language, rule):
    answer = client.get(reverse("javascript_catalog"), HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 200
    assert rule in answer.content.decode()
    assert "private" in answer["Cache-Control"]


@pytest.mark.django_db
def test_the_new_request_page_loads_the_catalogue_before_its_script(client, cast):
    client.force_login(cast.cristina)
    page = client.get(f"{reverse('portal:new')}?desk=HELP").content.decode()
    catalogue = page.index(reverse("javascript_catalog"))
    assert catalogue < page.index("portal/forms.js")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_details_counter_says_one_character_or_several(page, cast, live_server):
    _log_in(page, cast.cristina, live_server)
    page.goto(f"{reverse('portal:new')}?desk=HELP")
    details = page.get_by_label("Details")
    limit = int(details.get_attribute("data-counter-limit"))
    counter = page.locator("#details-counter")
    details.fill("x" * (limit + 1))
    expect(counter).to_contain_text("1 character over the limit")
    details.fill("x" * (limit + 2))
    expect(counter).to_contain_text("2 characters over the limit")
    expect(counter).to_contain_text(f"of {limit:,} characters")
